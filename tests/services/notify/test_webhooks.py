"""Webhooks of an organisation: signed, retried, dead-lettered; and its admins' mail."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from services.notify.channels.webhooks import HEADER, verify
from shared.bus import Bus
from shared.event_schemas import ReportReady
from shared.events import new_event
from tests.polling import eventually
from tests.services.notify.conftest import ORG_ADMIN, Inbox, Suite, bearer


@dataclass
class Receiver:
    """An organisation's endpoint: answers with ``statuses`` in turn, then 200."""

    statuses: list[int] = field(default_factory=list)
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/vertrouwd", found.handle)
    server = TestServer(app)
    await server.start_server()
    found.url = str(server.make_url("/hooks/vertrouwd"))
    yield found
    await server.close()


def report_ready(org_id: str) -> Any:
    return new_event(
        ReportReady,
        {
            "report_id": "r-2026",
            "kind": "yearly",
            "period_from": "2026-01-01",
            "period_to": "2026-12-31",
        },
        source="reporting",
        org_id=org_id,
    )


async def add_webhook(suite: Suite, token: Callable[..., str], url: str) -> dict[str, Any]:
    org_admin = bearer(token("org_admin", "notify", org_id=suite.org["id"]))
    made = await suite.notify.post(
        f"/v1/orgs/{suite.org['id']}/webhooks",
        headers=org_admin,
        json={"url": url, "events": ["reporting.report.ready"]},
    )
    assert made.status == 201, await made.text()
    hook: dict[str, Any] = await made.json()
    return hook


async def test_a_published_report_reaches_admins_and_signed_webhooks_with_retries(
    suite: Suite, inbox: Inbox, bus: Bus, receiver: Receiver, token: Callable[..., str]
) -> None:
    hook = await add_webhook(suite, token, receiver.url)
    assert hook["secret"].startswith("whsec_")
    listed = await suite.notify.get(
        f"/v1/orgs/{suite.org['id']}/webhooks",
        headers=bearer(token("org_admin", "notify", org_id=suite.org["id"])),
    )
    assert "secret" not in (await listed.json())["items"][0]  # shown once, at creation
    receiver.statuses = [500, 503]  # two failures, then it works
    event = report_ready(suite.org["id"])
    await bus.publish(event)

    async def three_calls() -> bool:
        return len(receiver.calls) >= 3

    await eventually(three_calls)
    for headers, body in receiver.calls:
        now = time.time()
        assert verify(hook["secret"], headers[HEADER], body, now)
        assert not verify("whsec_wrong", headers[HEADER], body, now)
        assert headers["Vertrouwd-Event-Id"] == event.id
    payload = json.loads(receiver.calls[-1][1])
    assert payload["type"] == "reporting.report.ready" and payload["org_id"] == suite.org["id"]
    assert set(payload["data"]) == {"report_id", "kind", "period_from", "period_to"}

    async def admin_mailed() -> bool:
        return bool(inbox.to(ORG_ADMIN))

    await eventually(admin_mailed)
    [mail] = inbox.to(ORG_ADMIN)
    assert mail.message["Subject"] == "A new report from the confidant"  # her locale: en
    sent = {d["channel"]: d for d in await suite.deliveries(status="sent")}
    assert sent["webhook"]["attempts"] == 3 and sent["email"]["attempts"] == 1


async def test_a_webhook_that_keeps_failing_is_dead_and_visible(
    suite: Suite, bus: Bus, receiver: Receiver, token: Callable[..., str]
) -> None:
    await suite.stop_notify()
    await suite.restart_notify(NOTIFY_MAX_ATTEMPTS="3")
    await add_webhook(suite, token, receiver.url)
    receiver.statuses = [500] * 10
    await bus.publish(report_ready(suite.org["id"]))

    async def dead() -> bool:
        return len(await suite.deliveries(status="dead")) == 1

    await eventually(dead)
    [delivery] = await suite.deliveries(status="dead")
    assert delivery["attempts"] == 3 and delivery["last_error"] == "Transient: http 500"
    assert len(receiver.calls) == 3


async def test_webhook_endpoints_check_who_asks_and_what_is_asked(
    suite: Suite, token: Callable[..., str]
) -> None:
    org = suite.org["id"]
    mine = bearer(token("org_admin", "notify", org_id=org))
    other = bearer(token("org_admin", "notify", org_id="org-elders"))
    url = f"/v1/orgs/{org}/webhooks"
    body = {"url": "https://hooks.example.org/x", "events": ["reporting.report.ready"]}
    assert (await suite.notify.post(url, json=body)).status == 401
    assert (await suite.notify.post(url, headers=other, json=body)).status == 403
    employee = bearer(token("employee", "notify", org_id=org, case_id="c1"))
    assert (await suite.notify.post(url, headers=employee, json=body)).status == 403
    for bad, field_name in (
        ({**body, "events": ["intake.case.opened"]}, "events.0"),  # about a case: never
        ({**body, "url": "ftp://hooks.example.org/x"}, "url"),
        ({**body, "secret": "mine"}, "secret"),
    ):
        answer = await suite.notify.post(url, headers=mine, json=bad)
        assert answer.status == 422, await answer.text()
        assert field_name in (await answer.json())["error"]["fields"]
    made = await suite.notify.post(url, headers=mine, json=body)
    assert made.status == 201
    hook = await made.json()
    gone = await suite.notify.delete(f"{url}/{hook['id']}", headers=other)
    assert gone.status == 403
    assert (await suite.notify.delete(f"{url}/{hook['id']}", headers=mine)).status == 204
    assert (await suite.notify.delete(f"{url}/{hook['id']}", headers=mine)).status == 404
    # The delivery log is the firm's, not an organisation's.
    assert (await suite.notify.get("/v1/deliveries", headers=mine)).status == 403
    bad_status = await suite.notify.get("/v1/deliveries?status=lost", headers=suite.admin("notify"))
    # A bad query parameter is a 422 naming it, as in every service.
    assert bad_status.status == 422 and "status" in (await bad_status.json())["error"]["fields"]
