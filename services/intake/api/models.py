"""The bodies intake accepts. Validation errors become a 422 naming the fields."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from services.intake.store.documents import Ident, Organisation, Slug
from shared.event_schemas import (
    Category,
    Channel,
    IntegritySubtype,
    MeetingMode,
    Outcome,
    ReporterRole,
    Status,
)
from shared.http import Body, Moment, picked
from shared.text import Bio, Locale

_EMAIL = re.compile(
    r"^[^@\s<>\"(),;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not a valid e-mail address")
    return value


def _phone(value: str) -> str:
    digits = re.sub(r"[\s()-]", "", value)
    if not re.fullmatch(r"\+?[0-9]{8,15}", digits):
        raise ValueError("not a valid phone number (8 to 15 digits, optionally with +)")
    return digits


Email = Annotated[str, AfterValidator(_email)]
Phone = Annotated[str, AfterValidator(_phone)]


class Contact(Body):
    name: str | None = Field(None, min_length=1, max_length=100)
    email: Email | None = None
    phone: Phone | None = None
    preferred_channel: Literal["email", "phone", "whatsapp"] | None = None

    @model_validator(mode="after")
    def reachable(self) -> Self:
        if self.email is None and self.phone is None:
            raise ValueError("give an e-mail address or a phone number")
        if self.preferred_channel == "email" and self.email is None:
            raise ValueError("the preferred channel is e-mail, but no address is given")
        if self.preferred_channel in ("phone", "whatsapp") and self.phone is None:
            raise ValueError("the preferred channel needs a phone number")
        return self


class CaseCreate(Body):
    organisation: Slug
    reporter_role: ReporterRole = "employee"
    category: Category
    subtype: IntegritySubtype | None = None
    channel: Channel = "web"
    anonymous: bool
    contact: Contact | None = None
    meeting_mode: MeetingMode | None = None
    preferred_confidant: Ident | None = None
    text: str | None = Field(None, max_length=5000)
    department: str | None = Field(None, min_length=1, max_length=80)
    locale: Locale = "nl"
    # For staff registering a report that came another way: the day it came in (deadlines
    # run from then), and whether the reporter wants a case code to come back with.
    received_at: Moment | None = None
    case_code: bool = True

    @model_validator(mode="after")
    def consistent(self) -> Self:
        if not self.anonymous and (self.contact is None or self.contact.name is None):
            raise ValueError("a named report needs contact details with a name")
        if self.subtype is not None and self.category != "integriteit":
            raise ValueError("a subtype belongs to an integrity report only")
        return self


class CaseAccess(Body):
    case_code: str = Field(min_length=1, max_length=64)
    # The organisation whose page the reporter came back through: a code is found only
    # within it, and wrong codes are counted against it from any address.
    organisation: Slug | None = None


class Login(Body):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)
    audience: list[Literal["intake", "booking", "notify", "reporting"]] = Field(
        default=["intake", "booking", "notify", "reporting"], min_length=1
    )


# An organisation's bodies: fields picked from the stored type (store.documents), where each
# is declared once with its constraints.
ORG_SETTINGS = {
    "locale": "nl",
    "timezone": "Europe/Amsterdam",
    "departments": [],
    "confidant_ids": [],
    "report_threshold": 5,
    "retention_days": 365,
}
OrgCreate = picked("OrgCreate", Organisation, {"name": ..., "slug": ..., **ORG_SETTINGS})
# What the API answers of one: the same fields and its id (``documents.org_view``).
OrgView = picked(
    "OrgView",
    Organisation,
    {"_id": ..., "name": ..., "slug": ..., **ORG_SETTINGS},
    rename={"_id": "id"},
)
OrgUpdate = picked(
    "OrgUpdate",
    Organisation,
    {"name": None, **{k: None for k in ORG_SETTINGS if k != "timezone"}},
    partial=True,
)


class StaffCreate(Body):
    username: str = Field(min_length=3, max_length=100, pattern=r"^[a-z0-9._@-]+$")
    password: str = Field(min_length=12, max_length=200)
    role: Literal["admin", "confidant", "org_admin"]
    display_name: str = Field(min_length=1, max_length=100)
    confidant_id: Ident | None = None  # booking's id, for a confidant
    org_id: Ident | None = None  # for an org_admin
    bio: Bio | None = None  # a confidant's public profile, per language or one for all
    # Where notify writes to this person (sealed at rest), in their language.
    email: Email | None = None
    locale: Locale = "nl"

    @model_validator(mode="after")
    def scoped(self) -> Self:
        if self.role == "confidant" and self.confidant_id is None:
            raise ValueError("a confidant account needs confidant_id")
        if self.role == "org_admin" and self.org_id is None:
            raise ValueError("an org_admin account needs org_id")
        return self


class CaseUpdate(Body):
    # What the report turns out to be about: a report by e-mail or WhatsApp comes in as
    # "anders" until the confidant knows; deadlines then run from the day it came in.
    category: Category | None = None
    subtype: IntegritySubtype | None = None
    status: Status | None = None
    outcome: Outcome | None = None
    referral_to: str | None = Field(None, min_length=1, max_length=200)
    hours_spent: float | None = Field(None, ge=0, le=1000)

    @model_validator(mode="after")
    def closing(self) -> Self:
        if self.status == "closed" and self.outcome is None:
            raise ValueError("closing a case needs an outcome")
        if self.outcome is not None and self.status != "closed":
            raise ValueError("an outcome is given when closing")
        if self.referral_to is not None and self.outcome != "referral":
            raise ValueError("referral_to goes with the outcome referral")
        if self.subtype is not None and self.category != "integriteit":
            raise ValueError("a subtype belongs to an integrity report (category integriteit)")
        return self


class Text(Body):
    text: str = Field(min_length=1, max_length=5000)


class Assign(Body):
    confidant_id: Ident
