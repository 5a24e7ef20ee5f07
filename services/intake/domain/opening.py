"""A new case, whichever way it came (the site, a mailbox, WhatsApp, staff): assigned to a
confidant, built with its deadlines and sealed contact details, and stored with its events
in one write. The HTTP handler and the channels call these; none answers HTTP."""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pymongo.errors import DuplicateKeyError, PyMongoError

from services.intake.domain import rules as domain
from services.intake.domain import vault as vaults
from services.intake.domain.codes import new_code, new_id, new_reference
from services.intake.domain.report import CaseCreate
from services.intake.state import Intake
from services.intake.store import counts
from services.intake.store import documents as docs
from services.intake.store.caselist import claim_month, month_key, status_key
from services.intake.store.collections import LOAD
from shared.crypto import Sealed
from shared.errors import Conflict, Invalid, invalid
from shared.event_schemas import (
    CaseAssigned,
    CaseMessagePosted,
    CaseOpened,
)
from shared.events import Envelope, EventData, new_event
from shared.outbox import HIDDEN, flush, staged

log = logging.getLogger(__name__)

CONTACT_FIELDS = ("name", "email", "phone")


def case_event(schema: type[EventData], case: docs.Case, at: datetime, **data: Any) -> Envelope:
    """An event about ``case`` that happened ``at`` (the service's clock)."""
    return new_event(
        schema,
        {"case_id": case["_id"], **data},
        source="intake",
        org_id=case["org_id"],
        occurred_at=at,
    )


def message_event(
    case: docs.Case,
    at: datetime,
    message_id: str,
    author: Literal["reporter", "confidant"],
    relayed: str | None = None,
) -> Envelope:
    """A message in a case's conversation (never its text: that stays in intake)."""
    return case_event(
        CaseMessagePosted,
        case,
        at,
        reference=case["reference"],
        message_id=message_id,
        author=author,
        confidant_id=case["confidant_id"],
        relayed=relayed,
    )


async def organisation_for(intake: Intake, body: CaseCreate) -> docs.Organisation:
    """The organisation a report is for, with the department and confidant it names as its
    own; 422 naming the field that is not, 409 if it has no confidant to take the case."""
    org = await docs.organisations(intake.db).find_one({"slug": body.organisation})
    if org is None:
        raise invalid("organisation", "unknown organisation")
    if body.department is not None and body.department not in org.get("departments", []):
        raise invalid("department", "not a department of this organisation")
    confidants = org.get("confidant_ids", [])
    if body.preferred_confidant is not None and body.preferred_confidant not in confidants:
        raise invalid("preferred_confidant", "not a confidant of this organisation")
    if not confidants:
        raise Conflict("this organisation has no confidant yet")
    return org


async def choose(
    intake: Intake, org: docs.Organisation, preferred: str | None
) -> tuple[str, domain.AssignReason]:
    confidants = org.get("confidant_ids", [])
    load = {
        doc["_id"]: doc["open"]
        async for doc in docs.load(intake.db).find({"_id": {"$in": confidants}})
    }
    return domain.choose_confidant(confidants, preferred, load)


async def build_case(
    intake: Intake,
    org: docs.Organisation,
    body: CaseCreate,
    *,
    case_id: str,
    code: str | None,
    confidant: tuple[str, domain.AssignReason],
    now: datetime,
    registered_by: str | None = None,
    extra: docs.CaseChannel | None = None,
    acknowledged: bool = False,
) -> tuple[docs.Case, list[Envelope]]:
    """A new case document and the events that announce it, whichever way it came in.
    ``acknowledged``: intake answers the reporter itself, in the channel they wrote in."""
    departments = org.get("departments", [])
    confidant_id, reason = confidant
    case: docs.Case = {
        "_id": case_id,
        "reference": new_reference(now),
        "org_id": org["_id"],
        "reporter_role": body.reporter_role,
        "category": body.category,
        "subtype": body.subtype,
        "channel": body.channel,
        "anonymous": body.anonymous,
        "meeting_mode": body.meeting_mode,
        "department": body.department,
        "locale": body.locale,
        "status": "new",
        "confidant_id": confidant_id,
        "confidant_month": month_key(confidant_id, now),
        "confidant_status": status_key(confidant_id, "new"),
        "hours_spent": 0.0,
        "registered_by": registered_by,
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
        "deadlines": deadlines_for(
            body.category,
            now,
            first_contact_days=int(org.get("first_contact_days", domain.FIRST_CONTACT_DAYS)),
        ),
    }
    # Kept beside the deadlines, so the workspace can sort by it.
    case["first_contact_due"] = (case["deadlines"] or {})["first_contact"]["due"]
    if extra is not None:  # came in by e-mail or WhatsApp
        case["channel_key"] = extra["channel_key"]
        case["relay"] = extra["relay"]
        case["mail_thread"] = extra["mail_thread"]
    holders = await vault_holders(intake, confidant_id)
    # (Argon2id over 64 MiB: off the event loop)
    reporter = await asyncio.to_thread(reporter_keys, body, code, sealing=holders is not None)
    if holders is not None:  # the confidant has keys: the content only they can open
        case["vault"] = vault = vaults.new_vault(holders, reporter.public_key if reporter else None)
        case["contact"] = notification_contact(intake, case_id, body)
        if body.text is not None:
            vault["text"] = vaults.seal_text(vault, body.text, for_reporter=True)
        if body.contact is not None:
            vault["contact"] = vaults.seal_json(vault, body.contact.model_dump())
    else:  # (until they have keys: under the server's, and sealed to theirs once they do)
        case["text"] = intake.cipher.seal_optional(body.text, doc_id=case_id, field="text")
        case["contact"] = sealed_contact(intake, case_id, body)
    # Without a code the fields are absent rather than null: the unique index is sparse.
    if reporter is not None:
        case["code_hash"], case["code_check"] = reporter.lookup, reporter.check
    elif code:
        case["code_hash"] = await intake.code_hash(code)
    events = [
        case_event(
            CaseOpened,
            case,
            now,
            reference=case["reference"],
            category=body.category,
            subtype=body.subtype,
            channel=body.channel,
            reporter_role=body.reporter_role,
            anonymous=body.anonymous,
            meeting_mode=body.meeting_mode,
            department_index=departments.index(body.department) if body.department else None,
            locale=body.locale,
            acknowledge_by=(case["deadlines"] or {}).get("acknowledgement", {}).get("due"),
            feedback_by=(case["deadlines"] or {}).get("feedback", {}).get("due"),
            acknowledged_in_channel=acknowledged,
        ),
        case_event(
            CaseAssigned,
            case,
            now,
            reference=case["reference"],
            confidant_id=confidant_id,
            reason=reason,
        ),
    ]
    return case, events


async def store_case(intake: Intake, case: docs.Case, events: list[Envelope]) -> docs.Case:
    """Insert a new case with its events; a second insert of the same case (a retry) finds
    the first one and returns it."""
    # The confidant's months hold the case before it is there (a crash between leaves them
    # a month wider, which costs one empty read; narrower would hide the case).
    await claim_month(intake.db, case["confidant_id"], case["created_at"])
    for attempt in range(REFERENCE_DRAWS):
        try:
            await docs.cases(intake.db).insert_one({**case, **staged(*events)})
            break
        except DuplicateKeyError:  # the same retry, twice at once: the other one stored it
            stored = await docs.cases(intake.db).find_one({"_id": case["_id"]}, HIDDEN)
            if stored is not None:
                return stored
            if attempt == REFERENCE_DRAWS - 1:
                raise
            # Not this case: its reference was drawn before (one in a billion a year; at a
            # million cases a year, one report in a thousand). Draw another, everywhere.
            case, events = redrawn(case, events)
    # Stored: from here nothing may fail the answer, or the reporter never sees the code.
    try:
        await adjust_load(intake, case["confidant_id"], +1)
        await counts.move(intake, case["org_id"], None, "new")
    except PyMongoError:
        log.warning("not counted; the round corrects it", extra={"case_id": case["_id"]})
    await flush(docs.cases(intake.db), case["_id"], events, intake.bus, intake.locks)
    return case


REFERENCE_DRAWS = 5


def redrawn(case: docs.Case, events: list[Envelope]) -> tuple[docs.Case, list[Envelope]]:
    """The case and its events under a new reference (the events name it too)."""
    reference = new_reference(case["created_at"])
    return {**case, "reference": reference}, [
        e.model_copy(update={"data": {**e.data, "reference": reference}})
        if "reference" in e.data
        else e
        for e in events
    ]


def received_on(by_staff: bool, body: CaseCreate, now: datetime) -> datetime | None:
    """The day a report registered by staff came in (not ahead, and within a year); None for
    one sent through the site now. A 422 when someone without a staff token says the report
    came another way, or on another day."""
    if not by_staff and body.channel != "web":
        raise Invalid(
            "only staff register cases that came another way",
            {"channel": "must be web for a report sent through the site"},
        )
    has_code = body.case_code or body.reporter_keys is not None
    if not by_staff and (body.received_at is not None or not has_code):
        raise Invalid(
            "only staff register cases that came another way",
            {"received_at": "only for a report registered by staff"},
        )
    at = body.received_at
    if at is None:
        return None
    if at > now + timedelta(minutes=5) or at < now - timedelta(days=366):
        raise Invalid(
            "the request has invalid fields",
            {"received_at": "must lie within the past year, not in the future"},
        )
    return at.astimezone(UTC)


async def claim_report(
    intake: Intake, key: str | None, case_id: str, code: str | None, now: datetime
) -> tuple[str, str | None] | None:
    """With an ``Idempotency-Key``: claim it for this case id and code (the code sealed, as
    the answer must give the same code again), or find the earlier claim. Returns the
    claimed (case id, code), or None without a key. The key is kept as a keyed hash."""
    if key is None:
        return None
    claim_id = intake.keyed("report", key)
    fresh: docs.ReportClaim = {
        "_id": claim_id,
        "case_id": case_id,
        "code": intake.cipher.seal_optional(code, doc_id=claim_id, field="code"),
        "at": now,
    }
    try:
        await docs.report_claims(intake.db).insert_one(fresh)
        return case_id, code
    except DuplicateKeyError:
        found = await docs.report_claims(intake.db).find_one({"_id": claim_id})
        if found is None:
            # (another request is storing it: the same report, sent again in a second, is found)
            raise Conflict("this report is being stored; send it again", retry_after=1) from None
        return found["case_id"], intake.cipher.open_optional(
            found["code"], doc_id=claim_id, field="code"
        )


async def open_report(
    intake: Intake,
    org: docs.Organisation,
    body: CaseCreate,
    registered_by: str | None,
    received: datetime | None,
    key: str | None,
) -> tuple[docs.Case, str | None]:
    """A new case from a report (and its code, if it has one): the confidant chosen, stored
    with its events. A report sent again with the same ``Idempotency-Key`` gets the case and
    code the first one got."""
    confidant = await choose(intake, org, body.preferred_confidant)
    now = received or intake.clock.now()
    case_id, code = new_id(), new_code() if body.case_code else None  # (not with reporter_keys)
    claim = await claim_report(intake, key, case_id, code, intake.clock.now())
    if claim is not None:
        case_id, code = claim
        earlier = await docs.cases(intake.db).find_one({"_id": case_id}, HIDDEN)
        if earlier is not None:  # a retry of a report that was stored: the same answer
            return earlier, code
    case, events = await build_case(
        intake,
        org,
        body,
        case_id=case_id,
        code=code,
        confidant=confidant,
        now=now,
        registered_by=registered_by,
    )
    return await store_case(intake, case, events), code


async def adjust_load(intake: Intake, confidant_id: str, change: int) -> None:
    """Keep the count of a confidant's open cases: assignment reads it instead of counting
    cases, which on FerretDB means scanning them all. The nightly recount corrects drift."""
    await intake.update(LOAD, {"_id": confidant_id}, {"$inc": {"open": change}}, upsert=True)


async def vault_holders(intake: Intake, confidant_id: str) -> dict[str, bytes] | None:
    """Whom a new case's key is sealed to: the confidant and the firm's escrow key; None
    while either has no key (the case is then sealed under the server's keys)."""
    escrow = intake.settings.escrow_public_key
    if not escrow:
        return None
    keys = await docs.staff_keys(intake.db).find_one(
        {"_id": confidant_id}, {"public_key": 1, "certificate": 1, "message_key": 1}
    )
    if keys is None or not vaults.trusted(intake.settings.firm_signing_key, confidant_id, keys):
        return None
    return {confidant_id: keys["public_key"], vaults.ESCROW: base64.b64decode(escrow)}


def reporter_keys(
    body: CaseCreate, code: str | None, *, sealing: bool
) -> vaults.ReporterKeys | None:
    """The reporter's side of the code: as their browser sent it, or derived here from a
    code made here for a case with a vault (an API client's report)."""
    if body.reporter_keys is not None:
        given = body.reporter_keys
        return vaults.ReporterKeys(given.lookup, given.check, base64.b64decode(given.public_key))
    if code and sealing:
        return vaults.ReporterKeys.of_code(code)
    return None


def notification_contact(
    intake: Intake, case_id: str, body: CaseCreate
) -> docs.SealedContact | None:
    """Of a case with a vault, only the address notify writes to stays under the server's
    keys (the one the reporter chose, e-mail without a choice); it goes at closing."""
    if body.contact is None:
        return None
    channel = body.contact.preferred_channel or ("email" if body.contact.email else "phone")
    field = "email" if channel == "email" else "phone"
    value = body.contact.email if field == "email" else body.contact.phone
    sealed = intake.cipher.seal_optional(value, doc_id=case_id, field=f"contact.{field}")
    contact: docs.SealedContact = {"preferred_channel": body.contact.preferred_channel}
    if field == "email":
        contact["email"] = sealed
    else:
        contact["phone"] = sealed
    return contact


def sealed_contact(intake: Intake, case_id: str, body: CaseCreate) -> docs.SealedContact | None:
    if body.contact is None:
        return None

    def sealed(value: str | None, field: str) -> Sealed | None:
        return intake.cipher.seal_optional(value, doc_id=case_id, field=f"contact.{field}")

    contact: docs.SealedContact = {
        "preferred_channel": body.contact.preferred_channel,
        "name": sealed(body.contact.name, "name"),
        "email": sealed(body.contact.email, "email"),
        "phone": sealed(body.contact.phone, "phone"),
    }
    return contact


def deadlines_for(
    category: str,
    opened: datetime,
    before: dict[str, docs.Deadline] | None = None,
    first_contact_days: int = domain.FIRST_CONTACT_DAYS,
) -> dict[str, docs.Deadline]:
    """The deadlines of a case of ``category`` that came in at ``opened``: the first contact
    (every case: the report page promises it) and a whistleblower report's legal ones; what
    was met or warned of already (``before``) stays so."""
    opened = opened.replace(tzinfo=opened.tzinfo or UTC)
    earlier = before or {}
    due = domain.whistleblower_deadlines(category, opened) or {}
    made: dict[str, docs.Deadline] = {
        kind: {
            "due": at,
            "warn_at": domain.warning_time(kind, at),
            "warned": earlier.get(kind, {}).get("warned", False),
            "met_at": earlier.get(kind, {}).get("met_at"),
        }
        for kind, at in due.items()
    }
    if "first_contact" in earlier:
        made["first_contact"] = earlier["first_contact"]
    else:
        at, warn_at = domain.first_contact_deadline(opened, first_contact_days)
        made["first_contact"] = {
            "due": at,
            "warn_at": warn_at,
            "warned": False,
            "met_at": None,
            "overdue_told": False,
        }
    return made
