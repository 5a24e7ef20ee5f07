"""Bodies pick their fields from the stored types (``shared.http.picked``), where each entity
is declared once; a body filled in completely makes a valid document, every field as its
type (the document types are checked with ``extra="forbid"``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from deploy.seed import DEMO_TYPES
from services.booking.api.models import ConfidantCreate, Hours, TypeCreate
from services.booking.store.documents import APPOINTMENT_TYPE, CONFIDANT, HOURS
from services.intake.api.models import OrgCreate
from services.intake.store.documents import ORGANISATION
from services.reporting.store.documents import Contract
from tests.services.reporting.test_invoices import CONTRACT

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_a_confidant_with_every_field() -> None:
    given = ConfidantCreate.model_validate(
        {
            "id": "c-anna",
            "display_name": "Anna",
            "languages": ["nl", "en"],
            "gender": "female",
            "bio": {"nl": "Luistert.", "en": "Listens."},
            "timezone": "Europe/Amsterdam",
            "holidays": "NL",
            "org_ids": ["o1"],
            "locations": [{"id": "zwolle", "name": "Zwolle", "address": "Stationsplein 1"}],
        }
    ).model_dump()
    doc = CONFIDANT.validate_python(
        {"_id": given.pop("id"), **given, "hours": None, "created_at": NOW}
    )
    assert doc["bio"] == {"nl": "Luistert.", "en": "Listens."}
    assert doc["locations"][0]["address"] == "Stationsplein 1"


def test_hours_and_a_type_with_every_field() -> None:
    hours = Hours(
        weekly={"0": [{"start": "09:00", "end": "17:00"}]},
        overrides={"2026-12-24": [{"start": "09:00", "end": "12:00"}]},
        absences=[{"start": NOW, "end": NOW.replace(hour=17)}],
    )
    stored = HOURS.validate_python({**hours.model_dump(mode="json"), "absences": []})
    assert stored["overrides"] == {"2026-12-24": [{"start": "09:00", "end": "12:00"}]}
    # The demo's conversation, with the fields it leaves at their defaults given too.
    every = {**DEMO_TYPES[0], "buffer_before_min": 5, "weekly_cap": 12, "audience": "reporter"}
    kind = TypeCreate.model_validate(every).model_dump()
    assert set(kind) == set(every) == set(TypeCreate.model_fields)  # every field given
    doc = APPOINTMENT_TYPE.validate_python({"_id": kind.pop("id"), **kind})
    assert doc["weekly_cap"] == 12 and doc["name"]["en"] == "Confidential conversation"


def test_an_organisation_and_a_contract_with_every_field() -> None:
    org = OrgCreate.model_validate(
        {"name": "Noord", "slug": "noord", "locale": "en", "timezone": "Europe/Amsterdam"}
        | {"departments": ["Zorg"], "confidant_ids": ["c-anna"], "report_threshold": 5}
        | {"retention_days": 365}
    )
    doc = ORGANISATION.validate_python({"_id": "o1", **org.model_dump(), "created_at": NOW})
    assert doc["departments"] == ["Zorg"]
    # The contract the invoice tests use, and the fields they leave at their defaults.
    rest: dict[str, str | None] = {"country": "NL", "travel_per_visit": "0", "locale": "en"}
    rest |= {"travel_hourly_rate": "40", "subscription_per_month": "0"}
    rest |= {"oin": None, "vat_category": "S", "vat_exemption_reason": None}
    rest |= {"starts_on": "2026-01-01", "ends_on": None, "evaluate_on": "2026-12-01"}
    contract = Contract.model_validate({**CONTRACT, **rest})
    assert set(contract.model_dump()) == set(CONTRACT) | set(rest)  # every field given
    # One declaration: stored as decimal strings, read back as the same contract.
    stored = contract.model_dump(mode="json")
    assert stored["hourly_rate"] == "95.00" and stored["travel"] == "per_km"
    assert Contract.model_validate(stored) == contract
    assert contract.hourly_rate == Decimal("95.00")
