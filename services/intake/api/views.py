"""What intake's routes answer, as types: each route declares its answer from here (the
OpenAPI documents show them; the tests check every answer against them)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from shared.event_schemas import Status
from shared.text import Bio, Locale


class DeadlineView(TypedDict):
    due: str
    met_at: str | None


class CaseFacts(TypedDict):
    """What anyone who reads a case sees of it (no text, no contact)."""

    case_id: str
    reference: str
    org_id: str
    category: str
    subtype: str | None
    channel: str
    status: Status
    anonymous: bool
    meeting_mode: str | None
    created_at: str
    closed_at: str | None
    outcome: str | None
    purged: bool


class FollowUpView(TypedDict):
    due: str
    sent: bool


class CaseMeta(CaseFacts):
    """What staff see of a case without reading it (and, in a confidant's own list, a
    sealed case's report sealed: their browser opens it, to search)."""

    confidant_id: str
    hours_spent: float
    deadlines: dict[str, DeadlineView]
    follow_up: FollowUpView | None
    reopened: int  # how often it was taken up again
    sealed: NotRequired[dict[str, Any]]


class OrgCounts(TypedDict):
    """An organisation's cases by status, without a word of them: the office's overview."""

    org_id: str
    counts: dict[str, int]  # new, in_contact, in_conversation, closed
    overdue: int | None  # open cases past a deadline, as the periodic round found them
    overdue_at: str | None  # when it did (None: not yet)


class Place(TypedDict):
    """A place to refer to: one of the organisation's, with its kind."""

    id: str
    kind: str
    name: str


class ContactView(TypedDict):
    preferred_channel: str | None
    name: str | None
    email: str | None
    phone: str | None


class VaultView(TypedDict):
    """A case sealed to its own key (issue 26), base64: the case's public key (to seal what
    is written to it), the reporter's (to seal answers to), the reader's wrap of the case's
    private key (sealed to their key; none for the reporter) and the report and contact
    details, sealed: to the case key for the confidant, to their own for the reporter."""

    public_key: str
    reporter_key: str | None
    wrap: str | None
    previous: list[dict[str, str]]  # earlier keys, newest first, each sealed to the next
    text: str | None
    contact: NotRequired[str | None]
    referral_to: NotRequired[str | None]  # the place referred to at closing, sealed
    relay: NotRequired[str | None]
    # The assigned confidant's keys (person_id, public_key, message_key, certificate) and
    # the firm's signing key: a reporter's page checks the confidant's messages with them.
    confidant: dict[str, Any] | None
    signing_key: str | None


class CaseRead(CaseFacts):
    """A case read by its reporter or its confidant (the confidant sees more of it)."""

    text: str | None  # under the server's keys; None for a case with a vault
    vault: VaultView | None
    confidant_id: NotRequired[str]
    hours_spent: NotRequired[float]
    deadlines: NotRequired[dict[str, DeadlineView]]
    department: NotRequired[str | None]
    reporter_role: NotRequired[str]
    referral_to: NotRequired[str | None]
    contact: NotRequired[ContactView | None]


class Confirmation(TypedDict):
    title: str
    next_steps: list[str]


class Opened(TypedDict):
    """A new case: the code is shown this once (none for a case registered without one)."""

    case_id: str
    confidant_id: str
    reference: str
    case_code: str | None
    token: str
    token_expires_in: int
    confirmation: Confirmation


class Access(TypedDict):
    case_id: str
    confidant_id: str
    reference: str
    token: str
    token_expires_in: int


class AuditEntry(TypedDict):
    at: str
    action: str
    role: str
    actor: str


class TimelineEntry(TypedDict):
    type: str
    appointment_id: str
    occurred_at: str
    starts_at: str | None
    mode: str | None


class NoteView(TypedDict):
    note_id: str
    created_at: str
    text: str | None  # None in a case with a vault: then sealed (base64) to the case key
    sealed: str | None
    signed: bool


class Delivery(TypedDict):
    channel: str
    state: str
    status: str | None
    error: str | None


class MessageView(TypedDict):
    message_id: str
    author: str
    created_at: str
    # None in a case with a vault: then sealed (base64) to the reader's key (the case's
    # for the confidant, their own for the reporter) and, from the confidant, signed
    text: str | None
    sealed: str | None
    signed: bool  # the confidant's signature is in front of the sealed text
    delivery: Delivery | None


class NoteAdded(TypedDict):
    note_id: str


class MessagePosted(TypedDict):
    message_id: str
    created_at: str


class MailboxView(TypedDict):
    address: str
    username: str
    connected: bool
    error: str | None
    checked_at: str | None


class ChannelsView(TypedDict):
    mailbox: MailboxView | None
    email_intake: bool
    whatsapp_phone_number_id: str | None
    whatsapp_intake: bool


class Accepted(TypedDict):
    accepted: int  # messages and statuses kept


class Choice(TypedDict):
    id: str
    label: str


class PublicConfidant(TypedDict):
    id: str
    display_name: str
    bio: Bio | None


class PublicOrg(TypedDict):
    """What an intake page needs of an organisation, and nothing else."""

    name: str
    slug: str
    locale: Locale
    departments: list[str]
    confidants: list[PublicConfidant]
    categories: list[Choice]
    integrity_subtypes: list[Choice]
    channels: list[Choice]
    meeting_modes: list[Choice]
    out_of_scope: str


class InvitedAccount(TypedDict):
    username: str


class SecondFactor(TypedDict):
    challenge_id: str
    options: dict[str, Any]  # for PublicKeyCredential.parseRequestOptionsFromJSON


class Token(TypedDict):
    """A token; or, for an account with a security key, the challenge to answer with it
    (POST /v1/auth/webauthn gives the token then)."""

    access_token: NotRequired[str]
    token_type: NotRequired[Literal["Bearer"]]
    expires_in: NotRequired[int]
    role: NotRequired[Literal["admin", "confidant", "org_admin"]]
    second_factor: NotRequired[SecondFactor]


class StaffMade(TypedDict):
    id: str
    username: str
    role: Literal["admin", "confidant", "org_admin"]
    invite_url: NotRequired[str]  # made without a password: the one-time link to set one


class StaffItem(TypedDict):
    """An account as the office lists it (no address, no password)."""

    id: str
    username: str
    role: Literal["admin", "confidant", "org_admin"]
    display_name: str
    confidant_id: str | None
    org_id: str | None
    active: bool
    password_set: bool
