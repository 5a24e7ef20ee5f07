"""Staff accounts the office keeps (domain/accounts.py): made without a password, an account
gets a one-time link to set one; a reset is a new link; an account can be switched off."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.services.intake.conftest import Desk, state

PASSWORD = "een lang genoeg wachtwoord"


async def log_in(desk: Desk, username: str, password: str) -> int:
    answer = await desk.intake.post(
        "/v1/auth/token", json={"username": username, "password": password}
    )
    return answer.status


def token_of(url: str) -> str:
    assert "/staff/welcome#" in url
    return url.split("#", 1)[1]


async def test_an_invited_account_sets_its_password_once(desk: Desk) -> None:
    made = await desk.intake.post(
        "/v1/staff",
        headers=desk.admin,
        json={
            "username": "bram",
            "role": "confidant",
            "confidant_id": "c-bram",
            "display_name": "Bram",
        },
    )
    assert made.status == 201, await made.text()
    link = token_of((await made.json())["invite_url"])
    assert await log_in(desk, "bram", PASSWORD) == 401  # no password yet: nothing opens it
    # Two uses at once: one sets the password, the other is told the link is gone.
    uses = await asyncio.gather(
        *(
            desk.intake.post("/v1/staff/welcome", json={"token": link, "password": PASSWORD}),
            desk.intake.post("/v1/staff/welcome", json={"token": link, "password": PASSWORD}),
        )
    )
    assert sorted(u.status for u in uses) == [200, 404]
    assert await log_in(desk, "bram", PASSWORD) == 200
    wrong = await desk.intake.post(
        "/v1/staff/welcome", json={"token": "x" * 43, "password": PASSWORD}
    )
    assert wrong.status == 404
    short = await desk.intake.post("/v1/staff/welcome", json={"token": link, "password": "kort"})
    assert short.status == 422


async def test_a_reset_and_switching_off_close_the_account(desk: Desk) -> None:
    made = await desk.intake.post(
        "/v1/staff",
        headers=desk.admin,
        json={
            "username": "cora",
            "role": "confidant",
            "confidant_id": "c-cora",
            "display_name": "Cora",
            "password": PASSWORD,
        },
    )
    assert made.status == 201 and "invite_url" not in await made.json()
    staff_id = (await made.json())["id"]
    assert await log_in(desk, "cora", PASSWORD) == 200
    listed = await (await desk.intake.get("/v1/staff", headers=desk.admin)).json()
    [cora] = [a for a in listed["items"] if a["username"] == "cora"]
    assert cora["active"] and cora["password_set"] and "email" not in cora
    anna = desk.confidant("c-anna")
    assert (await desk.intake.get("/v1/staff", headers=anna)).status == 403
    assert (await desk.intake.post(f"/v1/staff/{staff_id}/invite", headers=anna)).status == 403
    # A reset: the old password stops working at once; the new link sets another.
    reset = await desk.intake.post(f"/v1/staff/{staff_id}/invite", headers=desk.admin)
    assert reset.status == 200, await reset.text()
    assert await log_in(desk, "cora", PASSWORD) == 401
    link = token_of((await reset.json())["invite_url"])
    new = "een ander lang wachtwoord"
    welcome = await desk.intake.post("/v1/staff/welcome", json={"token": link, "password": new})
    assert welcome.status == 200
    assert await log_in(desk, "cora", new) == 200
    # Switched off: no log-in; on again: as before.
    off = await desk.intake.put(
        f"/v1/staff/{staff_id}/active", headers=desk.admin, json={"active": False}
    )
    assert off.status == 200 and not (await off.json())["active"]
    assert await log_in(desk, "cora", new) == 401
    on = await desk.intake.put(
        f"/v1/staff/{staff_id}/active", headers=desk.admin, json={"active": True}
    )
    assert on.status == 200
    assert await log_in(desk, "cora", new) == 200
    none = await desk.intake.put(
        "/v1/staff/nobody/active", headers=desk.admin, json={"active": True}
    )
    assert none.status == 404


async def test_an_invitation_expires(desk: Desk) -> None:
    made = await desk.intake.post(
        "/v1/staff",
        headers=desk.admin,
        json={"username": "dirk", "role": "admin", "display_name": "Dirk"},
    )
    link = token_of((await made.json())["invite_url"])
    state(desk.intake).clock.move(timedelta(days=8))
    late = await desk.intake.post("/v1/staff/welcome", json={"token": link, "password": PASSWORD})
    assert late.status == 404 and "expired" in await late.text()


async def test_the_office_gives_an_account_another_role(desk: Desk) -> None:
    made = await desk.intake.post(
        "/v1/staff",
        headers=desk.admin,
        json={"username": "cor", "role": "confidant", "confidant_id": "c-cor"}
        | {"display_name": "Cor", "password": PASSWORD},
    )
    assert made.status == 201, await made.text()
    cor = (await made.json())["id"]
    role = f"/v1/staff/{cor}/role"
    org = desk.org["id"]
    for wrong, field in [
        ({"role": "org_admin"}, "org_id"),
        ({"role": "confidant"}, "confidant_id"),
        ({"role": "superuser"}, "role"),
    ]:
        refused = await desk.intake.put(role, headers=desk.admin, json=wrong)
        assert refused.status == 422 and field in await refused.text()
    unknown = await desk.intake.put(
        role, headers=desk.admin, json={"role": "org_admin", "org_id": "nope"}
    )
    assert unknown.status == 422 and "org_id" in (await unknown.json())["error"]["fields"]
    assert (
        await desk.intake.put(role, headers=desk.confidant("c-anna"), json={"role": "admin"})
    ).status == 403
    changed = await desk.intake.put(
        role, headers=desk.admin, json={"role": "org_admin", "org_id": org}
    )
    assert changed.status == 200, await changed.text()
    shown = await changed.json()
    assert (shown["role"], shown["org_id"], shown["confidant_id"]) == ("org_admin", org, None)
    # The next log-in carries the new role and its organisation.
    login = await desk.intake.post("/v1/auth/token", json={"username": "cor", "password": PASSWORD})
    assert (await login.json())["role"] == "org_admin"
    # The office cannot change its own role (and so lock itself out).
    office = await desk.intake.post(
        "/v1/staff",
        headers=desk.admin,
        json={
            "username": "kantoor",
            "role": "admin",
            "display_name": "Kantoor",
            "password": PASSWORD,
        },
    )
    office_id = (await office.json())["id"]
    token = (
        await (
            await desk.intake.post(
                "/v1/auth/token", json={"username": "kantoor", "password": PASSWORD}
            )
        ).json()
    )["access_token"]
    own = await desk.intake.put(
        f"/v1/staff/{office_id}/role",
        headers={"Authorization": f"Bearer {token}"},
        json={"role": "confidant", "confidant_id": "c-k"},
    )
    assert own.status == 409
    missing = await desk.intake.put(
        "/v1/staff/nobody/role", headers=desk.admin, json={"role": "admin"}
    )
    assert missing.status == 404


async def test_the_server_keeps_and_checks_the_log_in_secret_never_the_password(
    desk: Desk,
) -> None:
    """The workspace sends the log-in secret it derives from the password (Argon2id, salted
    by the user name), the welcome page sets one the same way; what is stored is a hash of
    that secret. An account from before is asked for its password once, then moves over."""
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    from services.intake.store.collections import STAFF
    from shared import envelope

    made = await desk.intake.post(
        "/v1/staff",
        headers=desk.admin,
        json={"username": "dirk", "role": "admin", "display_name": "Dirk"},
    )
    link = token_of((await made.json())["invite_url"])
    account = await desk.intake.post("/v1/staff/welcome/account", json={"token": link})
    assert (await account.json()) == {"username": "dirk"}
    secret = envelope.login_secret("dirk", PASSWORD)
    both = {"token": link, "password": PASSWORD, "login_secret": secret}
    assert (await desk.intake.post("/v1/staff/welcome", json=both)).status == 422
    set_up = await desk.intake.post(
        "/v1/staff/welcome", json={"token": link, "login_secret": secret}
    )
    assert set_up.status == 200, await set_up.text()
    gone = await desk.intake.post("/v1/staff/welcome/account", json={"token": link})
    assert gone.status == 404  # used

    db = state(desk.intake).db
    stored = await db[STAFF].find_one({"username": "dirk"})
    assert stored is not None and stored["password_form"] == "login_secret"
    PasswordHasher().verify(stored["password_hash"], secret)
    with pytest.raises(VerificationError):  # not a hash of the password itself
        PasswordHasher().verify(stored["password_hash"], PASSWORD)
    for body in ({"login_secret": secret}, {"password": PASSWORD}):
        answer = await desk.intake.post("/v1/auth/token", json={"username": "Dirk", **body})
        assert answer.status == 200, (body, await answer.text())
    wrong = {"username": "dirk", "login_secret": envelope.login_secret("dirk", "geraden?")}
    assert (await desk.intake.post("/v1/auth/token", json=wrong)).status == 401

    # An account whose hash is of the password itself (set before): the password once.
    await db[STAFF].update_one(
        {"username": "dirk"},
        {
            "$set": {"password_hash": PasswordHasher().hash(PASSWORD)},
            "$unset": {"password_form": ""},
        },
    )
    asked = await desk.intake.post(
        "/v1/auth/token", json={"username": "dirk", "login_secret": secret}
    )
    assert asked.status == 401 and (await asked.json())["error"]["code"] == "password_needed"
    assert await log_in(desk, "dirk", PASSWORD) == 200
    moved = await db[STAFF].find_one({"username": "dirk"})
    assert moved is not None and moved["password_form"] == "login_secret"
    again = await desk.intake.post(
        "/v1/auth/token", json={"username": "dirk", "login_secret": secret}
    )
    assert again.status == 200
