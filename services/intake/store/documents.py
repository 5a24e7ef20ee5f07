"""What intake stores, as types.

Intake holds who reported what, so everything personal is sealed field by field
(``shared.crypto``): a case's text and contact, notes, messages, a mailbox password, a mail
thread. What is only recognised again is a keyed hash (``Intake.keyed``), never the value.
The views that open sealed fields live beside their API (they need the cipher and say who
may read what); the plain ones are here.
"""

from __future__ import annotations

from datetime import datetime
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,  # pydantic validates TypedDicts from here on 3.11
)

from pydantic import Field, TypeAdapter
from typing_extensions import TypedDict

from services.intake.store.collections import (
    CASES,
    CHANNEL_CLAIMS,
    INVITATIONS,
    LOAD,
    MAILBOX_STATE,
    MESSAGES,
    NOTES,
    ORGANISATIONS,
    RELAY_CLAIMS,
    RELAY_QUEUE,
    RELAY_SENT,
    REPORT_CLAIMS,
    STAFF,
    STAFF_KEYS,
    THREADS,
)
from shared.crypto import Sealed
from shared.db import TypedCollection
from shared.event_schemas import (
    Category,
    IntegritySubtype,
    Outcome,
    ReferralKind,
    ReporterRole,
    Status,
)
from shared.outbox import Staged
from shared.text import Bio, Locale
from shared.wire import Json, jsonable

# -- organisations and staff ------------------------------------------------------------------


class MailboxLink(TypedDict):
    address: str
    username: str
    password: Sealed


Slug = Annotated[str, Field(min_length=2, max_length=48, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Department = Annotated[str, Field(min_length=1, max_length=80)]


PhoneNumber = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{5,24}$")]


class Referral(TypedDict):
    """A place the organisation's reporters can be referred to: its kind, and its name."""

    id: Ident
    kind: ReferralKind
    name: Annotated[str, Field(min_length=1, max_length=120)]


class Organisation(Staged, total=False):
    """A client organisation, declared once (the API's bodies pick their fields from here)."""

    _id: Required[str]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    slug: Slug
    locale: Locale
    timezone: Annotated[str, Field(max_length=64)]
    departments: Annotated[list[Department], Field(max_length=200)]
    confidant_ids: Annotated[list[Ident], Field(max_length=50)]
    report_threshold: Annotated[int, Field(ge=2, le=100)]  # the reports' k
    retention_days: Annotated[int, Field(ge=30, le=3650)]
    mailbox: MailboxLink  # e-mail intake (absent: none)
    whatsapp_phone_number_id: str  # WhatsApp intake (absent: none; unique when present)
    # The ways in the report page shows, as the admin set them: a number to call, the
    # WhatsApp number (a wa.me link), and the promise of a first contact in working days.
    phone_number: PhoneNumber | None
    whatsapp_number: PhoneNumber | None
    first_contact_days: Annotated[int, Field(ge=1, le=10)]
    referrals: Annotated[list[Referral], Field(max_length=30)]  # empty: the usual places
    created_at: datetime
    updated_at: datetime


class Staff(TypedDict, total=False):
    _id: Required[str]
    username: str
    role: Literal["admin", "confidant", "org_admin"]
    display_name: str
    confidant_id: str | None
    org_id: str | None
    bio: Bio | None  # one for all languages, or per language
    email: Sealed | None
    locale: Locale
    password_hash: str
    password_form: str  # "login_secret": the hash is over it (absent: over the password)
    active: bool
    created_at: datetime


class StaffKeys(TypedDict):
    """A person's keys (domain.keys): the public one in the clear, the private one only
    wrapped by their password's key, by their recovery key and sealed to escrow."""

    _id: str  # the person's token subject
    public_key: bytes
    by_password: bytes
    salt: bytes
    ops: int
    memory: int
    by_recovery: bytes
    to_escrow: bytes
    created_at: datetime
    certificate: NotRequired[bytes]  # the firm's signature on the public keys
    message_key: NotRequired[bytes]  # Ed25519: what their messages to reporters are signed with


class Invitation(TypedDict):
    _id: str  # the keyed hash of the link's token
    staff_id: str
    expires_at: datetime


class MailboxState(TypedDict, total=False):
    _id: Required[str]  # the organisation's
    connected: bool
    error: str | None
    checked_at: datetime


# -- cases ------------------------------------------------------------------------------------


class Deadline(TypedDict, total=False):
    due: datetime
    warn_at: datetime
    warned: bool
    met_at: datetime | None
    overdue_told: bool  # the first contact: the office was told it is overdue


class SealedContact(TypedDict, total=False):
    preferred_channel: Literal["email", "phone", "whatsapp"] | None
    email: Sealed | None
    phone: Sealed | None
    name: Sealed | None


class FollowUp(TypedDict):
    due: datetime
    sent: bool


class Reopening(TypedDict, total=False):
    at: Required[datetime]
    by: Required[str]
    reason: Sealed  # under the server's keys: a case without a vault
    sealed_reason: bytes  # sealed to the case's key


class CaseChannel(TypedDict, total=False):
    """What a case that came in by e-mail or WhatsApp keeps of its channel: the sender's
    keyed hash, the channel replies go back by, and the mail thread (subject and
    Message-IDs, sealed) for In-Reply-To."""

    channel_key: str
    relay: Literal["email", "whatsapp"] | None
    mail_thread: Sealed


class Case(CaseChannel, Staged, total=False):
    _id: Required[str]
    reference: str  # VP-2026-…: how people name the case
    org_id: str
    reporter_role: ReporterRole
    category: Category
    subtype: IntegritySubtype | None
    channel: str
    anonymous: bool
    meeting_mode: str | None
    department: str | None
    locale: Locale
    status: Status
    confidant_id: str
    confidant_month: str  # "<confidant_id>|<YYYY-MM created>": their list, a month at a time
    confidant_status: str  # "<confidant_id>|<status>": their open cases of one status
    hours_spent: float
    code_hash: str  # absent for a case without a code (the unique index is sparse)
    code_check: str  # a code made in a browser: sha256 of the secret it derives
    vault: dict[str, Any]  # the case's key and what is sealed to it (domain/vault.py)
    code_used_at: datetime
    registered_by: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    outcome: Outcome | None
    referral_to: Sealed | None  # the place referred to (the list's name, or free text)
    referral_kind: ReferralKind | None
    follow_up: FollowUp | None  # aftercare: a check-in planned at closing
    reopened: list[Reopening]  # each time the case was taken up again
    text: Sealed | None
    contact: SealedContact | None
    # first_contact (every case); acknowledgement, feedback (whistleblower cases)
    deadlines: dict[str, Deadline] | None
    first_contact_due: datetime  # the first contact's due time, for sorting the list
    purged_at: datetime | None
    # The months of the work ahead of a closed case (domain.rules.BUCKETS).
    closed_month: str | None
    code_month: str | None
    follow_up_month: str | None


class MailThread(TypedDict, total=False):
    """A case's mail thread (sealed as ``Case.mail_thread``): answers carry In-Reply-To."""

    subject: str
    refs: list[str]  # the Message-IDs of the thread, the latest 20


class Relay(TypedDict, total=False):
    """Where a message sent by e-mail or WhatsApp stands."""

    channel: str
    state: Literal["pending", "sent", "failed"]
    attempts: int
    next_at: datetime
    status: str | None  # WhatsApp's delivery status (sent, delivered, read, failed)
    status_rank: int
    error: str | None
    external_id: str


class TextContent(TypedDict, total=False):
    """What a note or message says, kept one of two ways."""

    text: Sealed  # under the server's keys: a case without a vault
    # Of a case with a vault: sealed to the case ("sealed") and, for a message, to the
    # reporter ("reporter"); the server cannot open either.
    vault: dict[str, Any]  # and "signed": True for a confidant's signed message
    relay_text: Sealed  # a relayed message's text until it is sent, under the server's keys


class Text(Staged, TextContent, total=False):
    """A note (the confidant's own) or a message (between reporter and confidant)."""

    _id: Required[str]
    case_id: str
    author: str  # a message's: reporter, confidant or system; a note's: its confidant's id
    created_at: datetime
    relay: Relay


class ReportClaim(TypedDict, total=False):
    _id: Required[str]  # the keyed hash of the Idempotency-Key
    case_id: str
    code: Sealed | None
    at: datetime


class ChannelClaim(TypedDict):
    _id: str  # the keyed hash of the message's own id
    case_id: str
    message_id: str | None  # None: the message opened the case
    at: datetime


class Thread(TypedDict):
    _id: str  # the keyed hash of a Message-ID, or of a WhatsApp number's open case
    case_id: str
    at: datetime


class Queued(TypedDict):
    _id: str  # the message's
    next_at: datetime
    queued: datetime


class Stamp(TypedDict, total=False):
    """A claim that holds only its time (a relay attempt), or a name's target (a sent
    reply's wamid -> message)."""

    _id: Required[str]
    at: datetime
    message_id: str
    case_id: str


class Load(TypedDict):
    _id: str  # the confidant's
    open: int


ORGANISATION = TypeAdapter(Organisation)


organisations = TypedCollection(ORGANISATIONS, Organisation)
staff = TypedCollection(STAFF, Staff)
invitations = TypedCollection(INVITATIONS, Invitation)
mailbox_states = TypedCollection(MAILBOX_STATE, MailboxState)
cases = TypedCollection(CASES, Case)
notes = TypedCollection(NOTES, Text)
messages = TypedCollection(MESSAGES, Text)
report_claims = TypedCollection(REPORT_CLAIMS, ReportClaim)
channel_claims = TypedCollection(CHANNEL_CLAIMS, ChannelClaim)
threads = TypedCollection(THREADS, Thread)
relay_queue = TypedCollection(RELAY_QUEUE, Queued)
relay_claims = TypedCollection(RELAY_CLAIMS, Stamp)
relay_sent = TypedCollection(RELAY_SENT, Stamp)
load = TypedCollection(LOAD, Load)
staff_keys = TypedCollection(STAFF_KEYS, StaffKeys)


# -- views ------------------------------------------------------------------------------------


def org_view(org: Organisation) -> Json:
    return {
        "id": org["_id"],
        "name": org["name"],
        "slug": org["slug"],
        "locale": org["locale"],
        "timezone": org.get("timezone", "Europe/Amsterdam"),
        "departments": org.get("departments", []),
        "confidant_ids": org.get("confidant_ids", []),
        "report_threshold": org.get("report_threshold", 5),
        "retention_days": org.get("retention_days", 365),
        "phone_number": org.get("phone_number"),
        "whatsapp_number": org.get("whatsapp_number"),
        "first_contact_days": org.get("first_contact_days", 2),
        "referrals": org.get("referrals", []),
    }


def relay_view(relay: Relay | None) -> Json | None:
    if not relay:
        return None
    return {
        "channel": relay["channel"],
        "state": relay["state"],
        "status": relay.get("status"),
        "error": relay.get("error") if relay["state"] == "failed" else None,
    }


def metadata(case: Case) -> Json:
    """What staff see of a case without reading it (no text, no contact)."""
    deadlines = case.get("deadlines") or {}
    closed_at = case.get("closed_at")
    return {
        "case_id": case["_id"],
        "reference": case["reference"],
        "org_id": case["org_id"],
        "category": case["category"],
        "subtype": case.get("subtype"),
        "channel": case["channel"],
        "status": case["status"],
        "anonymous": case["anonymous"],
        "confidant_id": case["confidant_id"],
        "meeting_mode": case.get("meeting_mode"),
        "created_at": case["created_at"].isoformat(),
        "closed_at": closed_at.isoformat() if closed_at else None,
        "outcome": case.get("outcome"),
        "hours_spent": case.get("hours_spent", 0.0),
        "purged": case.get("purged_at") is not None,
        "deadlines": {k: _deadline_view(v) for k, v in deadlines.items()},
        "follow_up": jsonable(case.get("follow_up")),
        "reopened": len(case.get("reopened") or []),
    }


def _deadline_view(deadline: Deadline) -> dict[str, str | None]:
    met_at = deadline.get("met_at")
    return {"due": deadline["due"].isoformat(), "met_at": met_at.isoformat() if met_at else None}
