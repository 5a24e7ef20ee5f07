"""Intake's HTTP API for what is written in a case: the confidant's private notes and the
messages between reporter and confidant (and whether those sent by e-mail or WhatsApp
went out)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web

from services.intake.api import views
from services.intake.api.cases import READERS, assigned_confidant, audit, content_reader, load_case
from services.intake.api.models import Text
from services.intake.domain import vault as vaults
from services.intake.domain.codes import new_id
from services.intake.domain.opening import case_event, message_event
from services.intake.domain.texts import Written, relay_pending, store_text
from services.intake.domain.updates import answered
from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from services.intake.store.collections import MESSAGES, NOTES
from shared.auth import Principal
from shared.errors import Conflict, invalid
from shared.event_schemas import (
    CaseNoteAdded,
)
from shared.http import Endpoint, answers, read_body
from shared.listing import PageQuery, find_page, list_of, listed, page_of
from shared.wire import Json


@answers(views.NoteAdded)
async def add_note(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    who = assigned_confidant(request, case)
    body = await read_body(request, Text)
    if body.signed:
        raise invalid("signed", "a note is the confidant's own: not signed")
    note_id = new_id()
    event = case_event(CaseNoteAdded, case, intake.clock.now(), note_id=note_id)
    await store_text(intake, NOTES, note_id, case, who.sub, written(body), event)
    return web.json_response({"note_id": note_id}, status=201)


def written(body: Text) -> Written:
    """The body's text or envelopes (checked: sealed to a key, in whole blocks)."""
    sealed = reporter = None
    if body.sealed is not None:
        sealed = base64.b64decode(body.sealed)
        vaults.check_sealed(sealed, "sealed")
    if body.reporter is not None:
        reporter = base64.b64decode(body.reporter)
        vaults.check_sealed(reporter, "reporter")
    return Written(body.text, sealed, reporter, body.signed)


async def _texts(
    request: web.Request,
    collection: str,
    reader: Callable[[web.Request, docs.Case], Principal],
    action: str,
    view: Callable[[Intake, docs.Text, bool], Json],
) -> web.Response:
    """A page of a case's notes or messages: who may read them checked, the reading
    audited, the texts opened."""
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    who = reader(request, case)
    await audit(intake, who, case["_id"], action)
    query = {"case_id": case["_id"]}
    texts = docs.notes(intake.db) if collection == NOTES else docs.messages(intake.db)
    found, following = await find_page(texts, query, page_of(request), "created_at")
    reporter = who.role == "employee"
    return listed(found, following, lambda doc: view(intake, doc, reporter))


def opened(intake: Intake, doc: docs.Text, reporter: bool) -> dict[str, Any]:
    """A text as its reader gets it: opened here (under the server's keys), or sealed."""
    if "vault" in doc:
        return {"text": None, **vaults.sealed_view(doc["vault"], reporter=reporter)}
    return {
        "text": intake.cipher.open(doc["text"], doc_id=doc["_id"], field="text"),
        "sealed": None,
        "signed": False,
    }


def note_view(intake: Intake, note: docs.Text, reporter: bool = False) -> Json:
    return {
        "note_id": note["_id"],
        "created_at": note["created_at"].isoformat(),
        **opened(intake, note, reporter),
    }


def message_view(intake: Intake, message: docs.Text, reporter: bool = False) -> Json:
    return {
        "message_id": message["_id"],
        "author": message["author"],
        "created_at": message["created_at"].isoformat(),
        **opened(intake, message, reporter),
        # Sent by e-mail or WhatsApp: whether it went out, and how far it got.
        "delivery": docs.relay_view(message.get("relay")),
    }


@answers(list_of(views.NoteView))
async def list_notes(request: web.Request) -> web.Response:
    return await _texts(request, NOTES, assigned_confidant, "read_notes", note_view)


@answers(views.MessagePosted)
async def post_message(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    case = await load_case(intake, request.match_info["case_id"])
    who = content_reader(request, case)
    if case.get("purged_at"):
        raise Conflict("the case is closed and its messages are gone")
    body = await read_body(request, Text)
    author: Literal["reporter", "confidant"] = "reporter" if who.role == "employee" else "confidant"
    if body.signed and author != "confidant":
        raise invalid("signed", "only a confidant's message is signed")
    message_id = new_id()
    # A case that came in by e-mail or WhatsApp: the confidant's answer goes back that way.
    relayed = case.get("relay") if author == "confidant" else None
    event = message_event(case, intake.clock.now(), message_id, author, relayed)
    relay = await relay_pending(intake, message_id, relayed) if relayed else None
    if relayed and body.text is None:
        raise Conflict(
            f"an answer goes to the reporter by {relayed}: send it as text", code="relayed"
        )
    now = await store_text(intake, MESSAGES, message_id, case, author, written(body), event, relay)
    if relayed:
        intake.relay_wanted.set()
    if author == "confidant":
        # A first answer is the first contact, and acknowledges a whistleblower report
        # (Wet bescherming klokkenluiders).
        await answered(intake, case, now)
    return web.json_response({"message_id": message_id, "created_at": now.isoformat()}, status=201)


@answers(list_of(views.MessageView))
async def list_messages(request: web.Request) -> web.Response:
    return await _texts(request, MESSAGES, content_reader, "read_messages", message_view)


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/cases/{case_id}/notes",
        add_note,
        "A private note.",
        roles=["confidant"],
        body=Text,
        status=201,
        scope="case",
    ),
    Endpoint(
        "GET",
        "/v1/cases/{case_id}/notes",
        list_notes,
        "The private notes.",
        query=PageQuery,
        roles=["confidant"],
        scope="case",
    ),
    Endpoint(
        "POST",
        "/v1/cases/{case_id}/messages",
        post_message,
        "A message between reporter and confidant.",
        roles=READERS,
        body=Text,
        status=201,
        scope="case",
    ),
    Endpoint(
        "GET",
        "/v1/cases/{case_id}/messages",
        list_messages,
        "The messages.",
        query=PageQuery,
        roles=READERS,
        scope="case",
    ),
]
