"""The bus against a real nats-server (JetStream) and a real database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import pytest

from deploy.stack.infra import Infra
from shared.bus import PROCESSED, Bus, BusConfig, Consumer, may_be_seen
from shared.db import Mongo
from shared.event_schemas import CaseOpened
from shared.events import Envelope, InvalidEvent, new_event
from tests.conftest import Isolation
from tests.polling import eventually

OPENED = {
    "case_id": "c1",
    "category": "pesten",
    "channel": "web",
    "reporter_role": "employee",
    "anonymous": True,
}
WAIT_S = 15.0


def opened(case_id: str = "c1") -> Envelope:
    return new_event(CaseOpened, {**OPENED, "case_id": case_id}, source="intake", org_id="o1")


@pytest.fixture
async def mongo(infra: Infra, isolation: Isolation) -> AsyncIterator[Mongo]:
    m = Mongo(infra.mongodb_uri, isolation.database("bus"))
    yield m
    await m.close()


BusFactory = Callable[..., Awaitable[Bus]]


@pytest.fixture
async def make_bus(infra: Infra, isolation: Isolation, mongo: Mongo) -> AsyncIterator[BusFactory]:
    buses: list[Bus] = []

    async def make(**config: Any) -> Bus:
        bus = Bus(
            BusConfig(
                url=infra.nats_url,
                stream=isolation.stream,
                subject_prefix=isolation.subject_prefix,
                max_deliver=3,
                backoff=(0.05, 0.1),
                **config,
            ),
            source="test",
            db=mongo.db,
        )
        await bus.connect()
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        await bus.close()


async def dead_letters(infra: Infra, isolation: Isolation, durable: str) -> list[Any]:
    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            f"{isolation.subject_prefix}deadletter.{durable}", stream=isolation.stream
        )
        try:
            return list(await sub.fetch(10, timeout=0.5))
        except nats.errors.TimeoutError:
            return []
    finally:
        await nc.close()


async def test_published_once_handled_once(make_bus: BusFactory, mongo: Mongo) -> None:
    bus = await make_bus()
    seen: list[str] = []

    async def handle(event: Envelope) -> None:
        seen.append(event.id)

    await bus.start_consumer(Consumer("c-once", ["intake.case.>"], handle))
    events = [opened(f"c{i}") for i in range(5)]
    for event in events:
        await bus.publish(event)

    async def all_marked() -> bool:
        return await mongo.db[PROCESSED].count_documents({}) == 5

    await eventually(all_marked)
    assert sorted(seen) == sorted(e.id for e in events)


async def test_a_retried_publish_is_dropped_by_the_stream(
    make_bus: BusFactory, mongo: Mongo
) -> None:
    bus = await make_bus()
    event = opened()
    await bus.publish(event)
    await bus.publish(event)  # as a publisher does that lost the first ack
    info = await bus.js.stream_info(bus.config.stream)
    assert info.state.messages == 1


async def test_a_crashing_handler_gets_the_event_again_and_the_retry_is_idempotent(
    make_bus: BusFactory, mongo: Mongo
) -> None:
    bus = await make_bus()
    calls: list[str] = []

    async def flaky(event: Envelope) -> None:
        calls.append(event.id)
        # The effect is keyed on the event id, as every handler's must be.
        await mongo.db["effects"].update_one({"_id": event.id}, {"$inc": {"n": 1}}, upsert=True)
        if len(calls) == 1:
            raise RuntimeError("crash after the write, before the ack")

    await bus.start_consumer(Consumer("c-flaky", ["intake.case.>"], flaky))
    event = opened()
    await bus.publish(event)

    async def marked() -> bool:
        return await mongo.db[PROCESSED].find_one({"_id": f"c-flaky:{event.id}"}) is not None

    await eventually(marked)
    assert calls == [event.id, event.id]
    assert await mongo.db["effects"].count_documents({}) == 1


async def test_a_redelivered_event_already_handled_is_not_handled_again(
    make_bus: BusFactory, mongo: Mongo, isolation: Isolation
) -> None:
    bus = await make_bus()
    calls: list[str] = []

    async def handle(event: Envelope) -> None:
        calls.append(event.id)

    await bus.start_consumer(Consumer("c-dup", ["intake.case.>"], handle))
    # An event made long ago (an outbox emptied after an outage) ...
    event = opened().model_copy(update={"occurred_at": datetime.now(UTC) - timedelta(minutes=10)})
    await bus.publish(event)
    # ... and again under another message id: as a copy relayed past the stream's
    # duplicate window arrives (the stream keeps both).
    await bus.js.publish(
        f"{isolation.subject_prefix}intake.case.opened",
        event.encode(),
        headers={"Nats-Msg-Id": "replayed"},
    )
    second = opened("c2")
    await bus.publish(second)

    async def second_done() -> bool:
        return second.id in calls

    await eventually(second_done)
    assert calls.count(event.id) == 1


async def test_a_handler_that_always_fails_ends_in_the_dead_letter_subject(
    make_bus: BusFactory, infra: Infra, isolation: Isolation
) -> None:
    bus = await make_bus()
    calls: list[int] = []

    async def broken(event: Envelope) -> None:
        calls.append(1)
        raise ValueError("cannot")

    await bus.start_consumer(Consumer("c-broken", ["intake.case.>"], broken))
    event = opened()
    await bus.publish(event)

    async def dead() -> bool:
        return bool(await dead_letters(infra, isolation, "c-broken"))

    await eventually(dead)
    [letter] = await dead_letters(infra, isolation, "c-broken")
    assert json.loads(letter.data)["id"] == event.id
    assert letter.headers["Vertrouwd-Reason"] == "ValueError"
    assert letter.headers["Vertrouwd-Deliveries"] == "3"
    assert len(calls) == 3  # max_deliver, and not once more


async def test_a_poison_message_is_dead_lettered_at_once(
    make_bus: BusFactory, infra: Infra, isolation: Isolation
) -> None:
    bus = await make_bus()
    calls: list[Envelope] = []

    async def handle(event: Envelope) -> None:
        calls.append(event)

    await bus.start_consumer(Consumer("c-poison", ["intake.case.>"], handle))
    await bus.js.publish(
        f"{isolation.subject_prefix}intake.case.opened",
        b"{not an event",
        headers={"Nats-Msg-Id": "poison-1"},
    )

    async def dead() -> bool:
        return bool(await dead_letters(infra, isolation, "c-poison"))

    await eventually(dead)
    [letter] = await dead_letters(infra, isolation, "c-poison")
    assert letter.data == b"{not an event"
    assert letter.headers["Vertrouwd-Deliveries"] == "1"
    assert calls == []


async def test_publish_refuses_an_invalid_event(make_bus: BusFactory) -> None:
    bus = await make_bus()
    event = opened()
    tampered = Envelope.model_validate({**event.model_dump(), "data": {**OPENED, "name": "Jan"}})
    with pytest.raises(InvalidEvent):
        await bus.publish(tampered)
    info = await bus.js.stream_info(bus.config.stream)
    assert info.state.messages == 0


async def test_close_lets_the_handler_in_flight_finish(make_bus: BusFactory, mongo: Mongo) -> None:
    bus = await make_bus()
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow(event: Envelope) -> None:
        started.set()
        await asyncio.sleep(0.3)  # a handler that takes a while: the point of the test
        finished.set()

    await bus.start_consumer(Consumer("c-drain", ["intake.case.>"], slow))
    event = opened()
    await bus.publish(event)
    await asyncio.wait_for(started.wait(), WAIT_S)
    await bus.close()
    assert finished.is_set()
    assert await mongo.db[PROCESSED].find_one({"_id": f"c-drain:{event.id}"}) is not None


async def test_an_event_taken_by_a_consumer_that_dies_is_not_lost(
    make_bus: BusFactory, mongo: Mongo
) -> None:
    first = await make_bus(ack_wait=1.0)
    taken = asyncio.Event()

    async def dies(event: Envelope) -> None:
        taken.set()
        await asyncio.sleep(3600)  # never acks: the process is about to vanish

    await first.start_consumer(Consumer("c-dies", ["intake.case.>"], dies))
    event = opened()
    await first.publish(event)
    await asyncio.wait_for(taken.wait(), WAIT_S)
    for running in first._running:
        running.task.cancel()
    await first.nc.close()  # gone, without ack or nak

    handled: list[str] = []

    async def survivor(event: Envelope) -> None:
        handled.append(event.id)

    second = await make_bus(ack_wait=1.0)
    await second.start_consumer(Consumer("c-dies", ["intake.case.>"], survivor))

    async def redelivered() -> bool:
        return handled == [event.id]

    await eventually(redelivered)


def test_only_a_message_that_may_repeat_an_event_is_looked_up() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    since = now - timedelta(hours=1)
    second = timedelta(seconds=1)
    # The common case: first delivery, stored after the consumer began, soon after the
    # event was made. An earlier copy would have made the stream drop this one.
    assert not may_be_seen(1, now, now - second, since, 120)
    assert may_be_seen(2, now, now - second, since, 120)  # a redelivery
    assert may_be_seen(1, now, now - second, now + second, 120)  # before the consumer was made
    assert may_be_seen(1, now, now - second, None, 120)  # the consumer's age unknown
    assert may_be_seen(1, now, now - 100 * second, since, 120)  # too late to be sure
    assert may_be_seen(1, now, now - second, since, 0)  # a stream that keeps no window


async def test_the_message_time_is_when_the_stream_stored_it(
    make_bus: BusFactory, isolation: Isolation
) -> None:
    """``may_be_seen`` counts on it: a message delivered later keeps the time it was stored."""
    bus = await make_bus()
    before = datetime.now(UTC)
    await bus.publish(opened())
    stored = datetime.now(UTC)
    await asyncio.sleep(1.5)  # delivered well after it was stored: the point of the test
    sub = await bus.js.pull_subscribe(
        f"{isolation.subject_prefix}intake.case.>", durable="c-time", stream=isolation.stream
    )
    [msg] = await sub.fetch(1, timeout=5)
    tolerance = timedelta(milliseconds=200)  # the server's clock is this machine's
    assert before - tolerance <= msg.metadata.timestamp <= stored + tolerance
    assert msg.metadata.num_delivered == 1
    await msg.ack()


async def test_a_consumer_made_again_under_its_name_does_not_handle_the_past_again(
    make_bus: BusFactory, mongo: Mongo
) -> None:
    bus = await make_bus()
    calls: list[str] = []

    async def handle(event: Envelope) -> None:
        calls.append(event.id)

    await bus.start_consumer(Consumer("c-again", ["intake.case.>"], handle))
    first = [opened(f"c{i}") for i in range(3)]
    for event in first:
        await bus.publish(event)

    async def handled(n: int) -> bool:
        return await mongo.db[PROCESSED].count_documents({}) == n

    await eventually(lambda: handled(3))
    await bus.close()
    # An operator deletes the consumer; the next start makes it again, and the stream
    # delivers it everything from the start, each message for the first time.
    again = await make_bus()
    await again.js.delete_consumer(again.config.stream, "c-again")
    await again.start_consumer(Consumer("c-again", ["intake.case.>"], handle))
    later = opened("c9")
    await again.publish(later)
    await eventually(lambda: handled(4))
    assert sorted(calls) == sorted([*(e.id for e in first), later.id])
