"""What a report says as it comes in, and what a confidant changes of a case: the inputs of
opening and changing a case (``opening``, ``updates``), checked as they are made, whichever
way they came (the site's form, a mailbox, WhatsApp, staff registering a call)."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from services.intake.store.documents import Ident, Slug
from shared.event_schemas import (
    Category,
    Channel,
    IntegritySubtype,
    MeetingMode,
    Outcome,
    ReporterRole,
    Status,
)
from shared.text import Locale
from shared.wire import Body, Moment

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


class ReporterKeysBody(Body):
    """What the reporter's browser derived from the case code it made (the code itself
    never leaves the browser): the id the case is found by, sha256 of the secret that
    proves the code, and the reporter's public key."""

    lookup: str = Field(pattern=r"^[0-9a-f]{64}$")
    check: str = Field(pattern=r"^[0-9a-f]{64}$")
    public_key: str = Field(pattern=r"^[A-Za-z0-9+/]{43}=$")


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
    # The site's form: the code is made in the reporter's browser, which sends only this.
    reporter_keys: ReporterKeysBody | None = None

    @model_validator(mode="after")
    def consistent(self) -> Self:
        if self.reporter_keys is not None and self.case_code:
            raise ValueError("reporter_keys come with case_code false: the browser made the code")
        if not self.anonymous and (self.contact is None or self.contact.name is None):
            raise ValueError("a named report needs contact details with a name")
        if self.subtype is not None and self.category != "integriteit":
            raise ValueError("a subtype belongs to an integrity report only")
        return self


class CaseUpdate(Body):
    # What the report turns out to be about: a report by e-mail or WhatsApp comes in as
    # "anders" until the confidant knows; deadlines then run from the day it came in.
    category: Category | None = None
    subtype: IntegritySubtype | None = None
    status: Status | None = None
    outcome: Outcome | None = None
    # Where to, when the outcome is a referral: one of the organisation's places (its id),
    # or, as the last option, in the confidant's words.
    referral: str | None = Field(None, min_length=1, max_length=64)
    referral_to: str | None = Field(None, min_length=1, max_length=200)
    hours_spent: float | None = Field(None, ge=0, le=1000)
    # Aftercare: check in with the reporter this many days after closing.
    follow_up_days: int | None = Field(None, ge=1, le=365)

    @model_validator(mode="after")
    def closing(self) -> Self:
        if self.status == "closed" and self.outcome is None:
            raise ValueError("closing a case needs an outcome")
        if self.outcome is not None and self.status != "closed":
            raise ValueError("an outcome is given when closing")
        if self.follow_up_days is not None and self.status != "closed":
            raise ValueError("follow_up_days: only when closing")
        if self.referral is not None and self.referral_to is not None:
            raise ValueError("referral: choose a place from the list, or write one, not both")
        if (self.referral_to or self.referral) is not None and self.outcome != "referral":
            raise ValueError("referral_to goes with the outcome referral")
        if self.subtype is not None and self.category != "integriteit":
            raise ValueError("a subtype belongs to an integrity report (category integriteit)")
        return self
