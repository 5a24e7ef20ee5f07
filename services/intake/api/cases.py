"""Cases: reporting one, coming back with the case code, the confidant's work, messages.

Who reads what: the reporter (an employee token for the case) and the assigned confidant
read a case's content; admins assign but read no content; org_admins never see cases.
Every read of content is written to the audit log.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from services.intake.api import views
from services.intake.api.keys import person_view
from services.intake.api.models import (
    Assign,
    CaseAccess,
    CaseCreate,
    CaseUpdate,
    Rotation,
    Wrap,
)
from services.intake.api.orgs import client_key, get_org, optional_staff
from services.intake.domain import rules as domain
from services.intake.domain import taxonomy
from services.intake.domain import vault as vaults
from services.intake.domain.aftercare import places, reopen
from services.intake.domain.codes import normalise
from services.intake.domain.opening import (
    CONTACT_FIELDS,
    open_report,
    organisation_for,
    received_on,
)
from services.intake.domain.updates import change_case, hand_over
from services.intake.state import INTAKE, Intake
from services.intake.store import counts
from services.intake.store import documents as docs
from services.intake.store.caselist import newest_cases
from services.intake.store.collections import AUDIT, CASES, ORG_COUNTS, TIMELINE
from services.intake.store.documents import Ident
from services.intake.store.throttle import slow_down, too_many
from shared import envelope
from shared.auth import Forbidden, Principal, Role
from shared.db import Query
from shared.errors import Conflict, not_found
from shared.event_schemas import (
    Status,
)
from shared.http import ApiError, Endpoint, answers, idempotency_key, read_body, read_query, require
from shared.listing import PageQuery, find_page, list_of, listed, page_of
from shared.outbox import HIDDEN
from shared.text import locale_of
from shared.wire import Body, Json, jsonable

log = logging.getLogger(__name__)


def case_token(intake: Intake, case: docs.Case) -> str:
    """The reporter's key to this one case, for intake and booking."""
    return intake.issuer.issue(
        sub=f"case-{case['_id']}",
        role="employee",
        audience=["intake", "booking"],
        ttl_s=intake.settings.case_token_ttl_s,
        org_id=case["org_id"],
        case_id=case["_id"],
        reference=case.get("reference"),
    )


@answers(views.Opened)
async def create_case(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    staff = optional_staff(request)
    if staff is None:
        await intake.throttle.limit(
            f"case:{client_key(request, intake)}",
            intake.settings.case_rate_limit,
            intake.settings.rate_window_s,
        )
    body = await read_body(request, CaseCreate)
    received = received_on(staff is not None, body, intake.clock.now())
    org = await organisation_for(intake, body)
    if staff is not None:
        require(request, ["admin", "confidant"], org_id=org["_id"])
    by = staff.sub if staff else None
    case, code = await open_report(intake, org, body, by, received, idempotency_key(request))
    return created(intake, case, code)


def created(intake: Intake, case: docs.Case, code: str | None) -> web.Response:
    return web.json_response(
        {
            "case_id": case["_id"],
            "confidant_id": case["confidant_id"],
            "reference": case["reference"],
            "case_code": code,
            "token": case_token(intake, case),
            "token_expires_in": intake.settings.case_token_ttl_s,
            "confirmation": taxonomy.confirmation(
                case["locale"], case["reference"], case["anonymous"]
            ),
        },
        status=201,
    )


@answers(views.Access)
async def access_case(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    settings = intake.settings
    address = client_key(request, intake)
    locked = await intake.throttle.locked_for(f"code:{address}")
    if locked:
        raise too_many(locked)
    body = await read_body(request, CaseAccess)
    org_id = None
    if body.organisation is not None:
        org = await docs.organisations(intake.db).find_one({"slug": body.organisation})
        if org is None:
            raise not_found("organisation")
        org_id = org["_id"]
    # Wrong codes from any address count against the organisation named (or, unnamed,
    # against the whole suite): a guesser who rotates addresses meets this limit instead.
    budget = f"code-org:{org_id or '*'}"
    locked = await intake.throttle.locked_for(budget)
    if locked:
        raise too_many(locked)
    case = await case_of_code(intake, body)
    now = intake.clock.now()
    if org_id is not None and case is not None and case["org_id"] != org_id:
        case = None  # a code is found only within the organisation named
    if case is None or domain.code_expired(
        case["status"],
        case.get("closed_at"),
        case.get("code_used_at"),
        now,
        settings.code_inactive_days,
    ):
        failures = await intake.throttle.hit(f"code-fail:{address}", settings.rate_window_s)
        if failures >= settings.code_max_failures:
            await intake.throttle.lock(f"code:{address}", settings.lockout_s)
        shared_failures = await intake.throttle.hit(f"fail:{budget}", settings.rate_window_s)
        if shared_failures >= settings.code_max_failures_per_org:
            await intake.throttle.lock(budget, settings.rate_window_s)
        await slow_down(settings.failure_delay_s, failures)
        raise ApiError(401, "unauthorized", "unknown or expired case code")
    await intake.update(CASES, {"_id": case["_id"]}, {"$set": {"code_used_at": now}})
    return web.json_response(
        {
            "case_id": case["_id"],
            "confidant_id": case["confidant_id"],
            "reference": case["reference"],
            "token": case_token(intake, case),
            "token_expires_in": settings.case_token_ttl_s,
        }
    )


async def case_of_code(intake: Intake, body: CaseAccess) -> docs.Case | None:
    """The case a code opens: by what the browser derived from it, or by the code itself
    (hashed as before vaults, or derived as the browser does for a case with one)."""
    if body.code_lookup is not None and body.code_secret is not None:
        lookup, secret = body.code_lookup, bytes.fromhex(body.code_secret)
    else:
        code = normalise(body.case_code or "")
        if code is None:
            return None
        found = await docs.cases(intake.db).find_one({"code_hash": await intake.code_hash(code)})
        if found is not None:
            await reporter_sealed_from_now(intake, found, code)
            return found
        keys = await asyncio.to_thread(envelope.code_keys, code)
        lookup, secret = keys.lookup.hex(), keys.secret
    case = await docs.cases(intake.db).find_one({"code_hash": lookup})
    if case is None or not hmac.compare_digest(
        case.get("code_check", ""), vaults.secret_check(secret)
    ):
        return None
    return case


async def reporter_sealed_from_now(intake: Intake, case: docs.Case, code: str) -> None:
    """A case sealed after it was made (``domain.reseal``) has no reporter key: the first
    time the code comes back, it gives one, so what is written to the reporter from now on
    is sealed to them, and the code is found the browser's way from then on."""
    vault = case.get("vault")
    if vault is None or vault.get("reporter"):
        return
    keys = await asyncio.to_thread(vaults.ReporterKeys.of_code, code)
    await intake.update(
        CASES,
        {"_id": case["_id"], "vault.reporter": None},
        {
            "$set": {
                "vault.reporter": keys.public_key,
                "code_hash": keys.lookup,
                "code_check": keys.check,
            }
        },
    )


async def load_case(intake: Intake, case_id: str) -> docs.Case:
    case = await docs.cases(intake.db).find_one({"_id": case_id}, HIDDEN)
    if case is None:
        raise not_found("case")
    return case


def content_reader(request: web.Request, case: docs.Case) -> Principal:
    """The reporter of this case or its assigned confidant; nobody else reads content."""
    who = scoped(request, case, ["confidant", "employee"])
    if who.role == "confidant" and who.sub != case["confidant_id"]:
        raise not_found("case")  # only the assigned confidant reads it; others learn nothing
    return who


def assigned_confidant(request: web.Request, case: docs.Case) -> Principal:
    who = scoped(request, case, ["confidant"])
    if who.sub != case["confidant_id"]:
        raise not_found("case")  # only the assigned confidant works on it
    return who


def scoped(request: web.Request, case: docs.Case, roles: list[Role]) -> Principal:
    """The caller, if the case is within their reach; a case of another organisation (or
    another reporter's) answers as if it did not exist."""
    try:
        return require(request, roles, org_id=case["org_id"], case_id=case["_id"])
    except Forbidden:
        raise not_found("case") from None


async def audit(intake: Intake, who: Principal, case_id: str, action: str) -> None:
    await intake.db[AUDIT].insert_one(
        {
            "case_id": case_id,
            "at": intake.clock.now(),
            "action": action,
            "role": who.role,
            "actor": "reporter" if who.role == "employee" else who.sub,
        }
    )


@answers(views.CaseRead)
async def read_case(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    who = content_reader(request, case)
    await audit(intake, who, case["_id"], "read_case")
    view = docs.metadata(case)
    view["text"] = intake.cipher.open_optional(case.get("text"), doc_id=case["_id"], field="text")
    view["vault"] = await vault_view(intake, case, who)
    if who.role == "confidant":
        view["department"] = case.get("department")
        view["reporter_role"] = case["reporter_role"]
        view["referral_to"] = intake.cipher.open_optional(
            case.get("referral_to"), doc_id=case["_id"], field="referral_to"
        )
        contact = case.get("contact")
        view["contact"] = (
            None
            if contact is None
            else {
                "preferred_channel": contact.get("preferred_channel"),
                **{
                    f: intake.cipher.open_optional(
                        contact.get(f), doc_id=case["_id"], field=f"contact.{f}"
                    )
                    for f in CONTACT_FIELDS
                },
            }
        )
    else:  # the reporter sees progress, not the confidant's bookkeeping
        for key in ("hours_spent", "confidant_id", "deadlines"):
            view.pop(key)
    return web.json_response(view)


async def vault_view(intake: Intake, case: docs.Case, who: Principal) -> Json | None:
    """A case with a vault, as its reader's browser needs it to open and write: the keys,
    the report and (for the confidant) the contact details, sealed; and the confidant's
    keys with the firm's certificate and signing key, to check their messages by. None
    without a vault."""
    vault = case.get("vault")
    if vault is None:
        return None
    reporter = who.role == "employee"
    keys = await docs.staff_keys(intake.db).find_one({"_id": case["confidant_id"]})
    view: Json = {
        **vaults.vault_view(vault, None if reporter else who.sub),
        "text": vaults.sealed_view(vault.get("text"), reporter=reporter)["sealed"],
        "confidant": person_view(intake, keys) if keys else None,
        "signing_key": intake.settings.firm_signing_key or None,
    }
    if not reporter:
        view["contact"] = vaults.b64(vault.get("contact"))
        view["referral_to"] = vaults.b64(vault.get("referral_to"))
        # Answers relayed by e-mail or WhatsApp are sent as text (sealed on arrival).
        view["relay"] = case.get("relay")
    return view


class CasesQuery(PageQuery):
    org_id: Ident | None = None  # an admin: the organisation's (without: every one's)
    status: Status | None = None
    # newest first, or by when the first contact is due (the promise kept first)
    sort: Literal["newest", "first_contact"] = "newest"
    # an admin: one confidant's (the office hands their open cases over)
    confidant_id: Ident | None = None
    # one case by how people name it (VP-2026-…), found among all, however old
    reference: str | None = Field(None, min_length=3, max_length=40)


@answers(list_of(views.CaseMeta))
async def list_cases(request: web.Request) -> web.Response:
    """Metadata only: a confidant's own cases, or an organisation's for an admin."""
    intake = request.app[INTAKE]
    who = require(request)
    asked = read_query(request, CasesQuery)
    query: Query
    # Whose list: a confidant's own; the office's choice of one confidant's, one
    # organisation's, or every organisation's (metadata only).
    confidant = who.sub if who.role == "confidant" else asked.confidant_id
    query = {"org_id": asked.org_id} if asked.org_id and who.role != "confidant" else {}
    if confidant is not None:
        query["confidant_id"] = confidant
    if asked.status is not None:
        query["status"] = asked.status
    if asked.reference is not None:
        query["reference"] = asked.reference.strip().upper()
    page = page_of(request)
    if confidant is not None and asked.sort == "newest" and asked.reference is None:
        filters = {k: v for k, v in query.items() if k != "confidant_id"}
        cases, following = await newest_cases(intake.db, confidant, filters, page, HIDDEN)
    elif asked.sort == "first_contact":
        query["first_contact_due"] = {"$exists": True}
        cases, following = await find_page(
            docs.cases(intake.db), query, page, "first_contact_due", projection=HIDDEN
        )
    else:
        cases, following = await find_page(
            docs.cases(intake.db), query, page, "created_at", descending=True, projection=HIDDEN
        )
    if who.role != "confidant":
        return listed(cases, following, docs.metadata)
    return listed(cases, following, lambda case: list_item(case, who.sub))


def list_item(case: docs.Case, confidant: str) -> Json:
    """A confidant's list: the metadata, and of a sealed case its keys and report sealed,
    so that their browser opens the list at once and searches it in memory."""
    item = docs.metadata(case)
    vault = case.get("vault")
    if vault is not None:
        item["sealed"] = {
            **vaults.vault_view(vault, confidant),
            "text": vaults.sealed_view(vault.get("text"), reporter=False)["sealed"],
        }
    return item


@answers(list_of(views.OrgCounts))
async def case_counts(request: web.Request) -> web.Response:
    """Every organisation's cases by status, and those past a deadline: counted as the cases
    change (store.counts), or, before they all were once, from the cases themselves. Not
    paged: the office's overview shows every organisation."""
    intake = request.app[INTAKE]
    require(request)
    if await counts.counted(intake.db):
        # One answer, a small row per organisation: paged, each page would read them all
        # again (FerretDB sorts in Go), 4.7 s for 10,000 organisations against 0.6 s.
        found = await intake.db[ORG_COUNTS].find({}).to_list(None)
        return listed(sorted(found, key=lambda c: str(c["_id"])), None, counts.view)
    # Not counted yet (an installation from before the counts): read every case once.
    now = intake.clock.now()
    tally: dict[str, dict[str, Any]] = {}
    fields = {"org_id": 1, "status": 1, "deadlines": 1}
    async for case in docs.cases(intake.db).find({}, fields):
        org = tally.setdefault(case["org_id"], {"_id": case["org_id"], "overdue": 0})
        org[case["status"]] = org.get(case["status"], 0) + 1
        open_case = case["status"] != "closed"
        org["overdue"] += open_case and domain.overdue(case.get("deadlines") or {}, now)
        org["overdue_at"] = now
    return listed([tally[k] for k in sorted(tally)], None, counts.view)


@answers(views.CaseMeta)
async def update_case(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    assigned_confidant(request, case)
    body = await read_body(request, CaseUpdate)
    await change_case(intake, case, body)
    return web.json_response(docs.metadata(await load_case(intake, case["_id"])))


class Reopen(Body):
    reason: str = Field(min_length=3, max_length=500)


@answers(views.CaseMeta)
async def reopen_case(request: web.Request) -> web.Response:
    """Take a closed case up again (aftercare), with the reason."""
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    who = assigned_confidant(request, case)
    body = await read_body(request, Reopen)
    await reopen(intake, case, who.sub, body.reason)
    return web.json_response(docs.metadata(await load_case(intake, case["_id"])))


@answers(list_of(views.Place))
async def referral_places(request: web.Request) -> web.Response:
    """Where a case of this organisation can be referred to (its own list, or the usual
    places), for the closing form."""
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    assigned_confidant(request, case)
    org = await get_org(intake, case["org_id"])
    locale = locale_of(request.query.get("lang"), case.get("locale"))
    return web.json_response({"items": places(org, locale), "next": None})


@answers(views.CaseMeta)
async def assign_case(request: web.Request) -> web.Response:
    """Hand a case over to a colleague: an admin, or the confidant who has it now."""
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    who = scoped(request, case, ["admin", "confidant"])
    if who.role == "confidant" and who.sub != case["confidant_id"]:
        raise not_found("case")  # the assigned confidant or an admin hands it over
    body = await read_body(request, Assign)
    wrap = base64.b64decode(body.wrap) if body.wrap else None
    org = await get_org(intake, case["org_id"])
    await hand_over(intake, case, org, body.confidant_id, wrap)
    return web.json_response(docs.metadata(await load_case(intake, case["_id"])))


@answers(views.CaseMeta)
async def rotate_key(request: web.Request) -> web.Response:
    """A case's key replaced by its confidant's browser, after someone who knew it (who
    handed it over, or left) no longer holds it: what is sealed from now on is sealed to a
    key they never had; what was sealed before opens through the chain."""
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    who = assigned_confidant(request, case)
    vault = case.get("vault")
    if vault is None:
        raise Conflict("this case is not sealed to keys", code="no_vault")
    body = await read_body(request, Rotation)
    sealed = {name: base64.b64decode(getattr(body, name)) for name in ("wrap", "escrow", "by_next")}
    for name, value in sealed.items():
        vaults.check_sealed_key(value, name)
    old, new = base64.b64decode(body.from_key), base64.b64decode(body.public_key)
    if old != vault["public"]:
        raise Conflict("the case's key changed meanwhile; load it again", code="key_changed")
    wraps = {who.sub: sealed["wrap"], vaults.ESCROW: sealed["escrow"]}
    change = {
        "$set": vaults.rotated(vault, new, wraps, sealed["by_next"]),
        "$unset": {"vault.rotate": ""},
    }
    as_read = {"_id": case["_id"], "confidant_id": who.sub, "vault.public": old}
    if not await intake.update(CASES, as_read, change):
        raise Conflict("the case changed meanwhile; load it again")
    return web.json_response(docs.metadata(await load_case(intake, case["_id"])))


@answers(views.CaseMeta)
async def seal_on(request: web.Request) -> web.Response:
    """A case handed over by the office, sealed on to its new confidant by the browser of
    someone who holds its key (who holds it no longer unless it is theirs)."""
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    who = scoped(request, case, ["confidant"])
    vault = case.get("vault")
    if vault is None:
        raise Conflict("this case is not sealed to keys", code="no_vault")
    if who.sub not in vault["wraps"]:
        raise Conflict("you hold no key of this case to seal on", code="no_key")
    body = await read_body(request, Wrap)
    wrap = base64.b64decode(body.wrap)
    vaults.check_sealed_key(wrap, "wrap")
    if vault.get("pending") != body.holder:
        raise Conflict("the case waits for no key for this confidant", code="not_pending")
    change: dict[str, Any] = {
        "$set": {f"vault.wraps.{body.holder}": wrap, "vault.rotate": True},
        "$unset": {"vault.pending": ""},
    }
    if who.sub != case["confidant_id"]:
        change["$unset"][f"vault.wraps.{who.sub}"] = ""
    if not await intake.update(CASES, {"_id": case["_id"], "vault.pending": body.holder}, change):
        raise Conflict("the case changed meanwhile; load it again")
    return web.json_response(docs.metadata(await load_case(intake, case["_id"])))


@answers(list_of(views.AuditEntry))
async def read_audit(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    page = page_of(request)
    entries, following = await find_page(intake.db[AUDIT], {"case_id": case["_id"]}, page, "at")
    return listed(
        entries,
        following,
        lambda e: {
            "at": e["at"].isoformat(),
            "action": e["action"],
            "role": e["role"],
            "actor": e["actor"],
        },
    )


@answers(list_of(views.TimelineEntry))
async def case_timeline(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    content_reader(request, case)
    page = page_of(request)
    entries, following = await find_page(
        intake.db[TIMELINE], {"case_id": case["_id"]}, page, "occurred_at"
    )
    return listed(
        entries,
        following,
        lambda e: {
            "type": e["type"],
            "appointment_id": e["appointment_id"],
            "occurred_at": e["occurred_at"].isoformat(),
            "starts_at": jsonable(e.get("starts_at")),
            "mode": e.get("mode"),
        },
    )


READERS: list[Role] = ["confidant", "employee"]


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/cases",
        create_case,
        "Report: no login (web), or staff registering a phone/WhatsApp/e-mail case.",
        body=CaseCreate,
        status=201,
    ),
    Endpoint(
        "POST",
        "/v1/cases/access",
        access_case,
        "Come back with the case code: a token for the case.",
        body=CaseAccess,
    ),
    Endpoint(
        "GET",
        "/v1/cases",
        list_cases,
        "Case metadata: mine, or an organisation's.",
        query=CasesQuery,
        roles=["admin", "confidant"],
        scope="mine",
    ),
    Endpoint(
        "GET",
        "/v1/case-counts",
        case_counts,
        "Every organisation's cases by status, and those past a deadline (no content), "
        "in one answer.",
        roles=["admin"],
    ),
    Endpoint(
        "GET",
        "/v1/cases/{case_id}",
        read_case,
        "A case's content.",
        roles=READERS,
        scope="case",
    ),
    Endpoint(
        "PATCH",
        "/v1/cases/{case_id}",
        update_case,
        "Status, outcome on closing, hours.",
        roles=["confidant"],
        body=CaseUpdate,
        scope="case",
    ),
    Endpoint(
        "POST",
        "/v1/cases/{case_id}/reopen",
        reopen_case,
        "Reopen a closed case, with the reason (aftercare).",
        roles=["confidant"],
        body=Reopen,
        scope="case",
    ),
    Endpoint(
        "GET",
        "/v1/cases/{case_id}/referrals",
        referral_places,
        "The places a case can be referred to (?lang=).",
        roles=["confidant"],
        scope="case",
    ),
    Endpoint(
        "POST",
        "/v1/cases/{case_id}/assign",
        assign_case,
        "Hand a case over.",
        roles=["admin", "confidant"],
        body=Assign,
        scope="case",
    ),
    Endpoint(
        "POST",
        "/v1/cases/{case_id}/wraps",
        seal_on,
        "A handed-over case's key, sealed on to its new confidant.",
        roles=["confidant"],
        body=Wrap,
        scope="case",
    ),
    Endpoint(
        "POST",
        "/v1/cases/{case_id}/key",
        rotate_key,
        "A case's key replaced by its confidant's browser (the old one chained to it).",
        roles=["confidant"],
        body=Rotation,
        scope="case",
    ),
    Endpoint(
        "GET",
        "/v1/cases/{case_id}/audit",
        read_audit,
        "Who read the case, when.",
        query=PageQuery,
        roles=["admin"],
    ),
    Endpoint(
        "GET",
        "/v1/cases/{case_id}/timeline",
        case_timeline,
        "Appointments of a case, oldest first.",
        query=PageQuery,
        roles=READERS,
        scope="case",
    ),
]
