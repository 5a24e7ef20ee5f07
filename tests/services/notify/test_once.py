"""Once: nothing lost, nothing twice, whatever stops on the way."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import nats
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from deploy.stack.infra import Infra
from deploy.stack.process import free_port, http_ok
from services.notify.domain.deliver import deliver
from services.notify.state import NOTIFY
from shared.bus import Bus
from shared.event_schemas import CaseAssigned
from shared.events import new_event
from tests.conftest import Isolation
from tests.polling import eventually
from tests.services.notify.conftest import ANNA, NOTIFY_ENV, Inbox, Suite, assigned, quiet, settle


def message_ids(inbox: Inbox) -> Counter[str]:
    return Counter(str(r.message["Message-ID"]) for r in inbox.received)


async def test_stopped_with_100_pending_then_started_all_arrive_once(
    suite: Suite, inbox: Inbox, bus: Bus
) -> None:
    events = assigned(suite.org["id"], 100)
    for event in events:
        await bus.publish(event)

    async def some_sent() -> bool:
        return len(inbox.received) >= 5

    await eventually(some_sent)
    await suite.stop_notify()  # a clean stop in the middle of the work
    stopped_at = len(inbox.received)
    assert stopped_at < 100, "the stop came too late to prove anything"

    await suite.restart_notify()
    await settle(inbox, 100, suite.notify)
    ids = message_ids(inbox)
    assert len(inbox.received) == 100 and len(ids) == 100
    assert all(r.recipients == [ANNA] for r in inbox.received)
    # Redelivering every event once more changes nothing: the keys are already there.
    for event in events[:20]:
        await bus.js.publish(
            bus.subject(event.type), event.encode(), headers={"Nats-Msg-Id": f"again-{event.id}"}
        )
    await quiet(suite.notify, bus)
    assert len(inbox.received) == 100


async def test_a_send_a_dead_process_left_half_done_is_sent_again_after_its_lease(
    suite: Suite, inbox: Inbox, bus: Bus
) -> None:
    [event] = assigned(suite.org["id"], 1)
    await bus.publish(event)
    await settle(inbox, 1, suite.notify)
    [delivery] = await suite.deliveries()
    assert delivery["status"] == "sent"
    # What a process that died between the server's "250" and its record of the outcome
    # leaves behind: the intent without an outcome. A new process finds it.
    await suite.stop_notify()
    await suite.restart_notify()
    db = suite.state().db
    await db["outcomes"].delete_one({"_id": delivery["id"]})
    await db["deliveries"].update_one({"_id": delivery["id"]}, {"$set": {"status": "pending"}})
    await eventually(lambda: _sent_twice(inbox))  # after the lease (2 s in the tests)
    ids = message_ids(inbox)
    # The one place a duplicate can come from; it carries the same Message-ID.
    assert list(ids.values()) == [2]

    async def recorded() -> bool:
        [delivery] = await suite.deliveries()
        return bool(delivery["status"] == "sent")

    await eventually(recorded)


async def _sent_twice(inbox: Inbox) -> bool:
    return len(inbox.received) == 2


async def test_smtp_down_then_up_everything_arrives_once(
    suite: Suite, inbox: Inbox, bus: Bus
) -> None:
    await inbox.stop()
    for event in assigned(suite.org["id"], 10):
        await bus.publish(event)

    async def retrying() -> bool:
        found = await suite.deliveries()
        return len(found) == 10 and all(
            d["status"] == "pending" and d["attempts"] >= 1 and d["last_error"] for d in found
        )

    await eventually(retrying)
    await inbox.start()
    await settle(inbox, 10, suite.notify)
    assert len(inbox.received) == 10 and len(message_ids(inbox)) == 10
    assert {d["status"] for d in await suite.deliveries()} == {"sent"}


async def test_a_permanent_rejection_is_marked_failed_and_can_be_retried(
    suite: Suite, inbox: Inbox
) -> None:
    inbox.refuse.add("jan.devries@example.nl")
    await suite.report()

    async def failed() -> list[dict[str, object]]:
        return [d for d in await suite.deliveries(status="failed")]

    async def has_failed() -> bool:
        return len(await failed()) == 1

    await eventually(has_failed)
    [delivery] = await failed()
    assert delivery["template"] == "case_received" and delivery["attempts"] == 1
    assert "550" in str(delivery["last_error"])
    assert str(delivery["recipient"]).startswith("reporter:")  # an id, never the address

    inbox.refuse.clear()
    retried = await suite.notify.post(
        f"/v1/deliveries/{delivery['id']}/retry", headers=suite.admin("notify")
    )
    assert retried.status == 200
    await eventually(lambda: _to_jan(inbox))
    again = await suite.notify.post(
        f"/v1/deliveries/{delivery['id']}/retry", headers=suite.admin("notify")
    )
    assert again.status == 409  # it was sent: nothing to retry
    unknown = await suite.notify.post("/v1/deliveries/nope/retry", headers=suite.admin("notify"))
    assert unknown.status == 404


async def _to_jan(inbox: Inbox) -> bool:
    return bool(inbox.to("jan.devries@example.nl"))


async def test_a_malformed_event_is_dead_lettered_and_the_rest_goes_on(
    suite: Suite, inbox: Inbox, bus: Bus, infra: Infra, isolation: Isolation
) -> None:
    bad = new_event(
        CaseAssigned,
        {"case_id": "case-x", "confidant_id": "c-anna", "reason": "least_loaded"},
        source="intake",
        org_id=suite.org["id"],
    ).model_dump(mode="json")
    bad["data"]["email"] = "someone@example.org"  # a field no schema allows
    await bus.js.publish(
        bus.subject("intake.case.assigned"), json.dumps(bad).encode(), headers={"Nats-Msg-Id": "x1"}
    )
    await bus.publish(assigned(suite.org["id"], 1)[0])
    await settle(inbox, 1, suite.notify)
    assert len(inbox.received) == 1

    nc = await nats.connect(infra.nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(
            f"{isolation.subject_prefix}deadletter.notify", stream=isolation.stream
        )
        [dead] = await sub.fetch(1, timeout=5)
        assert dead.headers is not None and dead.headers["Vertrouwd-Reason"]
        assert json.loads(dead.data)["id"] == bad["id"]
    finally:
        await nc.close()


def _start_notify_process(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.notify"],
        env={**os.environ, **env, "NOTIFY_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not http_ok(f"http://127.0.0.1:{port}/readyz"):
        assert proc.poll() is None and time.monotonic() < deadline, "notify did not start"
        time.sleep(0.05)
    return proc


async def test_killed_outright_mid_work_then_started_again_nothing_is_lost(
    suite: Suite, inbox: Inbox, bus: Bus, service_env: dict[str, str]
) -> None:
    await suite.stop_notify()  # this test runs notify as a process of its own, to kill it
    env = {
        **service_env,
        **NOTIFY_ENV,
        "NOTIFY_SMTP_PORT": str(inbox.port),
        "LOG_LEVEL": "WARNING",
        "ACK_WAIT_S": "3",  # what the killed process had taken comes again after this
    }
    port = free_port()
    events = assigned(suite.org["id"], 100)
    proc = await asyncio.to_thread(_start_notify_process, env, port)
    try:
        for event in events:
            await bus.publish(event)

        async def some_sent() -> bool:
            return len(inbox.received) >= 10

        await eventually(some_sent)
        proc.kill()  # SIGKILL: no clean stop, sends may be cut off anywhere
        proc.wait()
        killed_at = len(inbox.received)
        assert killed_at < 100, "the kill came too late to prove anything"
        proc = await asyncio.to_thread(_start_notify_process, env, port)

        async def all_arrived() -> bool:
            return len(message_ids(inbox)) == 100

        await eventually(all_arrived, 40)

        async def all_ended() -> bool:  # each with its outcome: none is sent again
            return await outcomes.count_documents({}) == 100

        client: AsyncMongoClient[dict[str, Any]]
        async with AsyncMongoClient(env["MONGODB_URI"]) as client:
            outcomes: AsyncCollection[dict[str, Any]]
            outcomes = client[env["NOTIFY_MONGODB_DATABASE"]]["outcomes"]
            await eventually(all_ended, 40)
    finally:
        proc.kill()
        proc.wait()
    ids = message_ids(inbox)
    assert len(ids) == 100  # every mail arrived
    # A copy can come only from a send cut off between the server's "250" and the record of
    # its outcome, at most one per worker; it carries the same Message-ID.
    duplicates = sum(n - 1 for n in ids.values())
    assert duplicates <= 8, ids


async def test_two_instances_taking_the_same_deliveries_at_once_send_each_once(
    suite: Suite, inbox: Inbox, bus: Bus
) -> None:
    """A planner sending what it planned while another instance's sweep takes the same
    deliveries (the planner was slow past its lease, as when the database paused): each
    mail goes out once."""
    for event in assigned(suite.org["id"], 20):
        await bus.publish(event)
    await settle(inbox, 20, suite.notify)
    a = suite.state()

    async def all_recorded() -> bool:
        # A mail arrives before its sender records it: the reset below comes after.
        return await a.db["outcomes"].count_documents({}) == 20

    await eventually(all_recorded)
    other = await suite.start_notify()
    other_app = other.app
    assert other_app is not None
    b = other_app[NOTIFY]
    # Back to "planned here, not sent yet", as the planner had it.
    db = a.db
    ids = [d["_id"] async for d in db["deliveries"].find({}, {"_id": 1})]
    await db["outcomes"].delete_many({})
    await db["send_claims"].delete_many({})
    # What each process remembers as ended goes first: a sweep that finds a delivery pending
    # again, but remembered, would mark it sent again and nobody would send it.
    a.ended.clear()
    b.ended.clear()
    await db["deliveries"].update_many({}, {"$set": {"status": "pending", "planned_here": True}})
    inbox.received.clear()
    await asyncio.gather(*(deliver(a, i, True) for i in ids), *(deliver(b, i, False) for i in ids))
    await settle(inbox, 20, suite.notify)
    await quiet(other)
    assert sorted(message_ids(inbox).values()) == [1] * 20


async def test_the_delivery_log_hashes_the_address_with_the_hash_key(
    suite: Suite, inbox: Inbox, bus: Bus
) -> None:
    # The log proves where a mail went to whoever has the address, keyed with the key file's
    # hash_key (not with the salt of case codes), so a list of addresses cannot reverse it.
    await bus.publish(assigned(suite.org["id"], 1)[0])
    await settle(inbox, 1, suite.notify)
    [sent] = await suite.deliveries(status="sent")
    keys = suite.state().cipher.keys
    assert keys.hash_key != keys.code_salt
    expected = hmac.new(keys.hash_key, ANNA.lower().encode(), hashlib.sha256).hexdigest()
    assert sent["recipient_hash"] == expected[:32]
