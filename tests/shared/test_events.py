from __future__ import annotations

import json
import typing

import pytest
from pydantic import BaseModel

from shared.event_schemas import CaseOpened
from shared.events import Envelope, InvalidEvent, decode, new_event, registered, schema_for
from shared.log import SENSITIVE_KEYS

CASE_OPENED = {
    "case_id": "c1",
    "category": "pesten",
    "channel": "web",
    "reporter_role": "employee",
    "anonymous": True,
}


def test_round_trip() -> None:
    event = new_event(CaseOpened, CASE_OPENED, source="intake", org_id="o1")
    back = decode(event.encode())
    assert back == event
    assert len(event.id) == 32 and event.occurred_at.tzinfo is not None


def test_unknown_fields_are_refused_so_personal_data_cannot_ride_along() -> None:
    with pytest.raises(InvalidEvent, match="email: extra_forbidden"):
        new_event(CaseOpened, {**CASE_OPENED, "email": "jan@example.nl"}, source="intake")


def test_the_error_never_quotes_the_offending_value() -> None:
    with pytest.raises(InvalidEvent) as caught:
        new_event(
            CaseOpened,
            {**CASE_OPENED, "category": "Jan de Vries pest mij"},
            source="intake",
        )
    assert "Jan" not in str(caught.value)


def test_unknown_type() -> None:
    with pytest.raises(InvalidEvent, match="unknown event type"):
        schema_for("intake.case.exploded", 1)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"{}",
        b'{"id": "x"}',
        json.dumps(
            {
                "id": "0" * 32,
                "type": "intake.case.opened",
                "version": 1,
                "occurred_at": "2026-01-01T00:00:00",
                "source": "intake",
                "data": CASE_OPENED,
            }
        ).encode(),
    ],  # naive timestamp
)
def test_decode_refuses_what_is_not_a_valid_event(raw: bytes) -> None:
    with pytest.raises(InvalidEvent):
        decode(raw)


def test_received_data_is_checked_against_its_schema() -> None:
    event = new_event(CaseOpened, CASE_OPENED, source="intake")
    tampered = Envelope.model_validate({**event.model_dump(), "data": {"case_id": "c1"}})
    with pytest.raises(InvalidEvent, match="category: missing"):
        decode(tampered.encode())


def _field_names(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def test_no_schema_has_a_field_for_personal_data() -> None:
    # The privacy invariant, checked over every schema the suite registers.
    for (type_, _version), model in registered().items():
        assert model.model_config.get("extra") == "forbid", type_
        named = {n.lower() for n in _field_names(model)} & SENSITIVE_KEYS
        assert not named, f"{type_} has a field that can hold personal data: {named}"
        for name, field in model.model_fields.items():
            assert field.annotation is not str or field.metadata, (
                f"{type_}.{name} is an unbounded string"
            )
            assert typing.get_origin(field.annotation) is not dict, f"{type_}.{name} is open"
