"""The event envelope and the registry of event schemas.

Every event on the bus is ``{id, type, version, occurred_at, source, org_id, data}``. The
``data`` of each (type, version) has a schema registered here, validated when an event is
published and again when it is received. Schemas forbid unknown fields: that is how the
privacy invariant "no personal data in the event stream" is enforced, not just promised.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

Identifier = str  # opaque ids only: never a name, e-mail address or phone number


class InvalidEvent(Exception):
    """The bytes or the dict are not a valid event of a known type."""


class EventData(BaseModel):
    """Base of every event's data: frozen, and no field that a schema does not name.
    ``TYPE`` is the event type the schema is registered for: handlers match on the class,
    never on a string."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    type: str = Field(pattern=r"^[a-z]+(\.[a-z_]+)+$")
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    source: str = Field(min_length=1, max_length=64)
    org_id: Identifier | None = Field(default=None, max_length=64)
    data: dict[str, Any]

    def encode(self) -> bytes:
        return self.model_dump_json().encode()

    @property
    def payload(self) -> EventData:
        """The data as its schema's typed model (times as aware datetimes). Checked again
        here, a few microseconds, rather than kept: a kept copy would take part in ``==``."""
        return validate(self)


_SCHEMAS: dict[tuple[str, int], type[EventData]] = {}
D = TypeVar("D", bound=type[EventData])
E = TypeVar("E", bound=EventData)


def event_schema(type_: str, version: int = 1) -> Callable[[D], D]:
    """Register the data schema of an event type; a type is registered once."""

    def register(model: D) -> D:
        known = _SCHEMAS.get((type_, version))
        if known is not None and known is not model:
            raise ValueError(f"event {type_} v{version} is already registered")
        _SCHEMAS[(type_, version)] = model
        model.TYPE, model.VERSION = type_, version
        return model

    return register


def schema_for(type_: str, version: int) -> type[EventData]:
    try:
        return _SCHEMAS[(type_, version)]
    except KeyError:
        raise InvalidEvent(f"unknown event type {type_} v{version}") from None


def registered() -> dict[tuple[str, int], type[EventData]]:
    return dict(_SCHEMAS)


def new_event(
    schema: type[E],
    data: E | Mapping[str, Any],
    *,
    source: str,
    org_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """Build and validate an event ready to publish. ``schema`` is the event's model in
    ``shared.event_schemas``, which names its type and version: no type string is written
    anywhere else. The error names the fields that are wrong, never their values."""
    try:
        payload = data if isinstance(data, schema) else schema.model_validate(data)
        return Envelope(
            id=uuid.uuid4().hex,
            type=schema.TYPE,
            version=schema.VERSION,
            occurred_at=_millis(occurred_at or datetime.now(UTC)),
            source=source,
            org_id=org_id,
            data=payload.model_dump(mode="json"),
        )
    except ValidationError as exc:
        raise InvalidEvent(f"{schema.TYPE} v{schema.VERSION}: {_brief(exc)}") from None


def validate(envelope: Envelope) -> EventData:
    """Check an envelope's data against its schema and return the typed data."""
    model = schema_for(envelope.type, envelope.version)
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEvent(f"{envelope.type} v{envelope.version}: {_brief(exc)}") from None


def decode(raw: bytes) -> Envelope:
    """Parse and validate received bytes; anything else raises ``InvalidEvent``."""
    try:
        envelope = Envelope.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise InvalidEvent(f"not an event envelope: {type(exc).__name__}") from None
    validate(envelope)
    return envelope


def _millis(moment: datetime) -> datetime:
    # BSON dates hold milliseconds; an event's time must survive a round trip through Mongo.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _brief(exc: ValidationError) -> str:
    # Field locations and error kinds only: the offending values may be personal data.
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['type']}" for e in exc.errors()
    )
