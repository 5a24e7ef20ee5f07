"""When the database or NATS goes away and comes back: /readyz follows, and no event is lost.
These tests run their own FerretDB and nats-server so they can stop them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from deploy.stack.bus import nats_server
from deploy.stack.database import ferretdb
from deploy.stack.infra import running
from deploy.stack.places import FERRETDB_BIN
from deploy.stack.process import Process, free_port
from services.reporting.app import create_app
from services.reporting.settings import ReportingSettings
from shared.bus import PROCESSED, Bus, BusConfig, Consumer
from shared.db import Mongo
from shared.event_schemas import CaseOpened
from shared.events import Envelope, new_event
from shared.metrics import Metrics
from tests.conftest import Keys
from tests.polling import eventually

pytestmark = pytest.mark.skipif(not FERRETDB_BIN.exists(), reason="FerretDB is not built")


@pytest.fixture
def own_servers(tmp_path: Path) -> Iterator[tuple[Process, Process]]:
    mongo = ferretdb(tmp_path / "ferretdb", free_port())
    nats = nats_server(tmp_path / "nats", free_port())
    with running([mongo, nats]):
        yield mongo, nats


def on(servers: tuple[Process, Process], keys: Keys, **more: str) -> dict[str, str]:
    """A service's settings on these servers, with the test's keys."""
    mongo, nats = servers
    return {"MONGODB_URI": mongo.url, "NATS_URL": nats.url, "JWKS_FILE": str(keys.jwks), **more}


async def serving(app: web.Application) -> TestClient:  # type: ignore[type-arg]
    client: TestClient = TestClient(TestServer(app))  # type: ignore[type-arg]
    await client.start_server()
    return client


async def readiness(client: TestClient) -> tuple[int, dict[str, bool]]:  # type: ignore[type-arg]
    response = await client.get("/readyz")
    return response.status, (await response.json())["checks"]


async def until(client: TestClient, status: int) -> dict[str, bool]:  # type: ignore[type-arg]
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        got, checks = await readiness(client)
        if got == status:
            return checks
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"/readyz stayed {got}: {checks}")
        await asyncio.sleep(0.1)


async def test_readyz_follows_mongo_and_nats(
    own_servers: tuple[Process, Process], keys: Keys
) -> None:
    mongo, nats = own_servers
    client = await serving(create_app(ReportingSettings.from_env(on(own_servers, keys))))
    try:
        assert await readiness(client) == (200, {"mongo": True, "nats": True})

        await asyncio.to_thread(mongo.kill)
        assert await until(client, 503) == {"mongo": False, "nats": True}
        await asyncio.to_thread(_restart, mongo)
        assert await until(client, 200) == {"mongo": True, "nats": True}

        await asyncio.to_thread(nats.kill)
        assert await until(client, 503) == {"mongo": True, "nats": False}
        await asyncio.to_thread(_restart, nats)
        assert await until(client, 200) == {"mongo": True, "nats": True}
    finally:
        await client.close()


async def test_a_service_started_while_the_database_is_away_waits_for_it(
    own_servers: tuple[Process, Process], keys: Keys
) -> None:
    mongo, _ = own_servers
    settings = ReportingSettings.from_env(on(own_servers, keys))
    await asyncio.to_thread(mongo.kill)
    client: TestClient = TestClient(TestServer(create_app(settings)))  # type: ignore[type-arg]
    starting = asyncio.create_task(client.start_server())
    await asyncio.sleep(4)  # two of pymongo's 2 s server selections, at least
    assert not starting.done()  # still waiting, not exited
    await asyncio.to_thread(_restart, mongo)
    await asyncio.wait_for(starting, 60)
    try:
        assert await until(client, 200) == {"mongo": True, "nats": True}
    finally:
        await client.close()


def _restart(process: Process) -> None:
    process.start()
    process.wait_ready(30)


async def test_an_event_that_arrives_while_the_database_is_away_is_handled_when_it_returns(
    own_servers: tuple[Process, Process],
) -> None:
    mongo_proc, nats_proc = own_servers
    mongo = Mongo(mongo_proc.url, "outage")
    metrics = Metrics("t")
    bus = Bus(
        BusConfig(url=nats_proc.url, ack_wait=1.0, backoff=(0.1,)),
        source="t",
        db=mongo.db,
        metrics=metrics,
    )
    await bus.connect()
    handled: list[str] = []

    async def handle(event: Envelope) -> None:
        handled.append(event.id)

    try:
        await bus.start_consumer(Consumer("outage", ["intake.case.>"], handle))
        await asyncio.to_thread(mongo_proc.kill)
        event = new_event(
            CaseOpened,
            {
                "case_id": "c1",
                "category": "pesten",
                "channel": "web",
                "reporter_role": "employee",
                "anonymous": False,
            },
            source="t",
        )
        await bus.publish(event)

        async def met_the_outage() -> bool:
            interrupted = metrics.registry.get_sample_value(
                "events_handled_total", {"consumer": "outage", "outcome": "interrupted"}
            )
            return (interrupted or 0) >= 1

        await eventually(met_the_outage, within=30)
        assert all(not r.task.done() for r in bus._running), "the consumer loop died"
        # The first delivery may have run the handler (a new event needs no look-up), but
        # what could not be recorded was not acked, and once the outage was met every
        # delivery is looked up first: no more runs while the database is away.
        during = handled.count(event.id)
        assert during <= 1
        await asyncio.sleep(2.5)  # more deliveries come (ack_wait 1 s) and are held back
        assert handled.count(event.id) == during
        await asyncio.to_thread(_restart, mongo_proc)

        async def recorded() -> bool:
            found = await mongo.db[PROCESSED].find_one({"_id": f"outage:{event.id}"})
            return found is not None

        await eventually(recorded, within=30)
        assert handled.count(event.id) == during + 1  # handled again, now recorded
    finally:
        await bus.close()
        await mongo.close()


async def test_a_report_while_the_database_is_away_is_a_503_and_its_retry_one_case(
    own_servers: tuple[Process, Process], keys: Keys
) -> None:
    from services.intake.app import create_app as intake_app
    from services.intake.settings import IntakeSettings

    mongo, _ = own_servers
    settings = IntakeSettings.from_env(
        on(
            own_servers,
            keys,
            **keys.secrets_env,
            INTAKE_ARGON2_TIME_COST="1",
            INTAKE_ARGON2_MEMORY_KIB="8192",
        )
    )
    client = await serving(intake_app(settings))
    try:
        admin = keys.issuer.issue(sub="office", role="admin", audience="intake")
        made = await client.post(
            "/v1/orgs",
            headers={"Authorization": f"Bearer {admin}"},
            json={"name": "Noord", "slug": "noord", "confidant_ids": ["c-anna"]},
        )
        assert made.status == 201
        report = {"organisation": "noord", "category": "pesten", "anonymous": True}
        key = {"Idempotency-Key": "k-outage"}
        await asyncio.to_thread(mongo.kill)
        away = await client.post("/v1/cases", json=report, headers=key)
        assert away.status == 503, await away.text()
        assert away.headers["Retry-After"] == "5"
        assert (await away.json())["error"]["code"] == "unavailable"
        await asyncio.to_thread(_restart, mongo)

        async def answered() -> bool:
            again = await client.post("/v1/cases", json=report, headers=key)
            return again.status == 201

        await eventually(answered, within=30)
        once = await client.post("/v1/cases", json=report, headers=key)
        assert once.status == 201
        db = Mongo(mongo.url, "vertrouwd_intake")
        try:
            assert await db.db["cases"].count_documents({}) == 1
        finally:
            await db.close()
    finally:
        await client.close()
