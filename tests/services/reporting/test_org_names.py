"""Reporting names an organisation and its departments as intake's events say, for the
employer's page and the reports; only the organisation's own people and the office read it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.reporting.api.consumer import name_org
from services.reporting.state import REPORTING
from shared.event_schemas import OrgUpdated
from shared.events import new_event
from tests.conftest import StartService
from tests.polling import eventually
from tests.services.reporting.test_reports import bearer


async def test_the_name_and_departments_follow_intake(
    start_service: StartService, token: Callable[..., str]
) -> None:
    intake = await start_service("intake")
    reporting = await start_service("reporting")
    admin_i = bearer(token("admin", "intake"))
    made = await intake.post(
        "/v1/orgs",
        headers=admin_i,
        json={"name": "Zorggroep Noord", "slug": "zorggroep-noord", "departments": ["Zorg"]},
    )
    org = await made.json()
    hr = bearer(token("org_admin", "reporting", org_id=org["id"]))

    async def named(name: str, departments: list[str]) -> bool:
        answer = await reporting.get(f"/v1/orgs/{org['id']}", headers=hr)
        found: dict[str, object] = await answer.json()
        return found == {"id": org["id"], "name": name, "departments": departments}

    await eventually(lambda: named("Zorggroep Noord", ["Zorg"]))
    renamed = await intake.patch(
        f"/v1/orgs/{org['id']}",
        headers=admin_i,
        json={"name": "Zorggroep Noord-Oost", "departments": ["Zorg", "Staf"]},
    )
    assert renamed.status == 200, await renamed.text()
    await eventually(lambda: named("Zorggroep Noord-Oost", ["Zorg", "Staf"]))
    # A change of something else says nothing to reporting, and changes nothing there.
    await intake.patch(f"/v1/orgs/{org['id']}", headers=admin_i, json={"retention_days": 400})
    assert await named("Zorggroep Noord-Oost", ["Zorg", "Staf"])

    # An older event delivered late (a redelivery after a newer one) changes nothing.
    late = new_event(
        OrgUpdated, {"org_id": org["id"], "org_name": "Oude naam"}, source="intake"
    ).model_copy(update={"occurred_at": datetime.now(UTC) - timedelta(hours=1)})
    assert reporting.app is not None
    await name_org(reporting.app[REPORTING], late, OrgUpdated.model_validate(late.data))
    assert await named("Zorggroep Noord-Oost", ["Zorg", "Staf"])

    other = bearer(token("org_admin", "reporting", org_id="another-org"))
    assert (await reporting.get(f"/v1/orgs/{org['id']}", headers=other)).status in (403, 404)
    employee = bearer(token("employee", "reporting", org_id=org["id"], case_id="c1"))
    assert (await reporting.get(f"/v1/orgs/{org['id']}", headers=employee)).status == 403
    assert (await reporting.get(f"/v1/orgs/{org['id']}")).status == 401
