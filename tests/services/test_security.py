"""The findings of the outside audit, each held by a test that failed before its fix."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from shared.log import JsonFormatter
from tests.browser.setup import make_org
from tests.conftest import StartService
from tests.scene import bearer
from tests.services.booking.conftest import setup_confidant, setup_type
from tests.services.intake.conftest import NAMED

Client = TestClient[web.Request, web.Application]


async def wrong_codes(intake: Client, forwarded: list[str]) -> list[int]:
    """A wrong case code tried once from each X-Forwarded-For given: the answers."""
    statuses = []
    for chain in forwarded:
        answer = await intake.post(
            "/v1/cases/access",
            json={"case_code": "WRONG-CODE-0000-0000"},
            headers={"X-Forwarded-For": chain},
        )
        statuses.append(answer.status)
    return statuses


async def test_a_client_cannot_pick_its_own_rate_limit_key(
    start_service: StartService, token: Callable[..., str]
) -> None:
    # One proxy of ours appends the address it saw; whatever the client wrote before it
    # is the client's own invention and must not become a fresh rate-limit key.
    intake = await start_service(
        "intake", INTAKE_TRUSTED_PROXIES="127.0.0.1", INTAKE_CODE_MAX_FAILURES="5"
    )
    statuses = await wrong_codes(intake, [f"198.51.100.{i}, 203.0.113.9" for i in range(12)])
    assert statuses[:5] == [401] * 5
    assert 429 in statuses, statuses


async def test_forwarded_addresses_count_only_from_a_trusted_proxy(
    start_service: StartService,
) -> None:
    # The test client connects from 127.0.0.1, which is not the proxy named here: whatever
    # X-Forwarded-For it writes, it is one address, and is locked out as one.
    intake = await start_service(
        "intake", INTAKE_TRUSTED_PROXIES="192.0.2.10", INTAKE_CODE_MAX_FAILURES="3"
    )
    statuses = await wrong_codes(intake, [f"203.0.113.{i}" for i in range(6)])
    assert statuses[:3] == [401] * 3 and statuses[3:] == [429] * 3, statuses


async def test_rotating_addresses_meets_the_organisations_limit(
    start_service: StartService, token: Callable[..., str]
) -> None:
    intake = await start_service(
        "intake",
        INTAKE_TRUSTED_PROXIES="127.0.0.1",
        INTAKE_CODE_MAX_FAILURES="3",
        INTAKE_CODE_MAX_FAILURES_PER_ORG="4",
    )
    admin = {"Authorization": f"Bearer {token('admin', 'intake')}"}
    made = await intake.post(
        "/v1/orgs",
        headers=admin,
        json={"name": "Zorggroep Noord", "slug": "zorggroep-noord", "confidant_ids": ["c-anna"]},
    )
    assert made.status == 201, await made.text()
    reported = await intake.post(
        "/v1/cases",
        json={"organisation": "zorggroep-noord", "category": "pesten", "anonymous": True},
    )
    assert reported.status == 201, await reported.text()
    code = (await reported.json())["case_code"]

    async def guess(address: str, case_code: str, org: str | None) -> int:
        body = {"case_code": case_code, **({"organisation": org} if org else {})}
        headers = {"X-Forwarded-For": address}
        answer = await intake.post("/v1/cases/access", json=body, headers=headers)
        return answer.status

    # A code is found only within the organisation named, and another's slug is a 404.
    assert await guess("203.0.113.1", code, "zorggroep-noord") == 200
    assert await guess("203.0.113.1", code, "nergens") == 404
    # Each guess from a fresh address, all against one organisation: its budget runs out.
    rotated = [
        await guess(f"198.51.100.{i}", "WRONG-CODE-0000-0000", "zorggroep-noord") for i in range(6)
    ]
    assert rotated[:4] == [401] * 4 and rotated[4:] == [429] * 2, rotated
    # Locked for that organisation, even for the right code from a new address; codes tried
    # without an organisation have a budget of their own, suite-wide.
    assert await guess("198.51.100.99", code, "zorggroep-noord") == 429
    assert await guess("198.51.100.98", code, None) == 200


async def test_the_nearest_trusted_proxy_decides_the_address(
    start_service: StartService,
) -> None:
    intake = await start_service(
        "intake", INTAKE_TRUSTED_PROXIES="127.0.0.1", INTAKE_CODE_MAX_FAILURES="3"
    )
    # Different real clients (as the proxy saw them) are counted apart.
    assert await wrong_codes(intake, [f"203.0.113.{i}" for i in range(6)]) == [401] * 6


async def test_bad_bytes_and_long_time_zones_are_4xx(
    start_service: StartService, token: Callable[..., str]
) -> None:
    intake = await start_service("intake")
    not_utf8 = await intake.post(
        "/v1/cases",
        data=b'{"organisation": "\xff\xfe"}',
        headers={"Content-Type": "application/json"},
    )
    assert not_utf8.status == 400
    assert (await not_utf8.json())["error"]["code"] == "malformed_json"
    deep = await intake.post(
        "/v1/cases", data=b"[" * 100_000, headers={"Content-Type": "application/json"}
    )
    assert deep.status in (400, 413)

    booking = await start_service("booking")
    admin = bearer(token("admin", "booking"))
    await setup_confidant(booking, admin)
    await setup_type(booking, admin)
    employee = bearer(token("employee", "booking", org_id="org-noord", case_id="case-1"))
    for zone in ("x" * 5000, "../../etc/passwd", "Europe/Nowhere", "\x00"):
        answer = await booking.get(
            "/v1/slots",
            params={"confidant_id": "c-anna", "type_id": "gesprek", "timezone": zone},
            headers=employee,
        )
        assert answer.status == 422, zone[:20]
        assert (await answer.json())["error"]["fields"] == {"timezone": "not a known time zone"}


async def test_answers_with_case_content_or_tokens_are_never_stored(
    start_service: StartService, token: Callable[..., str]
) -> None:
    intake = await start_service("intake")
    org = await make_org(intake, token)
    made = await intake.post(
        "/v1/cases", json={**NAMED, "organisation": org["slug"], "department": None}
    )
    assert made.status == 201
    assert made.headers["Cache-Control"] == "no-store"
    case = await made.json()
    again = await intake.post("/v1/cases/access", json={"case_code": case["case_code"]})
    assert again.headers["Cache-Control"] == "no-store"
    employee = bearer((await again.json())["token"])
    for path in (f"/v1/cases/{case['case_id']}", f"/v1/cases/{case['case_id']}/messages"):
        answer = await intake.get(path, headers=employee)
        assert answer.status == 200
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    refused = await intake.post("/v1/auth/token", json={"username": "x", "password": "y"})
    assert refused.headers["Cache-Control"] == "no-store"


async def test_every_html_answer_has_the_page_headers(
    start_service: StartService, token: Callable[..., str]
) -> None:
    from datetime import UTC, datetime

    from services.reporting.state import REPORTING

    reporting = await start_service("reporting")
    app = reporting.app
    assert app is not None
    now = datetime.now(UTC)
    await (
        app[REPORTING]
        .db["reports"]
        .insert_one(
            {
                "_id": "a" * 24,
                "org_id": "org-1",
                "kind": "yearly",
                "status": "published",
                "published_at": now,
                "k": 5,
                "release": {
                    "start": now.year * 12,
                    "end": now.year * 12 + 12,
                    "totals": {},
                    "tables": [],
                    "sub_totals": [],
                },
                "advice": {},
                "created_at": now,
            }
        )
    )
    viewer = bearer(token("org_admin", "reporting", org_id="org-1"))
    answer = await reporting.get(f"/v1/reports/{'a' * 24}?format=html", headers=viewer)
    assert answer.status == 200 and answer.content_type == "text/html"
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"
    page = await reporting.get("/org")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


async def test_an_employer_sees_no_free_slots_and_no_calendar_details(
    start_service: StartService, token: Callable[..., str]
) -> None:
    booking = await start_service("booking")
    admin = bearer(token("admin", "booking"))
    await setup_confidant(booking, admin)
    await setup_type(booking, admin)
    employer = bearer(token("org_admin", "booking", org_id="org-noord"))
    slots = await booking.get(
        "/v1/slots", params={"confidant_id": "c-anna", "type_id": "gesprek"}, headers=employer
    )
    assert slots.status == 403
    # Its own meetings with the firm it books: their free times only.
    intro: dict[str, Any] = {"id": "intro", "name": {"nl": "Kennismaking", "en": "Introduction"}}
    intro |= {"duration_min": 60, "modes": ["online"], "audience": "organisation"}
    assert (await booking.post("/v1/appointment-types", headers=admin, json=intro)).status == 201
    meeting = {"confidant_id": "c-anna", "type_id": "intro"}
    assert (await booking.get("/v1/slots", params=meeting, headers=employer)).status == 200
    employee = bearer(token("employee", "booking", org_id="org-noord", case_id="case-1"))
    assert (await booking.get("/v1/slots", params=meeting, headers=employee)).status == 422
    # Employees may read their confidant's profile (the docs say any token may), but
    # neither they nor the employer see the hours or the calendar connection.
    employee = bearer(token("employee", "booking", org_id="org-noord", case_id="case-1"))
    for headers in (employer, employee):
        profile = await booking.get("/v1/confidants/c-anna", headers=headers)
        assert profile.status == 200
        shown = await profile.json()
        assert shown["display_name"] == "Anna"
        assert "calendar" not in shown and "hours" not in shown
    own = await booking.get(
        "/v1/confidants/c-anna",
        headers=bearer(token("confidant", "booking", orgs=["org-noord"], sub="c-anna")),
    )
    assert "calendar" in await own.json()
    elsewhere = bearer(token("employee", "booking", org_id="org-zuid", case_id="case-2"))
    unknown = await booking.get("/v1/confidants/c-anna", headers=elsewhere)
    nobody = await booking.get("/v1/confidants/c-nobody", headers=elsewhere)
    assert unknown.status == nobody.status == 404


async def test_metrics_need_the_metrics_token(start_service: StartService) -> None:
    off = await start_service("intake")
    assert (await off.get("/metrics")).status == 404
    on = await start_service("booking", METRICS_TOKEN="scrape-me-0123456789")
    assert (await on.get("/metrics")).status == 401
    wrong = await on.get("/metrics", headers=bearer("scrape-me-wrong"))
    assert wrong.status == 401
    right = await on.get("/metrics", headers=bearer("scrape-me-0123456789"))
    assert right.status == 200
    assert "http_requests_total" in await right.text()


async def test_malformed_requests_leave_no_client_address_in_the_logs(
    start_service: StartService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    intake = await start_service("intake")
    server = intake.server
    for raw in (
        b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # LineTooLong
        b"BROKEN\x00REQUEST\r\n\r\n",  # BadHttpMessage
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20_000 + b"\r\n\r\n",
    ):
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(raw)
        await writer.drain()
        answer = await reader.read(200)
        assert answer.split(b" ")[1].startswith(b"4"), answer
        writer.close()
        await writer.wait_closed()
    formatter = JsonFormatter("intake")
    lines = [formatter.format(record) for record in caplog.records]
    handled = [line for line in lines if "Error handling request" in line]
    assert handled, "aiohttp logged the malformed requests"
    for line in lines:
        assert "127.0.0.1" not in line, line


async def test_dates_no_one_can_mean_are_refused_before_anything_is_computed(
    start_service: StartService, token: Callable[..., str]
) -> None:
    # A window that ends past year 9999 cannot even be made (it answered 500): any date
    # outside 2000 to 2100 is a 422 naming the parameter.
    booking = await start_service("booking")
    anna = bearer(token("confidant", "booking", sub="c-anna"))
    for far in ("9999-12-30T00:00:00+00:00", "0001-01-01T00:00:00+00:00"):
        answer = await booking.get(
            "/v1/appointments", params={"from": far, "to": far}, headers=anna
        )
        assert answer.status == 422, await answer.text()
        assert "from" in (await answer.json())["error"]["fields"]
