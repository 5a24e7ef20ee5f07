"""Booking's HTTP API for booking on a case's behalf: the confidant (or the office) books a
slot for the reporter, or proposes times the reporter picks from with a link that needs no
log-in (``domain.proposals``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_datetime
from typing_extensions import TypedDict

from services.booking.api.appointments import shown
from services.booking.api.confidants import caller
from services.booking.api.slots import confidant_and_type
from services.booking.domain.proposals import (
    Accept,
    Propose,
    accept,
    check_link,
    for_case,
    link_token,
    propose,
)
from services.booking.domain.reserve import Book, replayed, reserve
from services.booking.state import BOOKING
from services.booking.store.documents import (
    CaseLink,
    Proposal,
    appointment_types,
    appointment_view,
    appointments,
    cases,
    confidants,
    proposals,
)
from shared.auth import Forbidden
from shared.errors import Conflict, invalid, not_found
from shared.event_schemas import MeetingMode
from shared.http import Endpoint, answers, idempotency_key, read_body, require
from shared.messages import N_, Texts
from shared.outbox import HIDDEN
from shared.replies import Appointment as AppointmentView
from shared.text import Locale

CASE = "{case_id:[0-9a-zA-Z_-]{1,64}}"
PROPOSAL = "{proposal_id:[0-9a-f]{24}}"
LINK_HEADER = "X-Proposal-Token"

WORDS = Texts(
    {
        "intro": N_("I would like to talk with you. These times are free:"),
        "pick": N_("Choose the time that suits you (the link works once, until %s):"),
        "online": N_("online (video)"),
        "on_location": N_("on location"),
        "phone": N_("by phone"),
        "walk": N_("a walk"),
    }
)


async def case_link(request: web.Request) -> CaseLink:
    """The case named in the path, as booking knows it from intake's events, for its
    confidant or the office; someone else's case and none at all answer alike. A closed
    case is not booked for."""
    booking = request.app[BOOKING]
    link = await cases(booking.db).find_one({"_id": request.match_info["case_id"]})
    if link is None or not link.get("org_id"):
        raise not_found("case")
    try:
        who = require(request, org_id=str(link["org_id"]))
    except Forbidden:
        raise not_found("case") from None
    if who.role == "confidant" and who.sub != link.get("confidant_id"):
        raise not_found("case")
    if link.get("closed"):
        raise Conflict("the case is closed")
    return link


@answers(AppointmentView)
async def book_for_case(request: web.Request) -> web.Response:
    """A conversation the confidant books for the reporter (a case by phone: the times read
    out and one chosen on the call)."""
    who = caller(request, ["admin", "confidant"])
    booking = request.app[BOOKING]
    link = await case_link(request)
    key = idempotency_key(request)
    earlier = await replayed(booking, link["_id"], key)
    if earlier is not None:
        return web.json_response(shown(request, earlier, who), status=201)
    body = await read_body(request, Book)
    if body.confidant_id != link.get("confidant_id"):
        raise invalid("confidant_id", "the case's own confidant")
    confidant, kind = await confidant_and_type(
        request, booking, body.confidant_id, body.type_id, who
    )
    doc = await reserve(booking, for_case(link, who.role), confidant, kind, body, key)
    return web.json_response(shown(request, doc, who), status=201)


class ProposalMade(TypedDict):
    id: str
    case_id: str
    starts: list[str]
    mode: MeetingMode
    expires_at: str
    url: str
    message: str  # the message to send the reporter, in the case's language


def when(moment: datetime, zone: str, locale: Locale) -> str:
    return format_datetime(moment.astimezone(ZoneInfo(zone)), "EEEE d MMMM, HH:mm", locale=locale)


def message_of(proposal: Proposal, url: str, zone: str, locale: Locale) -> str:
    """What the reporter reads in their channel: the times, how, and the link."""
    words = WORDS[locale]
    lines = [words["intro"]]
    lines += [f"- {when(s, zone, locale)} ({words[proposal['mode']]})" for s in proposal["starts"]]
    lines += ["", words["pick"] % when(proposal["expires_at"], zone, locale), url]
    return "\n".join(lines)


@answers(ProposalMade)
async def make_proposal(request: web.Request) -> web.Response:
    who = caller(request, ["admin", "confidant"])
    booking = request.app[BOOKING]
    link = await case_link(request)
    body = await read_body(request, Propose)
    confidant, kind = await confidant_and_type(
        request, booking, str(link.get("confidant_id")), body.type_id, who
    )
    proposal = await propose(booking, link, confidant, kind, body)
    base = booking.settings.suite_url or f"{request.scheme}://{request.host}/"
    url = f"{base.rstrip('/')}/book?proposal={proposal['_id']}#p={link_token(booking, proposal)}"
    locale: Locale = "en" if link.get("locale") == "en" else "nl"
    made: ProposalMade = {
        "id": proposal["_id"],
        "case_id": proposal["case_id"],
        "starts": [s.isoformat() for s in proposal["starts"]],
        "mode": proposal["mode"],
        "expires_at": proposal["expires_at"].isoformat(),
        "url": url,
        "message": message_of(proposal, url, confidant["timezone"], locale),
    }
    return web.json_response(made, status=201)


class ProposalView(TypedDict):
    id: str
    starts: list[str]
    mode: MeetingMode
    duration_min: int
    confidant: str
    ask_phone: bool  # the reporter gives the number to call
    expires_at: str
    appointment: AppointmentView | None  # once picked


async def opened(request: web.Request) -> tuple[Proposal, CaseLink]:
    """The proposal the link names, checked against its token (the header, never the URL a
    server logs)."""
    booking = request.app[BOOKING]
    proposal_id = request.match_info["proposal_id"]
    check_link(booking, proposal_id, request.headers.get(LINK_HEADER, ""))
    proposal = await proposals(booking.db).find_one({"_id": proposal_id})
    link = await cases(booking.db).find_one({"_id": proposal["case_id"]}) if proposal else None
    if proposal is None or link is None:
        raise not_found("proposal")
    return proposal, link


@answers(ProposalView)
async def read_proposal(request: web.Request) -> web.Response:
    booking = request.app[BOOKING]
    proposal, link = await opened(request)
    confidant = await confidants(booking.db).find_one({"_id": proposal["confidant_id"]}, HIDDEN)
    kind = await appointment_types(booking.db).find_one({"_id": proposal["type_id"]})
    made = None
    if proposal.get("appointment_id"):
        made = await appointments(booking.db).find_one({"_id": proposal["appointment_id"]})
    view: ProposalView = {
        "id": proposal["_id"],
        "starts": [s.isoformat() for s in proposal["starts"]],
        "mode": proposal["mode"],
        "duration_min": kind["duration_min"] if kind else 0,
        "confidant": confidant["display_name"] if confidant else "",
        "ask_phone": proposal["mode"] == "phone" and not for_case(link, "reporter").number_known,
        "expires_at": proposal["expires_at"].isoformat(),
        "appointment": appointment_view(made) if made else None,
    }
    return web.json_response(view)


@answers(AppointmentView)
async def accept_proposal(request: web.Request) -> web.Response:
    booking = request.app[BOOKING]
    proposal, link = await opened(request)
    body = await read_body(request, Accept)
    doc = await accept(booking, link, proposal, body)
    return web.json_response(appointment_view(doc), status=201)


ENDPOINTS = [
    Endpoint(
        "POST",
        f"/v1/cases/{CASE}/appointments",
        book_for_case,
        "The case's confidant (or the office) books for the reporter; honours Idempotency-Key.",
        roles=["admin", "confidant"],
        body=Book,
        status=201,
        scope="case",
    ),
    Endpoint(
        "POST",
        f"/v1/cases/{CASE}/proposals",
        make_proposal,
        "Propose one to three free times; answers the link and the message to send.",
        roles=["admin", "confidant"],
        body=Propose,
        status=201,
        scope="case",
    ),
    Endpoint(
        "GET",
        f"/v1/proposals/{PROPOSAL}",
        read_proposal,
        f"The proposed times, with the link's token in {LINK_HEADER}.",
    ),
    Endpoint(
        "POST",
        f"/v1/proposals/{PROPOSAL}/accept",
        accept_proposal,
        f"Book one of the proposed times, once (the link's token in {LINK_HEADER}).",
        body=Accept,
        status=201,
    ),
]
