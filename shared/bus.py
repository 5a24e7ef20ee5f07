"""The NATS/JetStream bus: one stream, durable pull consumers, at-least-once made exactly-once.

- Publishing validates the event and sets ``Nats-Msg-Id`` to its id, so the stream's
  duplicate window drops a retried publish.
- Each consuming service has a durable pull consumer with explicit ack. A handler that
  raises gets the event again after a backoff, at most ``max_deliver`` times; then the
  event goes to the dead-letter subject ``<prefix>deadletter.<consumer>`` (also in the
  stream, so nothing is lost) and is terminated. A message that is not a valid event is
  dead-lettered at once: retrying cannot fix it.
- Handling is idempotent per consumer: the event id is recorded in the consumer's own
  database after the handler succeeds, and a redelivered event already recorded is acked
  without running the handler again. A handler that is idempotent by itself (its writes
  are inserts keyed by the event id) says so with ``keyed_by_event`` and skips the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError, ServiceUnavailableError
from opentelemetry.trace import SpanKind
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.events import Envelope, InvalidEvent, decode, validate
from shared.metrics import Metrics
from shared.retry import patiently
from shared.tracing import carrier, context_of, tracer

log = logging.getLogger(__name__)

Handler = Callable[[Envelope], Awaitable[None]]
T = TypeVar("T")
DOMAINS = ("intake", "booking", "notify", "reporting", "deadletter")
PROCESSED = "processed_events"  # collection in each consumer's database
DUPLICATE_WINDOW_S = 120.0
DUPLICATE_KEY = 11000
FETCH_WAIT_S = 0.25
# A stop waits this long for handlers in flight, and a drain this long for NATS; after that
# they are cut off. Safe: what was not acked comes back after ack_wait, and handlers are
# idempotent. Without a bound one stuck handler holds a SIGTERM (or a test) for minutes.
STOP_WAIT_S = 10.0
DRAIN_TIMEOUT_S = 5
# How far the stream's clock and a publisher's may disagree (see ``may_be_seen``).
CLOCK_MARGIN_S = 30.0


def may_be_seen(
    delivered: int,
    stored_at: datetime,
    occurred_at: datetime,
    consumer_since: datetime | None,
    duplicate_window_s: float,
) -> bool:
    """Whether this consumer may have handled this event before, so that its record must
    be looked up. It cannot have when all of these hold:

    - this is the message's first delivery to this consumer (a redelivery may follow a
      handled event whose ack was lost);
    - the stream stored the message after the consumer was created (an older message may
      have been handled by an earlier consumer of the same name);
    - the stream stored it within the duplicate window of the event's creation (less a
      margin for clocks). Any earlier copy of the event was stored after it was created,
      so within the window before this one, and the stream would have dropped this one as
      its duplicate (``Nats-Msg-Id`` is the event id). Only a copy relayed later than
      that (an outbox emptied after a long outage) can be a second message of one event.

    Skipping the look-up for the common case is one database round trip less per event."""
    if delivered != 1 or consumer_since is None or stored_at < consumer_since:
        return True
    return (stored_at - occurred_at).total_seconds() >= duplicate_window_s - CLOCK_MARGIN_S


@dataclass(frozen=True)
class Consumer:
    """A durable consumer: its name, the event types it takes, and its handler."""

    durable: str
    subjects: Sequence[str]  # e.g. ["intake.case.>"]; the subject prefix is added
    handler: Handler
    batch: int = 16
    # A handler that is idempotent by itself (it only inserts documents keyed by the event
    # id) needs no record of handled events: two database round trips less per event.
    keyed_by_event: bool = False


@dataclass
class BusConfig:
    url: str
    stream: str = "EVENTS"
    subject_prefix: str = ""
    max_deliver: int = 5
    backoff: Sequence[float] = (1.0, 5.0, 30.0, 120.0)
    ack_wait: float = 30.0
    name: str = "vertrouwd"
    reconnect_wait: float = 0.5
    # Only for a stream that does not exist yet: an existing one is the operator's. None:
    # as many as the cluster has servers, up to 3 (one on a single server).
    replicas: int | None = None
    max_age_s: float = 0.0  # 0: kept until the operator's limits say otherwise


@dataclass
class _Running:
    consumer: Consumer
    task: asyncio.Task[None]
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class Bus:
    def __init__(
        self,
        config: BusConfig,
        *,
        source: str,
        db: AsyncDatabase[dict[str, object]] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.source = source
        self.db = db
        self.metrics = metrics
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        # Documents whose staged events this bus could not publish (NATS away), by
        # "db.collection": the outbox relay tries these by _id every few seconds, leaving a
        # full sweep (on FerretDB a read of every document) for what a dead process staged.
        self.deferred: dict[str, set[Any]] = {}
        self._running: list[_Running] = []
        self._closing = False
        # The stream's duplicate window (the operator's, once read) and each consumer's
        # creation: what ``may_be_seen`` decides by. Unknown means: always look up.
        self._duplicate_window_s = 0.0
        self._consumer_since: dict[str, datetime] = {}
        # Consumers whose last batch was cut short (the database or NATS away): they look
        # every event up until a batch goes through, so that an outage does not run handlers
        # again and again whose work cannot be recorded.
        self._interrupted: set[str] = set()
        # How the stream differs from what the settings ask (readyz says so), if it does.
        self.stream_note: str | None = None

    # -- lifecycle ---------------------------------------------------------------------

    async def connect(self) -> None:
        self._nc = await nats.connect(
            servers=[u.strip() for u in self.config.url.split(",")],
            name=f"{self.config.name}-{self.source}",
            max_reconnect_attempts=-1,  # a service outlives a NATS restart
            reconnect_time_wait=self.config.reconnect_wait,
            connect_timeout=2,
            drain_timeout=DRAIN_TIMEOUT_S,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnect,
            reconnected_cb=self._on_reconnect,
        )
        self._js = self._nc.jetstream()
        await self._patiently(self.ensure_stream)

    async def _patiently(self, step: Callable[[], Awaitable[T]]) -> T:
        """A JetStream request at start-up, tried again while the cluster elects its
        leaders (all nodes starting at once, or one just lost)."""
        return await patiently(
            step, (nats.errors.TimeoutError, ServiceUnavailableError), "JetStream"
        )

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def nc(self) -> NATS:
        if self._nc is None:
            raise RuntimeError("bus is not connected")
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("bus is not connected")
        return self._js

    def subject(self, name: str) -> str:
        return f"{self.config.subject_prefix}{name}"

    async def ensure_stream(self) -> None:
        """Create the stream when it is missing, from the settings. An existing stream is
        the operator's: never shrunk, never reset (replicas, limits, max age stay as they
        are); a difference from the settings is logged, and only subjects it lacks are
        added (a new version of the suite may publish under a new domain)."""
        wanted = [self.subject(f"{d}.>") for d in DOMAINS]
        asked = self.replicas_asked()
        config = StreamConfig(
            name=self.config.stream,
            subjects=wanted,
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_S,
            num_replicas=asked,
            max_age=self.config.max_age_s or None,
        )
        try:
            info = await self.js.stream_info(self.config.stream)
        except NotFoundError:
            try:
                await self.js.add_stream(config)
                self._duplicate_window_s = DUPLICATE_WINDOW_S
                return
            except BadRequestError:  # another instance created it first
                info = await self.js.stream_info(self.config.stream)
        existing = info.config
        self._duplicate_window_s = existing.duplicate_window or 0.0
        replicas = existing.num_replicas or 1
        if replicas != asked:
            self.stream_note = (
                f"the stream {self.config.stream} has {replicas} replica(s), {asked} asked; "
                "an existing stream is the operator's and is left as it is"
            )
        if replicas != asked or (existing.max_age or 0) != self.config.max_age_s:
            log.warning(
                "the stream differs from the settings; left as it is",
                extra={
                    "stream": self.config.stream,
                    "replicas": replicas,
                    "replicas_setting": asked,
                    "max_age_s": existing.max_age or 0,
                    "max_age_s_setting": self.config.max_age_s,
                },
            )
        missing = [s for s in wanted if s not in (existing.subjects or [])]
        if missing:
            existing.subjects = [*(existing.subjects or []), *missing]
            await self.js.update_stream(existing)

    def replicas_asked(self) -> int:
        """The stream's replicas as the settings ask, or (unset) as many as the cluster has
        servers, up to 3: the servers NATS tells a client it may connect to
        (``connect_urls``, every member of the cluster; none on a single server)."""
        if self.config.replicas is not None:
            return self.config.replicas
        members = set(self.nc._server_info.get("connect_urls") or ())
        return max(1, min(3, len(members)))

    async def stop_consumers(self) -> None:
        """Stop taking new messages and let handlers in flight finish."""
        for running in self._running:
            running.stop.set()
        if self._running:
            tasks = [r.task for r in self._running]
            _, stuck = await asyncio.wait(tasks, timeout=STOP_WAIT_S)
            for task in stuck:
                log.warning("handler cut off at stop", extra={"consumer": task.get_name()})
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()

    async def close(self) -> None:
        """Stop the consumers, then drain."""
        await self.stop_consumers()
        self._closing = True
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._nc.drain()
        self._nc = None
        self._js = None

    # -- publishing --------------------------------------------------------------------

    async def publish(self, event: Envelope) -> None:
        validate(event)
        await self.js.publish(
            self.subject(event.type),
            event.encode(),
            headers=carrier({"Nats-Msg-Id": event.id}),
        )
        if self.metrics:
            self.metrics.events_published(event.type).inc()

    # -- consuming ---------------------------------------------------------------------

    async def start_consumer(self, consumer: Consumer) -> None:
        config = ConsumerConfig(
            durable_name=consumer.durable,
            filter_subjects=[self.subject(s) for s in consumer.subjects],
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.config.ack_wait,
            # One more than we use ourselves: the last try ends in the dead-letter
            # subject, and the server must not give up before we have done so.
            max_deliver=self.config.max_deliver + 1,
        )
        info = await self._patiently(lambda: self.js.add_consumer(self.config.stream, config))
        if info.created is not None:
            self._consumer_since[consumer.durable] = info.created
        sub = await self.js.pull_subscribe_bind(durable=consumer.durable, stream=self.config.stream)
        stop = asyncio.Event()
        task = asyncio.create_task(self._consume(consumer, sub, stop), name=consumer.durable)
        self._running.append(_Running(consumer, task, stop))

    async def _consume(
        self, consumer: Consumer, sub: JetStreamContext.PullSubscription, stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            # A fetch is never cancelled: messages it had already taken would come back only
            # after ack_wait. It waits at most FETCH_WAIT_S, which bounds how long a stop
            # takes; what it brings is handled before the loop looks at ``stop`` again.
            try:
                msgs = await sub.fetch(consumer.batch, timeout=FETCH_WAIT_S)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            except Exception as exc:  # disconnected, reconnecting: wait and try again
                log.warning(
                    "fetch failed",
                    extra={"consumer": consumer.durable, "error": type(exc).__name__},
                )
                await asyncio.sleep(self.config.reconnect_wait)
                continue
            try:
                await self._handle_batch(consumer, msgs)
                self._interrupted.discard(consumer.durable)
            except Exception as exc:
                self._interrupted.add(consumer.durable)
                # The database or NATS went away mid-batch. What was not acked comes back
                # after ack_wait; handlers are idempotent, so running one again is safe.
                log.warning(
                    "batch interrupted",
                    extra={"consumer": consumer.durable, "error": type(exc).__name__},
                )
                self._count(consumer, "interrupted")
                await asyncio.sleep(self.config.reconnect_wait)
        with contextlib.suppress(Exception):
            await sub.unsubscribe()

    async def _handle_batch(self, consumer: Consumer, msgs: list[Msg]) -> None:
        """Handle one fetched batch: one look-up of what was handled before, the handlers in
        order, one write of what is now handled, then the acks."""
        batch: list[tuple[Msg, Envelope]] = []
        for msg in msgs:
            try:
                batch.append((msg, decode(msg.data)))
            except InvalidEvent as exc:
                await self._dead_letter(consumer, msg, reason=str(exc))
                self._count(consumer, "invalid")

        since = self._consumer_since.get(consumer.durable)
        unsure = [
            event
            for msg, event in batch
            if consumer.durable in self._interrupted
            or may_be_seen(
                msg.metadata.num_delivered,
                msg.metadata.timestamp,
                event.occurred_at,
                since,
                self._duplicate_window_s,
            )
        ]
        seen = await self._handled_before(consumer, unsure)
        done: list[tuple[Msg, Envelope]] = []
        for msg, event in batch:
            if event.id in seen:
                await msg.ack()
                self._count(consumer, "duplicate")
                continue
            try:
                with tracer(self.source).start_as_current_span(
                    f"handle {event.type}",
                    context=context_of(msg.headers),
                    kind=SpanKind.CONSUMER,
                    attributes={
                        "messaging.system": "nats",
                        "messaging.consumer.group.name": consumer.durable,
                        "vertrouwd.event.type": event.type,
                        "vertrouwd.event.id": event.id,
                    },
                ):
                    await consumer.handler(event)
            except Exception as exc:
                await self._failed(consumer, msg, event, exc)
                continue
            seen.add(event.id)
            done.append((msg, event))

        # Recorded before the ack: a crash in between means one more (idempotent) run of
        # the handler, never an event that is acked but not recorded as handled.
        await self._mark_handled(consumer, [event for _, event in done])
        for msg, _ in done:
            await msg.ack()
            self._count(consumer, "handled")

    async def _failed(self, consumer: Consumer, msg: Msg, event: Envelope, exc: Exception) -> None:
        delivered = msg.metadata.num_delivered
        log.warning(
            "handler failed",
            exc_info=True,
            extra={
                "consumer": consumer.durable,
                "event_id": event.id,
                "event_type": event.type,
                "delivery": delivered,
            },
        )
        if delivered >= self.config.max_deliver:
            await self._dead_letter(consumer, msg, reason=type(exc).__name__, event=event)
            self._count(consumer, "dead_lettered")
        else:
            backoff = self.config.backoff or (1.0,)
            await msg.nak(delay=backoff[min(delivered, len(backoff)) - 1])
            self._count(consumer, "retried")

    async def _handled_before(self, consumer: Consumer, events: list[Envelope]) -> set[str]:
        if self.db is None or not events or consumer.keyed_by_event:
            return set()
        # One look-up by _id per event rather than one "$in" query: FerretDB answers an
        # "$in" by reading the whole collection, which grows with every event handled.
        db = self.db
        found = await asyncio.gather(
            *(db[PROCESSED].find_one({"_id": _key(consumer, e)}, {"_id": 1}) for e in events)
        )
        return {e.id for e, doc in zip(events, found, strict=True) if doc is not None}

    async def _mark_handled(self, consumer: Consumer, events: list[Envelope]) -> None:
        if self.db is None or not events or consumer.keyed_by_event:
            return
        now = datetime.now(UTC)
        docs = [{"_id": _key(consumer, e), "type": e.type, "handled_at": now} for e in events]
        try:
            await self.db[PROCESSED].insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            # A record that is already there (an earlier delivery) is fine; anything else not.
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise

    async def _dead_letter(
        self, consumer: Consumer, msg: Msg, *, reason: str, event: Envelope | None = None
    ) -> None:
        meta = msg.metadata
        msg_id = f"dlq-{consumer.durable}-{event.id if event else meta.sequence.stream}"
        await self.js.publish(
            self.subject(f"deadletter.{consumer.durable}"),
            msg.data,
            headers={
                "Nats-Msg-Id": msg_id,
                "Vertrouwd-Original-Subject": msg.subject,
                "Vertrouwd-Reason": reason[:200],
                "Vertrouwd-Deliveries": str(meta.num_delivered),
            },
        )
        await msg.term()
        log.error(
            "event dead-lettered",
            extra={
                "consumer": consumer.durable,
                "event_id": event.id if event else None,
                "reason": reason[:200],
            },
        )

    def _count(self, consumer: Consumer, outcome: str) -> None:
        if self.metrics:
            self.metrics.events_handled(consumer.durable, outcome).inc()

    # -- connection callbacks: logged, so an operator sees a flapping NATS -------------

    async def _on_error(self, exc: Exception) -> None:
        log.warning("nats error", extra={"error": type(exc).__name__})

    async def _on_disconnect(self) -> None:
        if not self._closing:
            log.warning("nats disconnected")

    async def _on_reconnect(self) -> None:
        log.info("nats reconnected")


def _key(consumer: Consumer, event: Envelope) -> str:
    return f"{consumer.durable}:{event.id}"
