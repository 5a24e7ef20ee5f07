"""A person's keys as intake keeps them (issue 26): set once from what the browser made,
given back wrapped; the server checks their shapes and can open none of them."""

from __future__ import annotations

import base64
from typing import Any

from nacl.public import PrivateKey

from shared import envelope
from tests.conftest import StartService
from tests.services.intake.conftest import Desk, bearer

B64 = base64.b64encode


def made_in_the_browser(password: str, escrow: envelope.KeyPair) -> tuple[dict[str, Any], bytes]:
    """What the first log-in makes (shared/static/envelope.js does the same), and the
    recovery key shown to its owner."""
    pair, salt, recovery = envelope.KeyPair.generate(), envelope.new_salt(), bytes(range(32))
    by_password = envelope.wrap(envelope.derive(password, salt), pair.private)
    body = {
        "public_key": B64(pair.public).decode(),
        "by_password": B64(by_password).decode(),
        "salt": B64(salt).decode(),
        "ops": envelope.OPS,
        "memory": envelope.MEMORY,
        "by_recovery": B64(envelope.wrap(recovery, pair.private)).decode(),
        "to_escrow": B64(envelope.seal(escrow.public, pair.private)).decode(),
        "message_key": B64(envelope.message_key(pair.private)).decode(),
    }
    return body, recovery


def pair_of(body: dict[str, Any], recovery: bytes) -> envelope.KeyPair:
    """The key pair the browser's keys hold (opened with the recovery key, as a kit would)."""
    private = envelope.unwrap(recovery, base64.b64decode(body["by_recovery"]))
    return envelope.KeyPair(base64.b64decode(body["public_key"]), private)


async def test_keys_are_kept_once_and_opened_only_with_what_their_owner_has(desk: Desk) -> None:
    anna = desk.confidant("c-anna")
    escrow = envelope.KeyPair.generate()
    missing = await desk.intake.get("/v1/me/keys", headers=anna)
    assert missing.status == 404
    body, recovery = made_in_the_browser("een lang genoeg wachtwoord", escrow)
    made = await desk.intake.put("/v1/me/keys", headers=anna, json=body)
    assert made.status == 201, await made.text()
    kept = await (await desk.intake.get("/v1/me/keys", headers=anna)).json()
    assert kept == body
    public = base64.b64decode(kept["public_key"])
    # Each of the three ways opens the same private key: the one of the public key.
    by_password = envelope.unwrap(
        envelope.derive("een lang genoeg wachtwoord", base64.b64decode(kept["salt"])),
        base64.b64decode(kept["by_password"]),
    )
    by_recovery = envelope.unwrap(recovery, base64.b64decode(kept["by_recovery"]))
    by_escrow = envelope.open_sealed(escrow, base64.b64decode(kept["to_escrow"]))
    assert by_password == by_recovery == by_escrow
    assert bytes(PrivateKey(by_password).public_key) == public
    # Never replaced by a request: a stolen password cannot swap in a thief's keys.
    other, _ = made_in_the_browser("een ander wachtwoord", escrow)
    again = await desk.intake.put("/v1/me/keys", headers=anna, json=other)
    assert again.status == 409
    assert (await (await desk.intake.get("/v1/me/keys", headers=anna)).json()) == body
    # Another confidant's are theirs.
    bram = await desk.intake.get("/v1/me/keys", headers=desk.confidant("c-bram"))
    assert bram.status == 404


async def test_keys_not_as_the_browser_makes_them_are_refused_by_name(desk: Desk) -> None:
    anna = desk.confidant("c-anna")
    body, _ = made_in_the_browser("een lang genoeg wachtwoord", envelope.KeyPair.generate())
    short = B64(b"\x02" + bytes(40)).decode()
    cases = [
        ({"public_key": B64(bytes(16)).decode()}, "public_key"),
        ({"by_password": short}, "by_password"),
        ({"by_recovery": body["to_escrow"]}, "by_recovery"),  # a sealed one, not wrapped
        ({"to_escrow": body["by_password"]}, "to_escrow"),
        ({"salt": B64(bytes(8)).decode()}, "salt"),
        ({"ops": 1}, "ops"),
        ({"memory": 8 * 1024 * 1024}, "memory"),
        ({"public_key": "not base64!"}, "public_key"),
        ({"extra": "x"}, "extra"),
        ({"message_key": B64(bytes(31)).decode()}, "message_key"),
    ]
    for change, field in cases:
        answer = await desk.intake.put("/v1/me/keys", headers=anna, json={**body, **change})
        assert answer.status == 422, (field, await answer.text())
        assert field in (await answer.json())["error"]["fields"], (field, await answer.text())
    assert (await desk.intake.get("/v1/me/keys", headers=anna)).status == 404  # none kept
    assert (await desk.intake.put("/v1/me/keys", json=body)).status == 401
    org_admin = bearer(desk.token("org_admin", "intake", org_id=desk.org["id"]))
    assert (await desk.intake.put("/v1/me/keys", headers=org_admin, json=body)).status == 403


async def test_the_escrow_key_is_given_when_the_firm_made_one(
    start_service: StartService, desk: Desk
) -> None:
    anna = desk.confidant("c-anna")
    assert (await desk.intake.get("/v1/keys/escrow", headers=anna)).status == 404
    escrow = B64(envelope.KeyPair.generate().public).decode()
    intake = await start_service("intake", INTAKE_ESCROW_PUBLIC_KEY=escrow)
    answer = await intake.get("/v1/keys/escrow", headers=anna)
    assert answer.status == 200
    assert (await answer.json()) == {"public_key": escrow, "signing_key": None}
