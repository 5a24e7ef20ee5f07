from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import StartService
from tests.services.intake.conftest import Client, Desk, bearer


async def test_admin_creates_and_changes_an_organisation(
    intake: Client, admin: dict[str, str]
) -> None:
    created = await intake.post(
        "/v1/orgs",
        headers=admin,
        json={"name": "Gemeente Oost", "slug": "gemeente-oost", "retention_days": 730},
    )
    assert created.status == 201
    org = await created.json()
    assert org["retention_days"] == 730 and org["report_threshold"] == 5
    again = await intake.post(
        "/v1/orgs", headers=admin, json={"name": "Ander", "slug": "gemeente-oost"}
    )
    assert again.status == 409 and (await again.json())["error"]["fields"] == {
        "slug": "already in use"
    }
    changed = await intake.patch(
        f"/v1/orgs/{org['id']}", headers=admin, json={"report_threshold": 10}
    )
    assert (await changed.json())["report_threshold"] == 10
    assert (await intake.patch("/v1/orgs/nope", headers=admin, json={"name": "x"})).status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "slug": "Has Spaces"},
        {"name": "", "slug": "ok-slug"},
        {"name": "X", "slug": "ok-slug", "retention_days": 1},
        {"name": "X", "slug": "ok-slug", "unknown": True},
    ],
)
async def test_bad_organisations_are_refused(
    intake: Client, admin: dict[str, str], body: dict[str, Any]
) -> None:
    response = await intake.post("/v1/orgs", headers=admin, json=body)
    assert response.status == 422
    assert (await intake.get("/v1/orgs", headers=admin)).status == 200
    assert (await (await intake.get("/v1/orgs", headers=admin)).json())["items"] == []


async def test_only_admins_manage_organisations_and_org_admins_see_their_own(desk: Desk) -> None:
    own = bearer(desk.token("org_admin", "intake", org_id=desk.org["id"]))
    assert (
        await desk.intake.post("/v1/orgs", headers=own, json={"name": "X", "slug": "x-org"})
    ).status == 403
    other = await (
        await desk.intake.post("/v1/orgs", headers=desk.admin, json={"name": "Y", "slug": "y-org"})
    ).json()
    listed = await (await desk.intake.get("/v1/orgs", headers=own)).json()
    assert [o["id"] for o in listed["items"]] == [desk.org["id"]]
    assert (await desk.intake.get(f"/v1/orgs/{other['id']}", headers=own)).status == 403
    assert (await desk.intake.get(f"/v1/orgs/{desk.org['id']}", headers=own)).status == 200


async def test_public_read_gives_what_an_intake_page_needs_and_nothing_else(
    intake: Client, org: dict[str, Any], admin: dict[str, str]
) -> None:
    await intake.post(
        "/v1/staff",
        headers=admin,
        json={
            "username": "anna",
            "password": "een lang wachtwoord",
            "role": "confidant",
            "display_name": "Anna Bakker",
            "confidant_id": "c-anna",
            "bio": "Mediator, 20 jaar.",
        },
    )
    page = await (await intake.get("/v1/public/orgs/zorggroep-noord?lang=en")).json()
    assert set(page) == {
        "name",
        "slug",
        "locale",
        "departments",
        "confidants",
        "categories",
        "integrity_subtypes",
        "channels",
        "meeting_modes",
        "out_of_scope",
    }
    assert page["confidants"] == [
        {"id": "c-anna", "display_name": "Anna Bakker", "bio": "Mediator, 20 jaar."}
    ]
    assert {"id": "seksuele_intimidatie", "label": "Sexual harassment"} in page["categories"]
    assert "reorganisation" in page["out_of_scope"]
    dutch = await (await intake.get("/v1/public/orgs/zorggroep-noord")).json()
    assert "reorganisatie" in dutch["out_of_scope"]
    assert (await intake.get("/v1/public/orgs/nobody")).status == 404


async def test_login_issues_scoped_tokens(
    intake: Client, org: dict[str, Any], admin: dict[str, str]
) -> None:
    for body in (
        {"username": "anna", "role": "confidant", "confidant_id": "c-anna"},
        {"username": "hr.noord", "role": "org_admin", "org_id": org["id"]},
    ):
        created = await intake.post(
            "/v1/staff",
            headers=admin,
            json={**body, "password": "een lang wachtwoord", "display_name": "X"},
        )
        assert created.status == 201, await created.text()
    login = await intake.post(
        "/v1/auth/token",
        json={"username": "Anna", "password": "een lang wachtwoord", "audience": ["intake"]},
    )
    assert login.status == 200
    me = await (
        await intake.get("/v1/whoami", headers=bearer((await login.json())["access_token"]))
    ).json()
    assert me == {"sub": "c-anna", "role": "confidant", "orgs": [org["id"]], "case_id": None}
    hr = await (
        await intake.post(
            "/v1/auth/token", json={"username": "hr.noord", "password": "een lang wachtwoord"}
        )
    ).json()
    me = await (await intake.get("/v1/whoami", headers=bearer(hr["access_token"]))).json()
    assert me["role"] == "org_admin" and me["orgs"] == [org["id"]]
    duplicate = await intake.post(
        "/v1/staff",
        headers=admin,
        json={
            "username": "anna",
            "password": "een lang wachtwoord",
            "role": "admin",
            "display_name": "X",
        },
    )
    assert duplicate.status == 409
    short = await intake.post(
        "/v1/staff",
        headers=admin,
        json={"username": "kort", "password": "kort", "role": "admin", "display_name": "X"},
    )
    assert short.status == 422 and "password" in (await short.json())["error"]["fields"]


async def test_repeated_failed_logins_are_slowed_and_locked_out(
    start_service: StartService, token: Callable[..., str]
) -> None:
    intake = await start_service("intake", INTAKE_LOGIN_MAX_FAILURES="3", INTAKE_LOCKOUT_S="60")
    admin = bearer(token("admin", "intake"))
    await intake.post(
        "/v1/staff",
        headers=admin,
        json={
            "username": "beheer",
            "password": "een lang wachtwoord",
            "role": "admin",
            "display_name": "Beheer",
        },
    )
    statuses = []
    for _ in range(3):
        wrong = await intake.post(
            "/v1/auth/token", json={"username": "beheer", "password": "geraden?"}
        )
        statuses.append(wrong.status)
    assert statuses == [401, 401, 401]
    right = await intake.post(
        "/v1/auth/token", json={"username": "beheer", "password": "een lang wachtwoord"}
    )
    assert right.status == 429 and int(right.headers["Retry-After"]) > 0
    unknown = await intake.post("/v1/auth/token", json={"username": "niemand", "password": "x"})
    assert unknown.status == 401
    assert (await unknown.json())["error"]["message"] == "wrong user name or password"


def test_the_first_admin_is_made_with_a_command(
    service_env: dict[str, str], start_service: StartService
) -> None:
    import os
    import subprocess
    import sys

    def create_admin(username: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.intake.manage", "create-admin", username],
            input=f"{password}\n",
            env={**os.environ, **service_env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    made = create_admin("Eerste.Beheerder", "een lang wachtwoord")
    assert made.returncode == 0, made.stderr
    again = create_admin("eerste.beheerder", "een lang wachtwoord")
    assert again.returncode == 1 and "taken" in again.stderr
    weak = create_admin("tweede", "kort")
    assert weak.returncode == 2 and "password" in weak.stderr


async def test_the_admin_made_by_the_command_can_log_in(
    service_env: dict[str, str], start_service: StartService
) -> None:
    from services.intake.manage import create_admin
    from services.intake.settings import IntakeSettings

    await create_admin(IntakeSettings.from_env(service_env), "beheer", "een lang wachtwoord")
    intake = await start_service("intake")
    login = await intake.post(
        "/v1/auth/token", json={"username": "beheer", "password": "een lang wachtwoord"}
    )
    assert login.status == 200 and (await login.json())["role"] == "admin"
