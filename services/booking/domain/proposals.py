"""Booking for a case that came in without a code (a mail, a WhatsApp message, a phone
call): the confidant books a slot for the reporter, or proposes two or three that go to the
reporter in their own channel, with a link to pick one.

The link needs no log-in: it carries a token signed by booking (HMAC, keyed from booking's
``hash_key``), naming the proposal and when it expires. It is single-use by the same unique
claim that makes a request sent twice book once: the first pick claims
``<case>|proposal:<id>``, so of two picks (two tabs, two devices) one books and the other is
told the link was used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated

import jwt
from pydantic import Field

from services.booking.domain.availability import is_slot
from services.booking.domain.blocked import blocking
from services.booking.domain.reserve import (
    Book,
    ForCase,
    PhoneText,
    address_of,
    replayed,
    reserve,
)
from services.booking.domain.rules import slot_rules, working_hours
from services.booking.state import Booking
from services.booking.store.documents import (
    Appointment,
    AppointmentType,
    CaseLink,
    Confidant,
    Ident,
    Proposal,
    appointment_types,
    confidants,
    proposals,
)
from shared.errors import Conflict, Invalid, NotFound, invalid
from shared.event_schemas import MeetingMode
from shared.outbox import HIDDEN
from shared.wire import Body, Moment

# How long a proposal's link works at most (and never past the last time it proposes).
LINK_DAYS = 7
AUDIENCE = "vertrouwd:proposal"
# The channels whose reporter the confidant can call without asking the number.
NUMBER_KNOWN = ("phone", "whatsapp")


class Propose(Body):
    type_id: Ident
    mode: MeetingMode
    location_id: Ident | None = None
    starts: Annotated[list[Moment], Field(min_length=1, max_length=3)]


class Accept(Body):
    start: Moment
    phone: PhoneText | None = None


def for_case(link: CaseLink, by: str, proposal_id: str | None = None) -> ForCase:
    return ForCase(
        case_id=link["_id"],
        org_id=str(link.get("org_id")),
        reference=link.get("reference"),
        by="admin" if by == "admin" else "confidant" if by == "confidant" else "reporter",
        proposal_id=proposal_id,
        number_known=link.get("channel") in NUMBER_KNOWN,
    )


def _link_key(booking: Booking) -> bytes:
    # A key of its own, derived: a link's signature says nothing of booking's other hashes.
    return hmac.new(booking.cipher.keys.hash_key, b"proposal links", hashlib.sha256).digest()


def link_token(booking: Booking, proposal: Proposal) -> str:
    claims = {
        "sub": proposal["_id"],
        "aud": AUDIENCE,
        "exp": int(proposal["expires_at"].timestamp()),
    }
    return jwt.encode(claims, _link_key(booking), algorithm="HS256")


def check_link(booking: Booking, proposal_id: str, token: str) -> None:
    """A link of this proposal, signed by booking and not expired; anything else is refused
    as if the proposal did not exist, except an expiry, which is said (ask for new times)."""
    try:
        claims = jwt.decode(
            token,
            _link_key(booking),
            algorithms=["HS256"],
            audience=AUDIENCE,
            # Expiry by the service's clock (the one every rule of booking reads).
            options={"require": ["exp", "sub", "aud"], "verify_exp": False},
        )
    except jwt.InvalidTokenError:
        raise NotFound("no such proposal") from None
    if claims["sub"] != proposal_id:
        raise NotFound("no such proposal")
    if claims["exp"] <= booking.clock.now().timestamp():
        raise Conflict("this link has expired; ask your confidant for new times")


async def _open(
    booking: Booking, confidant_id: str, type_id: str
) -> tuple[Confidant, AppointmentType]:
    confidant = await confidants(booking.db).find_one({"_id": confidant_id}, HIDDEN)
    kind = await appointment_types(booking.db).find_one({"_id": type_id})
    if confidant is None or kind is None or not confidant.get("hours"):
        raise Conflict("the confidant or the appointment type is no longer bookable")
    return confidant, kind


async def propose(
    booking: Booking, link: CaseLink, confidant: Confidant, kind: AppointmentType, body: Propose
) -> Proposal:
    """Keep a proposal of free slots for the case; a 422 naming the times that are not."""
    address_of(confidant, kind, Book(**_booked(confidant["_id"], kind["_id"], body)))
    now = booking.clock.now()
    hours, rules = working_hours(confidant, now.date()), slot_rules(kind)
    found = await blocking(booking, confidant, now)
    if found is None:
        raise Conflict("the confidant's calendar cannot be read now; no slots can be proposed")
    starts = sorted({s.astimezone(now.tzinfo) for s in body.starts})
    if len(starts) != len(body.starts):
        raise invalid("starts", "propose different times")
    taken = [s.isoformat() for s in starts if not is_slot(hours, rules, *found, now, s)]
    if taken:
        raise Invalid("not every time is a free slot", {"starts": ", ".join(taken)})
    proposal: Proposal = {
        "_id": secrets.token_hex(12),
        "case_id": link["_id"],
        "org_id": str(link.get("org_id")),
        "confidant_id": confidant["_id"],
        "type_id": kind["_id"],
        "mode": body.mode,
        "location_id": body.location_id,
        "starts": starts,
        "status": "open",
        "appointment_id": None,
        "expires_at": min(now + timedelta(days=LINK_DAYS), starts[-1]),
        "created_at": now,
    }
    await proposals(booking.db).insert_one(proposal)
    return proposal


def _booked(confidant_id: str, type_id: str, body: Propose) -> dict[str, object]:
    return {
        "confidant_id": confidant_id,
        "type_id": type_id,
        "start": body.starts[0],
        "mode": body.mode,
        "location_id": body.location_id,
    }


async def accept(booking: Booking, link: CaseLink, proposal: Proposal, body: Accept) -> Appointment:
    """Book the proposed time the reporter picked: once per proposal, whoever picks first."""
    case = for_case(link, "reporter", proposal["_id"])
    key = f"proposal:{proposal['_id']}"
    if proposal["status"] != "open" or await replayed(booking, case.case_id, key) is not None:
        raise Conflict("this link was used already: the conversation is booked")
    start = body.start.astimezone(proposal["starts"][0].tzinfo)
    if start not in [s.astimezone(start.tzinfo) for s in proposal["starts"]]:
        raise invalid("start", "one of the proposed times")
    confidant, kind = await _open(booking, proposal["confidant_id"], proposal["type_id"])
    book = Book(
        confidant_id=confidant["_id"],
        type_id=kind["_id"],
        start=start,
        mode=proposal["mode"],
        location_id=proposal.get("location_id"),
        phone=body.phone,
    )
    doc = await reserve(booking, case, confidant, kind, book, key)
    # Kept for the page (the claim above is what makes the link single-use).
    await proposals(booking.db).update_one(
        {"_id": proposal["_id"]}, {"$set": {"status": "accepted", "appointment_id": doc["_id"]}}
    )
    return doc
