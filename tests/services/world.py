"""Two organisations across all four services, for the tests that probe every route."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.booking.app import SPEC as BOOKING_SPEC
from services.intake.app import SPEC as INTAKE_SPEC
from services.notify.app import SPEC as NOTIFY_SPEC
from services.reporting.app import SPEC as REPORTING_SPEC
from services.reporting.state import REPORTING
from shared import envelope
from shared.auth import Role
from tests.conftest import StartService
from tests.scene import bearer, book
from tests.scene import booking as booking_body
from tests.services.booking.conftest import WEEKDAYS, next_weekday_at, setup_type

Client = TestClient[web.Request, web.Application]
SPECS = {s.name: s for s in (INTAKE_SPEC, BOOKING_SPEC, NOTIFY_SPEC, REPORTING_SPEC)}


class World:
    """Two organisations, each with a confidant and a case; A also has an appointment, a
    report, a signal and a webhook."""

    def __init__(self, token: Callable[..., str]) -> None:
        self.issue = token
        self.clients: dict[str, Client] = {}
        self.ids: dict[str, str] = {}  # path parameter -> an id of organisation A
        self.other: dict[str, str] = {}  # organisation B's org id and case id

    def token(self, role: Role, service: str, side: str) -> dict[str, str]:
        a = side == "own"
        org = self.ids["org_id"] if a else self.other["org_id"]
        case = self.ids["case_id"] if a else self.other["case_id"]
        every: dict[str, dict[str, Any]] = {
            "admin": {"sub": "office"},
            "confidant": {"sub": "c-anna" if a else "c-bram", "orgs": [org]},
            "org_admin": {"sub": "hr", "org_id": org},
            "employee": {"sub": f"case-{case}", "org_id": org, "case_id": case},
            "service": {"sub": "notify"},
        }
        claims = every[role]
        return bearer(self.issue(role, service, **claims))

    def secrets(self) -> list[str]:
        """What another organisation's caller must never read."""
        keys = (
            "case_id",
            "appointment_id",
            "report_id",
            "signal_id",
            "webhook_id",
            "invoice_id",
            "credit_note_id",
            "meeting_id",
        )
        return [self.ids[k] for k in keys]


@pytest.fixture
async def world(start_service: StartService, token: Callable[..., str]) -> World:
    w = World(token)
    for name in SPECS:
        w.clients[name] = await start_service(
            name, NOTIFY_WEBHOOK_ALLOW_PRIVATE="true", INTAKE_CASE_RATE_LIMIT="1000"
        )
    intake, booking = w.clients["intake"], w.clients["booking"]
    admin_i = bearer(token("admin", "intake", sub="office"))
    admin_b = bearer(token("admin", "booking", sub="office"))
    for side, slug, confidant in (("own", "org-a", "c-anna"), ("other", "org-b", "c-bram")):
        made = await intake.post(
            "/v1/orgs",
            headers=admin_i,
            json={"name": slug.upper(), "slug": slug, "confidant_ids": [confidant]},
        )
        assert made.status == 201, await made.text()
        org_id = (await made.json())["id"]
        case = await intake.post(
            "/v1/cases", json={"organisation": slug, "category": "pesten", "anonymous": True}
        )
        assert case.status == 201, await case.text()
        target = w.ids if side == "own" else w.other
        target.update({"org_id": org_id, "case_id": (await case.json())["case_id"]})
        added = await booking.post(
            "/v1/confidants",
            headers=admin_b,
            json={"id": confidant, "display_name": confidant, "org_ids": [org_id]},
        )
        assert added.status == 201, await added.text()
        hours = await booking.put(
            f"/v1/confidants/{confidant}/hours", headers=admin_b, json={"weekly": WEEKDAYS}
        )
        assert hours.status == 200, await hours.text()
    # Anna's keys, as her browser makes them: a colleague's key is there to be read.
    from tests.services.intake.test_keys import made_in_the_browser

    keys, _ = made_in_the_browser("een lang genoeg wachtwoord", envelope.KeyPair.generate())
    kept = await intake.put("/v1/me/keys", headers=w.token("confidant", "intake", "own"), json=keys)
    assert kept.status == 201, await kept.text()
    w.ids["person_id"] = "c-anna"
    await setup_type(booking, admin_b)
    booked = await book(booking, w.token("employee", "booking", "own"), next_weekday_at(10))
    # The organisation's own meeting with the firm, booked by its admin.
    intro: dict[str, Any] = {"id": "intro", "name": {"nl": "Kennismaking", "en": "Introduction"}}
    intro |= {"duration_min": 60, "modes": ["online"], "min_notice_min": 0}
    made = await booking.post(
        "/v1/appointment-types", headers=admin_b, json={**intro, "audience": "organisation"}
    )
    assert made.status == 201, await made.text()
    meeting = await booking.post(
        f"/v1/orgs/{w.ids['org_id']}/meetings",
        headers=w.token("org_admin", "booking", "own"),
        json={**booking_body(next_weekday_at(14)), "type_id": "intro"},
    )
    assert meeting.status == 201, await meeting.text()
    hook = await w.clients["notify"].post(
        f"/v1/orgs/{w.ids['org_id']}/webhooks",
        headers=bearer(token("admin", "notify", sub="office")),
        json={"url": "http://127.0.0.1:9/hook", "events": ["reporting.report.ready"]},
    )
    assert hook.status == 201, await hook.text()
    # A published report and a proposed signal, stored as reporting stores them.
    reporting_app = w.clients["reporting"].app
    assert reporting_app is not None
    db = reporting_app[REPORTING].db
    now = datetime.now(UTC)
    report_id, signal_id = secrets.token_hex(12), secrets.token_urlsafe(16)
    month = now.year * 12
    await db["reports"].insert_one(
        {
            "_id": report_id,
            "org_id": w.ids["org_id"],
            "kind": "yearly",
            "status": "published",  # an org_admin sees nothing else
            "published_at": now,
            "k": 5,
            "release": {
                "start": month,
                "end": month + 12,
                "totals": {},
                "tables": [],
                "sub_totals": [],
            },
            "hours": None,
            "previous": None,
            "advice": {},
            "created_by": "c-anna",
            "created_at": now,
        }
    )
    await db["signals"].insert_one(
        {
            "_id": signal_id,
            "org_id": w.ids["org_id"],
            "status": "proposed",
            "proposed_at": now,
            "rule": "category_rise",
            "category": "pesten",
            "department_index": None,
            "window_end": now.date().isoformat(),
        }
    )
    await db["contracts"].insert_one(
        {
            "_id": w.ids["org_id"],
            "legal_name": "Zorggroep",
            "street": "S 1",
            "postcode": "1",
            "city": "Z",
            "country": "NL",
            "kvk": "12345678",
            "vat_id": None,
            "buyer_reference": "PO-1",
            "hourly_rate": "95.00",
            "travel": "none",
            "travel_per_visit": "0",
            "rate_per_km": "0",
            "travel_hourly_rate": "0",
            "subscription_per_month": "0",
            "administration": "none",
            "administration_fee": "0",
            "vat_percent": "21",
            "locale": "nl",
        }
    )
    # An invoice, stored as reporting stores one (quantities and amounts per period only).
    invoice_id = secrets.token_hex(12)
    party = {"street": "S 1", "postcode": "1", "city": "Z", "country": "NL", "kvk": "12345678"}
    await db["invoices"].insert_one(
        {
            "_id": invoice_id,
            "org_id": w.ids["org_id"],
            "number": f"{now.year}-9999",
            "start": month - 12,
            "end": month,
            "period_start": f"{now.year - 1}-01-01",
            "period_end": f"{now.year - 1}-12-31",
            "issue_date": now.date().isoformat(),
            "due_date": now.date().isoformat(),
            "payment_days": 30,
            "currency": "EUR",
            "locale": "nl",
            "seller": {
                **party,
                "name": "VP",
                "vat_id": "NL000099998B57",
                "iban": "NL91ABNA0417164300",
            },
            "buyer": {**party, "name": "Zorggroep", "reference": "PO-1"},
            "lines": [
                {
                    "code": "case_work",
                    "quantity": "2",
                    "unit": "HUR",
                    "price": "95.00",
                    "amount": "190.00",
                }
            ],
            "net": "190.00",
            "vat_percent": "21",
            "vat": "39.90",
            "gross": "229.90",
            "created_at": now,
        }
    )
    # A credit note of it, as reporting makes one (the invoice's own id, so it is its only one).
    stored = await db["invoices"].find_one({"_id": invoice_id})
    assert stored is not None
    await db["credit_notes"].insert_one(
        {
            **stored,
            "number": f"CN-{now.year}-9999",
            "invoice_number": stored["number"],
            "invoice_date": stored["issue_date"],
            "reason": "a correction",
        }
    )
    # An account the office keeps (the office reaches every one: no organisation's own).
    account = await intake.post(
        "/v1/staff",
        headers=admin_i,
        json={
            "username": "anna-world",
            "role": "confidant",
            "confidant_id": "c-anna",
            "display_name": "Anna",
        },
    )
    assert account.status == 201, await account.text()
    w.ids.update(
        {
            "staff_id": (await account.json())["id"],
            "invoice_id": invoice_id,
            "credit_note_id": invoice_id,
            "appointment_id": booked["id"],
            "webhook_id": (await hook.json())["id"],
            "report_id": report_id,
            "signal_id": signal_id,
            "confidant_id": "c-anna",
            "delivery_id": secrets.token_hex(12),  # none made: only its role is checked
            "activity_id": secrets.token_hex(12),  # none made: only its role is checked
            "type_id": "gesprek",
            "meeting_id": (await meeting.json())["id"],
        }
    )
    return w
