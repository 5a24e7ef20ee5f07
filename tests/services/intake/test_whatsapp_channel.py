"""WhatsApp in and out: the webhook handshake and signature, messages becoming cases and
continuing them, replies through the Cloud API (a local stand-in that checks every request
against the documented shape), delivery statuses, and nothing personal outside intake."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from bson import json_util

from deploy import whatsapp_standin as wa
from services.intake.api import channels as api_channels
from services.intake.store.collections import CASES, MESSAGES, WEBHOOK_INBOX
from tests.conftest import Isolation, StartService
from tests.polling import eventually
from tests.services.intake.conftest import Client, Workspace, bearer, state, stream_events

NUMBER_ID = "106540352242922"  # the organisation's WhatsApp number (Meta's id for it)
SENDER = "31612345678"
TOKEN, SECRET, VERIFY = "graph-token-1", "app-secret-1", "verify-me-1"
HOOK = "/v1/channels/whatsapp/webhook"


@dataclass
class WhatsAppWorld(Workspace):
    intake: Client
    graph: wa.GraphStandIn
    org: dict[str, Any]
    anna: dict[str, str]
    admin: dict[str, str]

    async def post(self, payload: dict[str, Any], secret: str = SECRET) -> int:
        body, headers = wa.signed(secret, payload)
        response = await self.intake.post(HOOK, data=body, headers=headers)
        return response.status

    async def text(self, text: str, sender: str = SENDER, **kw: Any) -> dict[str, Any]:
        payload = wa.incoming(NUMBER_ID, sender, "Fatima El Amrani", text=text, **kw)
        assert await self.post(payload) == 200
        return payload

    async def sent_to(self, number: str, n: int) -> list[dict[str, Any]]:
        async def arrived() -> bool:
            return len([s for s in self.graph.sent if s["to"] == number]) >= n

        await eventually(arrived)
        return [s for s in self.graph.sent if s["to"] == number]


@pytest.fixture
async def graph() -> AsyncIterator[tuple[wa.GraphStandIn, str]]:
    standin = wa.GraphStandIn(TOKEN)
    server = TestServer(standin.app())
    await server.start_server()
    yield standin, str(server.make_url("/v21.0"))
    await server.close()
    assert standin.refused == [] or all(code == 131047 for code, _ in standin.refused)


def secrets_env(tmp_path: Path, api_url: str) -> dict[str, str]:
    files = {}
    for name, value in (("access_token", TOKEN), ("app_secret", SECRET), ("verify_token", VERIFY)):
        path = tmp_path / name
        path.write_text(value + "\n")
        files[f"INTAKE_WHATSAPP_{name.upper()}_FILE"] = str(path)
    return {"INTAKE_WHATSAPP_API_URL": api_url, **files}


@pytest.fixture
async def world(
    start_service: StartService,
    token: Callable[..., str],
    graph: tuple[wa.GraphStandIn, str],
    tmp_path: Path,
) -> WhatsAppWorld:
    standin, url = graph
    intake = await start_service("intake", **secrets_env(tmp_path, url))
    admin = bearer(token("admin", "intake"))
    org = await (
        await intake.post(
            "/v1/orgs",
            headers=admin,
            json={"name": "Bouwbedrijf Zuid", "slug": "bouw-zuid", "confidant_ids": ["c-anna"]},
        )
    ).json()
    put = await intake.put(
        f"/v1/orgs/{org['id']}/channels",
        headers=admin,
        json={"whatsapp_phone_number_id": NUMBER_ID},
    )
    assert put.status == 200, await put.text()
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    return WhatsAppWorld(intake, standin, org, anna, admin)


async def test_the_subscription_handshake(world: WhatsAppWorld) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    ok = await world.intake.get(HOOK, params=query)
    assert ok.status == 200 and await ok.text() == "1158201444"
    wrong = await world.intake.get(HOOK, params={**query, "hub.verify_token": "guess"})
    assert wrong.status == 403
    assert (await world.intake.get(HOOK, params={**query, "hub.mode": "unsubscribe"})).status == 403


async def test_without_settings_the_channel_is_off(start_service: StartService) -> None:
    intake = await start_service("intake")
    body, headers = wa.signed(SECRET, wa.incoming(NUMBER_ID, SENDER, "X", text="hallo"))
    assert (await intake.post(HOOK, data=body, headers=headers)).status == 404
    assert (await intake.get(HOOK, params={"hub.mode": "subscribe"})).status == 404


async def test_a_wrong_or_missing_signature_stores_nothing(world: WhatsAppWorld) -> None:
    payload = wa.incoming(NUMBER_ID, SENDER, "Fatima", text="Ik word gepest.")
    assert await world.post(payload, secret="not-the-secret") == 401
    body = json.dumps(payload).encode()
    unsigned = await world.intake.post(
        HOOK, data=body, headers={"Content-Type": "application/json"}
    )
    assert unsigned.status == 401
    tampered_body, headers = wa.signed(SECRET, payload)
    tampered = await world.intake.post(
        HOOK, data=tampered_body.replace(b"gepest", b"geplest"), headers=headers
    )
    assert tampered.status == 401
    assert await state(world.intake).db[CASES].count_documents({}) == 0
    # Signed, but not the documented shape: a clean 400.
    for malformed in (
        b"{not json",
        b'{"object": "page"}',
        b'{"object": "whatsapp_business_account", "entry": 5}',
    ):
        signature = hmac.new(SECRET.encode(), malformed, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature-256": f"sha256={signature}"}
        answer = await world.intake.post(HOOK, data=malformed, headers=headers)
        assert answer.status == 400, malformed


async def test_a_conversation_by_whatsapp(world: WhatsAppWorld) -> None:
    first = await world.text("Mijn collega maakt steeds opmerkingen over mijn hoofddoek.")

    async def one_case() -> bool:
        return len(await world.cases()) == 1

    await eventually(one_case)
    [case] = await world.cases()
    assert case["channel"] == "whatsapp"
    content = await (
        await world.intake.get(f"/v1/cases/{case['case_id']}", headers=world.anna)
    ).json()
    assert content["contact"]["phone"] == SENDER
    assert content["contact"]["name"] == "Fatima El Amrani"
    assert "hoofddoek" in content["text"]
    [ack] = await world.sent_to(SENDER, 1)
    assert case["reference"] in ack["text"]["body"] and ack["phone_number_id"] == NUMBER_ID

    # The same webhook again (WhatsApp retries what it thinks failed): nothing new.
    assert await world.post(first) == 200
    # A later message from the same number continues the case.
    await world.text("Het gebeurde vandaag weer.")

    async def second() -> bool:
        return len(await world.messages(case["case_id"])) == 2

    # (Webhooks are answered before their message is stored, and WhatsApp promises no
    # order between two of them: the next is sent once this one is in, so the order of
    # the list below is the order they were sent in.)
    await eventually(second)
    await world.text("", type_="image", extra=None)
    await world.post(wa.incoming(NUMBER_ID, SENDER, "F", type_="reaction"))  # not kept

    async def appended() -> bool:
        return len(await world.messages(case["case_id"])) == 3

    await eventually(appended)
    messages = await world.messages(case["case_id"])
    assert [m["author"] for m in messages] == ["system", "reporter", "reporter"]
    assert messages[1]["text"] == "Het gebeurde vandaag weer."
    assert "image" in messages[2]["text"] and "niet bewaard" in messages[2]["text"]
    assert len(await world.cases()) == 1

    # The confidant answers from the workspace (the API here): through the Cloud API.
    await world.answer(case["case_id"], "Wat vervelend. Kunnen we morgen om 10 uur bellen?")
    sent = await world.sent_to(SENDER, 2)
    assert sent[1]["text"]["body"] == "Wat vervelend. Kunnen we morgen om 10 uur bellen?"
    wamid = sent[1]["id"]

    async def delivered_as(expected: str) -> bool:
        last = (await world.messages(case["case_id"]))[-1]["delivery"]
        return bool(last["state"] == "sent" and last["status"] == expected)

    # Statuses, out of order: "read" is kept even when "delivered" comes after it.
    assert await world.post(wa.status(NUMBER_ID, wamid, "read", SENDER)) == 200
    assert await world.post(wa.status(NUMBER_ID, wamid, "delivered", SENDER)) == 200
    await eventually(lambda: delivered_as("read"))

    # Once the case is closed, the next message opens a new one.
    closed = await world.intake.patch(
        f"/v1/cases/{case['case_id']}",
        headers=world.anna,
        json={"status": "closed", "outcome": "advice"},
    )
    assert closed.status == 200
    await world.text("Ik heb een nieuwe vraag.")

    async def two_cases() -> bool:
        return len(await world.cases()) == 2

    await eventually(two_cases)


async def test_first_messages_at_once_make_one_case(world: WhatsAppWorld) -> None:
    statuses = await asyncio.gather(
        *(world.post(wa.incoming(NUMBER_ID, SENDER, "F", text=f"deel {i}")) for i in range(6))
    )
    assert statuses == [200] * 6
    db = state(world.intake).db

    async def all_stored() -> bool:
        return await db[MESSAGES].count_documents({"author": "reporter"}) == 5

    await eventually(all_stored)
    assert await db[CASES].count_documents({}) == 1
    case = await db[CASES].find_one({})
    assert case is not None
    # One opened the case; the other five are messages on it.
    assert await db[MESSAGES].count_documents({"case_id": case["_id"], "author": "reporter"}) == 5


async def test_outside_the_24_hour_window_the_reply_fails_visibly(world: WhatsAppWorld) -> None:
    await world.text("Hallo?")

    async def one_case() -> bool:
        return len(await world.cases()) == 1

    await eventually(one_case)
    [case] = await world.cases()
    await world.sent_to(SENDER, 1)
    world.graph.window_closed.add(SENDER)
    await world.answer(case["case_id"], "Later?")

    async def failed() -> bool:
        last = (await world.messages(case["case_id"]))[-1]["delivery"]
        return bool(last["state"] == "failed" and "131047" in last["error"])

    await eventually(failed)
    assert len(world.graph.sent) == 1  # tried once: no retry can open the window


async def test_whatsapp_contents_stay_in_intake_sealed(
    world: WhatsAppWorld, isolation: Isolation, caplog: pytest.LogCaptureFixture, infra: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    await world.text("Mijn leidinggevende Piet Jansen kleineert mij.")
    await world.sent_to(SENDER, 1)
    db = state(world.intake).db
    dump = "".join(
        [
            json_util.dumps(await db[n].find({}).to_list(10_000))
            for n in await db.list_collection_names()
        ]
    )
    events = json.dumps(await stream_events(infra, isolation))
    logs = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "intake.case.opened" in events
    for secret in (SENDER, "Fatima", "Piet Jansen", "kleineert"):
        assert secret not in dump, f"{secret!r} in the database"
        assert secret not in events, f"{secret!r} on the stream"
        assert secret not in logs, f"{secret!r} in the logs"


async def test_a_number_belongs_to_one_organisation(world: WhatsAppWorld) -> None:
    other = await (
        await world.intake.post(
            "/v1/orgs",
            headers=world.admin,
            json={"name": "Ander", "slug": "ander", "confidant_ids": ["c-anna"]},
        )
    ).json()
    taken = await world.intake.put(
        f"/v1/orgs/{other['id']}/channels",
        headers=world.admin,
        json={"whatsapp_phone_number_id": NUMBER_ID},
    )
    assert taken.status == 409
    bad = await world.intake.put(
        f"/v1/orgs/{other['id']}/channels",
        headers=world.admin,
        json={"whatsapp_phone_number_id": "+31 6 not an id"},
    )
    assert bad.status == 422


async def test_a_webhook_answered_but_not_processed_is_swept_once(
    world: WhatsAppWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    intake = state(world.intake)
    real = api_channels.process

    async def cut_off(*args: Any) -> None:
        return None  # the instance died right after answering WhatsApp

    monkeypatch.setattr(api_channels, "process", cut_off)
    await world.text("Ik durf het bijna niet te zeggen.")
    assert await intake.db[CASES].count_documents({}) == 0
    assert await intake.db[WEBHOOK_INBOX].count_documents({}) == 1
    monkeypatch.setattr(api_channels, "process", real)
    monkeypatch.setattr(api_channels, "SWEEP_AFTER", timedelta(0))
    # Two instances' sweeps at once: the message is stored once, acknowledged once.
    await asyncio.gather(api_channels.sweep(intake), api_channels.sweep(intake))
    assert await intake.db[CASES].count_documents({}) == 1
    assert await intake.db[WEBHOOK_INBOX].count_documents({}) == 0
    await world.sent_to(SENDER, 1)
    assert await intake.db[MESSAGES].count_documents({"author": "system"}) == 1


async def test_a_conversation_booked_moved_and_cancelled_is_told_in_the_chat(
    world: WhatsAppWorld, start_service: StartService, token: Callable[..., str]
) -> None:
    from tests.scene import make_anna
    from tests.services.booking.conftest import next_weekday_at

    booking = await start_service("booking")
    await make_anna(booking, token, world.org["id"])
    await world.text("Ik word gepest door een collega.")

    async def one_case() -> bool:
        return len(await world.cases()) == 1

    await eventually(one_case)
    [case] = await world.cases()
    anna = bearer(token("confidant", "booking", orgs=[world.org["id"]], sub="c-anna"))
    body = {"confidant_id": "c-anna", "type_id": "gesprek", "mode": "online"}

    async def known() -> bool:  # booking has heard of the case
        start = next_weekday_at(10).isoformat()
        made = await booking.post(
            f"/v1/cases/{case['case_id']}/appointments", headers=anna, json={**body, "start": start}
        )
        return made.status == 201

    await eventually(known)
    [appointment] = (await (await booking.get("/v1/appointments", headers=anna)).json())["items"]

    def said(words: str) -> list[str]:
        return [s["text"]["body"] for s in world.graph.sent if words in s["text"]["body"]]

    async def booked() -> bool:
        return bool(said("Uw gesprek is gepland"))

    await eventually(booked)
    assert appointment["video_url"] in said("Uw gesprek is gepland")[0]  # the room, in the chat
    moved = await booking.post(
        f"/v1/appointments/{appointment['id']}/reschedule",
        headers=anna,
        json={"start": next_weekday_at(14).isoformat()},
    )
    assert moved.status == 200, await moved.text()
    cancelled = await booking.post(f"/v1/appointments/{appointment['id']}/cancel", headers=anna)
    assert cancelled.status == 200

    async def moved_then_cancelled() -> bool:
        return bool(said("verplaatst naar")) and bool(said("geannuleerd"))

    await eventually(moved_then_cancelled)
    assert len(said("Uw gesprek is gepland")) == 1  # each told once


async def test_a_status_that_overtakes_the_relays_own_record_is_not_lost(
    world: WhatsAppWorld,
) -> None:
    """The Cloud API may report "delivered" before the relay has written down which
    message the id names: the webhook is read again a little later, not dropped."""
    await world.text("Ik word gepest.")

    async def one_case() -> bool:
        return len(await world.cases()) == 1

    await eventually(one_case)
    [case] = await world.cases()
    await world.answer(case["case_id"], "Zullen we bellen?")
    sent = await world.sent_to(SENDER, 2)
    wamid = sent[1]["id"]
    db = state(world.intake).db

    async def recorded() -> bool:
        return await db["relay_sent"].find_one({"_id": wamid}) is not None

    await eventually(recorded)
    # As if the relay's record came late: taken away, the status posted, then put back.
    mapping = await db["relay_sent"].find_one({"_id": wamid})
    assert mapping is not None
    await db["relay_sent"].delete_one({"_id": wamid})
    assert await world.post(wa.status(NUMBER_ID, wamid, "delivered", SENDER)) == 200
    await asyncio.sleep(0.3)
    await db["relay_sent"].insert_one(mapping)

    async def delivered() -> bool:
        last = (await world.messages(case["case_id"]))[-1]["delivery"]
        return bool(last["status"] == "delivered")

    await eventually(delivered)
