"""How every service is put together, started and stopped: one way for all four.

``build_app`` wires settings, logging-safe middlewares, the base routes, the database and the
bus (each in its own cleanup context) and the service's durable consumer. ``main`` reads the
settings (a bad one stops start-up with its variable named) and runs the app until SIGINT or
SIGTERM, then stops taking requests, drains NATS and closes the database client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web
from pymongo import IndexModel
from pymongo.errors import ConnectionFailure, PyMongoError

from shared import event_schemas  # noqa: F401  (registers the suite's event schemas)
from shared.auth import ROLES, KeySet
from shared.bus import PROCESSED, Bus, BusConfig, Consumer, Handler
from shared.db import DocLocks, IndexSpec, Mongo
from shared.http import (
    AUTH,
    BASE_ENDPOINTS,
    CHECK_ANSWERS,
    ENDPOINTS,
    METRICS,
    METRICS_TOKEN,
    READY_CHECKS,
    READY_NOTES,
    SERVICE_NAME,
    AuthConfig,
    Endpoint,
    add_endpoints,
    errors,
    principal,
    request_context,
    security_headers,
    tracing,
)
from shared.log import setup_logging
from shared.metrics import Metrics
from shared.outbox import INDEXES as OUTBOX_INDEXES
from shared.outbox import retry_deferred, sweep
from shared.retry import patiently
from shared.settings import ServiceSettings, SettingsError
from shared.tracing import setup as setup_tracing

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", ServiceSettings)
MONGO = web.AppKey("mongo", Mongo)
BUS = web.AppKey("bus", Bus)
PROCESSED_KEEP = timedelta(days=30)  # far beyond any redelivery of an unacked event
PRUNE_EVERY_S = 3600.0
# The process's one set of document locks: the service's own writes and the outbox relay's
# (which tidies documents as flush does) are serialised against each other.
LOCKS = web.AppKey("locks", DocLocks)


@dataclass(frozen=True)
class ConsumerSpec:
    """The service's durable consumer; the handler is built from the running app."""

    subjects: Sequence[str]
    handler: Callable[[web.Application], Handler]
    keyed_by_event: bool = False  # see shared.bus.Consumer


Context = Callable[[web.Application], AbstractAsyncContextManager[None]]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    endpoints: Sequence[Endpoint] = ()
    indexes: IndexSpec = field(default_factory=dict)
    consumer: ConsumerSpec | None = None
    # The service's own resources and background work (keys, jobs, NATS responders): each
    # entered after the database and the bus are up, and left before they close.
    contexts: Sequence[Context] = ()
    # Pages for people (HTML, static files), added beside the API; not in /openapi.json.
    pages: Callable[[web.Application], None] | None = None
    # Collections whose documents stage events (shared.outbox): relayed continuously, so an
    # event stored while NATS was away goes out within seconds of its return.
    outbox: Sequence[str] = ()


async def whoami(request: web.Request) -> web.Response:
    found = principal(request)
    return web.json_response(
        {"sub": found.sub, "role": found.role, "orgs": sorted(found.orgs), "case_id": found.case_id}
    )


WHOAMI = Endpoint("GET", "/v1/whoami", whoami, "Who the token says you are.", roles=ROLES)


async def prune_processed(mongo: Mongo) -> None:
    """Forget handled event ids long after JetStream could redeliver them."""
    while True:
        cutoff = datetime.now(UTC) - PROCESSED_KEEP
        with contextlib.suppress(PyMongoError):  # the database may be away; try next time
            await mongo.db[PROCESSED].delete_many({"handled_at": {"$lt": cutoff}})
        await asyncio.sleep(PRUNE_EVERY_S)


def bus_config(settings: ServiceSettings) -> BusConfig:
    """The bus as the settings describe it: one reading for the services and deploy.init."""
    return BusConfig(
        url=settings.nats_url,
        stream=settings.nats_stream,
        subject_prefix=settings.nats_subject_prefix,
        max_deliver=settings.max_deliver,
        backoff=settings.retry_backoff,
        ack_wait=settings.ack_wait_s,
        name="vertrouwd",
        replicas=settings.nats_stream_replicas,
        max_age_s=settings.nats_stream_max_age_s,
    )


def build_app(settings: ServiceSettings, spec: ServiceSpec) -> web.Application:
    """Build the app; no I/O happens until it starts."""
    app = web.Application(
        middlewares=[request_context, security_headers, tracing, errors],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[LOCKS] = DocLocks()
    app[SERVICE_NAME] = spec.name
    app[METRICS_TOKEN] = settings.metrics_token
    app[CHECK_ANSWERS] = settings.check_answers
    app[METRICS] = Metrics(spec.name)
    app[ENDPOINTS] = []
    app[READY_CHECKS] = {}
    app[READY_NOTES] = {}
    add_endpoints(app, BASE_ENDPOINTS)
    add_endpoints(app, [WHOAMI])
    add_endpoints(app, spec.endpoints)
    if spec.pages is not None:
        spec.pages(app)

    async def auth_ctx(app: web.Application) -> AsyncIterator[None]:
        keys = KeySet.from_file(settings.jwks_file)
        app[AUTH] = AuthConfig(keys, audience=spec.name, issuer=settings.jwt_issuer)
        yield

    async def mongo_ctx(app: web.Application) -> AsyncIterator[None]:
        mongo = Mongo(settings.mongodb_uri, settings.database_name)
        indexes: dict[str, Sequence[IndexModel]] = {
            **spec.indexes,
            PROCESSED: [IndexModel("handled_at")],
        }
        for name in spec.outbox:  # the relay's sweep finds staged events by their index
            indexes[name] = [*indexes.get(name, []), *OUTBOX_INDEXES]
        # An instance (re)started while the database is away waits for it, as the bus waits
        # for a JetStream leader: a short outage is no reason to exit.
        await patiently(lambda: mongo.ensure_indexes(indexes), (ConnectionFailure,), "the database")
        app[MONGO] = mongo
        app[READY_CHECKS]["mongo"] = mongo.ping
        # FerretDB has no TTL indexes, so old idempotency records are pruned by a task.
        pruner = asyncio.create_task(prune_processed(mongo))
        yield
        pruner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pruner
        await mongo.close()

    async def bus_ctx(app: web.Application) -> AsyncIterator[None]:
        bus = Bus(
            bus_config(settings),
            source=spec.name,
            db=app[MONGO].db,
            metrics=app[METRICS],
        )
        await bus.connect()
        app[BUS] = bus

        async def nats_ready() -> bool:
            return bus.connected

        app[READY_CHECKS]["nats"] = nats_ready
        app[READY_NOTES]["stream"] = lambda: bus.stream_note
        yield
        await bus.close()

    async def consumer_ctx(app: web.Application) -> AsyncIterator[None]:
        # Last in, first out: events are taken only once the service's own state is up,
        # and no longer before it goes down.
        if spec.consumer is None:
            yield
            return
        bus = app[BUS]
        await bus.start_consumer(
            Consumer(
                spec.name,
                spec.consumer.subjects,
                spec.consumer.handler(app),
                keyed_by_event=spec.consumer.keyed_by_event,
            )
        )
        yield
        await bus.stop_consumers()

    app.cleanup_ctx.extend([auth_ctx, mongo_ctx, bus_ctx])
    if spec.outbox:
        app.cleanup_ctx.append(
            _as_cleanup_ctx(relay(spec.outbox, settings.outbox_relay_s, settings.outbox_sweep_s))
        )
    for context in spec.contexts:
        app.cleanup_ctx.append(_as_cleanup_ctx(context))
    app.cleanup_ctx.append(consumer_ctx)
    return app


def _as_cleanup_ctx(context: Context) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with context(app):
            yield

    return ctx


def setting(name: str) -> Callable[[web.Application], float]:
    """An interval read from the service's settings once it runs: ``every("sweep", job,
    setting("sweep_interval_s"))``."""

    def interval(app: web.Application) -> float:
        return float(getattr(app[SETTINGS], name))

    return interval


def every(
    name: str,
    job: Callable[[web.Application], Awaitable[object]],
    interval_s: Callable[[web.Application], float],
) -> Context:
    """A background job run every ``interval_s(app)`` seconds while the service runs. A
    failing run is logged and the next one comes as planned: an outage must not end it."""

    @contextlib.asynccontextmanager
    async def running(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                # Sleep first: start-up stays quick, and a restart loop cannot hammer.
                await asyncio.sleep(interval_s(app))
                try:
                    await job(app)
                except Exception:
                    log.exception("job failed", extra={"job": name})

        task = asyncio.create_task(loop(), name=name)
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return running


def relay(collections: Sequence[str], interval_s: float, sweep_s: float) -> Context:
    """The outbox relay. Every ``interval_s``: publish what this process could not (NATS was
    away), by document id. At the first round and every ``sweep_s``: look through the whole
    collections for what was staged more than ``interval_s`` ago and is still there (its
    publisher died). Every instance relays; ``Nats-Msg-Id`` and the stream's duplicate
    window let only one copy in."""
    older_than = timedelta(seconds=interval_s)
    last_sweep = [float("-inf")]

    async def run(app: web.Application) -> None:
        bus, mongo = app[BUS], app[MONGO]
        if not bus.connected:
            return  # nothing can go out; the next round will try
        loop = asyncio.get_running_loop()
        full = loop.time() - last_sweep[0] >= sweep_s
        if full:
            last_sweep[0] = loop.time()
        for name in collections:
            collection = mongo.db[name]
            published = await retry_deferred(collection, bus, app[LOCKS])
            if full:
                published += await sweep(collection, bus, app[LOCKS], older_than)
            if published:
                log.info("outbox relayed", extra={"collection": name, "events": published})

    return every("outbox-relay", run, lambda app: interval_s)


def main(
    settings_cls: type[ServiceSettings],
    create_app: Callable[[ServiceSettings], web.Application],
) -> None:
    """Entry point of ``python -m services.<name>``."""
    try:
        settings = settings_cls.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    setup_logging(settings_cls.service, settings.log_level)
    setup_tracing(settings_cls.service, settings.otel_exporter_otlp_endpoint)
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.http_port,
        print=None,
        access_log=None,
        shutdown_timeout=10,
        handle_signals=True,
    )
