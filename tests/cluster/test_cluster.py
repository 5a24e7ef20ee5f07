"""Two instances of every service on a 3-node NATS cluster, under load, while the stream's
leader node is killed, one instance of each service is killed, and the database pauses:
afterwards nothing is lost and nothing happened twice.

Every service runs as a real process (``python -m services.<name>``), against its own
FerretDB (so it can be paused) and the session's Radicale; mail goes to the test's SMTP
server. Reporters and bookers behave as the pages do: a report or booking that was not
answered is sent again with the same Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import aiohttp
import nats
import pytest
from pymongo import AsyncMongoClient

from deploy.stack.bus import nats_cluster
from deploy.stack.database import ferretdb
from deploy.stack.infra import running
from deploy.stack.places import FERRETDB_BIN
from deploy.stack.process import Process, free_port
from deploy.stack.services import service
from services.notify.settings import NotifySettings
from services.reporting.domain.tally import contributions
from services.reporting.store.documents import cases as facts
from tests.conftest import Keys
from tests.polling import eventually
from tests.scene import anna_steps, bearer
from tests.services.booking.conftest import CALDAV_AUTH, CALDAV_PASSWORD, CALDAV_USER
from tests.services.booking.conftest import calendar_url as calendar_url
from tests.services.intake.conftest import NAMED
from tests.services.notify.conftest import ANNA, Inbox
from tests.services.notify.conftest import inbox as inbox

pytestmark = [
    pytest.mark.skipif(not FERRETDB_BIN.exists(), reason="FerretDB is not built"),
    pytest.mark.timeout(240),
]

SERVICES = ("intake", "booking", "notify", "reporting")
REPORTS, BOOK_EVERY = 36, 3


@dataclass
class Cluster:
    mongo: Process
    nats: list[Process]
    instances: dict[str, list[Process]]
    stream: str
    prefix: str
    token: Callable[..., str]
    made: dict[str, Any] = field(default_factory=dict)

    def urls(self, name: str) -> list[str]:
        return [p.url for p in self.instances[name]]

    def any_url(self, name: str) -> str:
        return random.choice(self.urls(name))


@pytest.fixture
def cluster(tmp_path: Path, keys: Keys, inbox: Inbox, calendar_url: str) -> Iterator[Cluster]:
    mongo = ferretdb(tmp_path / "ferretdb", free_port())
    nodes = nats_cluster(tmp_path / "nats")
    stream, prefix = f"C{uuid.uuid4().hex[:8].upper()}", f"c{uuid.uuid4().hex[:8]}."
    env = {
        "MONGODB_URI": mongo.url,
        "NATS_URL": ",".join(n.url for n in nodes),
        "NATS_STREAM": stream,
        "NATS_SUBJECT_PREFIX": prefix,
        # (no NATS_STREAM_REPLICAS: on a cluster of three the stream gets three unasked)
        "JWKS_FILE": str(keys.jwks),
        **keys.secrets_env,
        "ACK_WAIT_S": "3",
        "RETRY_BACKOFF": "0.2,0.5,1,2",
        "MAX_DELIVER": "20",
        "OUTBOX_RELAY_S": "0.5",
        "OUTBOX_SWEEP_S": "1",  # a killed instance's staged events: found by the others soon
        "LOG_LEVEL": "WARNING",
        "INTAKE_ARGON2_TIME_COST": "1",
        "INTAKE_ARGON2_MEMORY_KIB": "8192",
        "INTAKE_CASE_RATE_LIMIT": "100000",
        "BOOKING_SYNC_INTERVAL_S": "1",
        "BOOKING_WRITER_INTERVAL_S": "0.3",
        "NOTIFY_SMTP_PORT": str(inbox.port),
        "NOTIFY_SWEEP_INTERVAL_S": "0.3",
        "NOTIFY_LEASE_S": "3",
        "NOTIFY_SEND_BACKOFF_S": "0.3,0.6,1",
        "NOTIFY_MAX_ATTEMPTS": "20",
        "NOTIFY_INTAKE_URL": "https://vertrouwd.example/",
    }
    instances = {
        name: [service(name, free_port(), env, tmp_path / f"{name}{i}") for i in (1, 2)]
        for name in SERVICES
    }
    with running([mongo, *nodes]):
        init = subprocess.run(
            [sys.executable, "-m", "deploy.init"],
            env={**os.environ, **env},
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert init.returncode == 0, init.stderr.decode()
        with running([p for group in instances.values() for p in group], timeout=120):
            yield Cluster(mongo, nodes, instances, stream, prefix, keys.issuer.issue)


async def persist(
    call: Callable[[], Awaitable[tuple[int, Any]]], ok: tuple[int, ...], within: float = 90
) -> tuple[int, Any]:
    """Send again, as a page does with its Idempotency-Key, until the answer is final."""
    deadline = time.monotonic() + within
    while True:
        try:
            status, body = await call()
            if status in ok or (400 <= status < 500 and status not in (408, 409, 429)):
                return status, body
        except (aiohttp.ClientError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError("no final answer")
        await asyncio.sleep(0.3)


async def setup(c: Cluster, http: aiohttp.ClientSession, calendar: str) -> None:
    admin_i = bearer(c.token(sub="office", role="admin", audience="intake"))
    admin_b = bearer(c.token(sub="office", role="admin", audience="booking"))
    intake, booking = c.urls("intake")[0], c.urls("booking")[0]
    async with http.post(
        f"{intake}v1/orgs",
        headers=admin_i,
        json={"name": "Noord", "slug": "noord", "confidant_ids": ["c-anna"]},
    ) as r:
        assert r.status == 201, await r.text()
        c.made["org"] = await r.json()
    org = c.made["org"]["id"]
    async with http.post(
        f"{intake}v1/staff",
        headers=admin_i,
        json={
            "username": "anna",
            "role": "confidant",
            "display_name": "Anna",
            "confidant_id": "c-anna",
            "email": ANNA,
            "password": "a long enough password",
        },
    ) as r:
        assert r.status == 201, await r.text()
    link = {
        "url": calendar.rsplit("/", 3)[0] + "/",
        "username": CALDAV_USER,
        "password": CALDAV_PASSWORD,
        "busy_calendars": [calendar],
        "booking_calendar": calendar,
    }
    for method, path, body in anna_steps(org, calendar=link, minutes=30):
        async with http.request(method, f"{booking}{path[1:]}", headers=admin_b, json=body) as r:
            assert r.status in (200, 201), await r.text()


async def report_and_book(c: Cluster, http: aiohttp.ClientSession, i: int) -> dict[str, Any]:
    key = {"Idempotency-Key": f"report-{i}"}
    body = {**NAMED, "organisation": "noord", "department": None}
    body["contact"] = {**NAMED["contact"], "email": f"reporter{i}@example.nl"}

    async def send() -> tuple[int, Any]:
        async with http.post(f"{c.any_url('intake')}v1/cases", json=body, headers=key) as r:
            return r.status, await r.json(content_type=None)

    status, case = await persist(send, (201,))
    assert status == 201, case
    if i % BOOK_EVERY:
        return {"case": case}
    employee = bearer(case["token"])

    async def book() -> tuple[int, Any]:
        url = c.any_url("booking")
        async with http.get(
            f"{url}v1/slots?confidant_id=c-anna&type_id=gesprek", headers=employee
        ) as r:
            if r.status != 200:
                return r.status, None
            slots = (await r.json()).get("slots") or []
        if not slots:
            return 409, None  # closed for now (the calendar is being read again)
        start = random.choice(slots[:40])["start"]
        async with http.post(
            f"{url}v1/appointments",
            headers={**employee, "Idempotency-Key": f"book-{i}"},
            json={"confidant_id": "c-anna", "type_id": "gesprek", "start": start, "mode": "online"},
        ) as r:
            return r.status, await r.json(content_type=None)

    status, appointment = await persist(book, (201,), within=120)
    assert status == 201, appointment
    return {"case": case, "appointment": appointment}


async def leader_of(c: Cluster) -> Process:
    nc = await nats.connect([n.url for n in c.nats])
    try:
        info = await nc.jetstream().stream_info(c.stream)
        leader = info.cluster.leader if info.cluster else None
    finally:
        await nc.close()
    return next(n for n in c.nats if n.name == f"nats{str(leader).removeprefix('n')}")


async def faults(c: Cluster) -> None:
    """The stream's leader killed; one instance of each service killed; the database paused.
    The pauses between are the schedule of the faults (load runs meanwhile), not waits for
    something to happen."""
    await asyncio.sleep(1.5)
    leader = await leader_of(c)
    await asyncio.to_thread(leader.kill)
    await asyncio.sleep(1.0)
    victims = [c.instances[name][1] for name in SERVICES]
    for victim in victims:
        await asyncio.to_thread(victim.kill)
    await asyncio.sleep(2.0)
    for victim in victims:
        await asyncio.to_thread(victim.start)
    await asyncio.sleep(2.0)
    await asyncio.to_thread(leader.start)
    await asyncio.sleep(1.0)
    assert c.mongo.popen is not None
    c.mongo.popen.send_signal(signal.SIGSTOP)
    await asyncio.sleep(4.0)
    c.mongo.popen.send_signal(signal.SIGCONT)
    for victim in victims:
        await asyncio.to_thread(victim.wait_ready, 60)
    await asyncio.to_thread(leader.wait_ready, 30)


async def test_nothing_lost_nothing_twice(
    cluster: Cluster, inbox: Inbox, calendar_url: str
) -> None:
    c = cluster
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
        await setup(c, http, calendar_url)
        work = asyncio.gather(*(report_and_book(c, http, i) for i in range(REPORTS)))
        results, _ = await asyncio.gather(work, faults(c))
    cases = {r["case"]["case_id"] for r in results}
    booked = {r["appointment"]["id"] for r in results if "appointment" in r}
    assert len(cases) == REPORTS and len(booked) == REPORTS // BOOK_EVERY

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(c.mongo.url, tz_aware=True)
    try:
        await converged(c, client, inbox, calendar_url, cases, booked)
    finally:
        await client.close()


async def converged(
    c: Cluster,
    client: AsyncMongoClient[dict[str, Any]],
    inbox: Inbox,
    calendar: str,
    cases: set[str],
    booked: set[str],
) -> None:
    intake, reporting = client["vertrouwd_intake"], client["vertrouwd_reporting"]
    booking, notify = client["vertrouwd_booking"], client["vertrouwd_notify"]

    async def projected() -> bool:
        docs = await reporting["cases"].find({}).to_list(None)
        return (
            {d["_id"] for d in docs} == cases
            and all("pending" not in d and d.get("category") for d in docs)
            and sum(len(d.get("conversations") or {}) for d in docs) == len(booked)
        )

    await eventually(projected, within=90)
    assert {d["_id"] async for d in intake["cases"].find({}, {"_id": 1})} == cases
    # Tallies equal a recount of the projection.
    recount: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    async for doc in facts(reporting).find({}):
        for (month, key), value in contributions(doc).items():
            recount[f"{doc['org_id']}|{month}"][key] += value
    tallies = {t["_id"]: t["n"] async for t in reporting["tallies"].find({})}
    assert tallies == {t: {k: v for k, v in n.items() if v} for t, n in recount.items()}

    # Every booking once in the database and once in the calendar.
    stored = await booking["appointments"].find({"status": "booked"}).to_list(None)
    assert {a["_id"] for a in stored} == booked

    expected = {f"vertrouwd-{a}@vertrouwd.ics" for a in booked}
    seen: set[str] = set()

    async def in_calendar() -> bool:
        seen.clear()
        seen.update(await calendar_objects(calendar))
        return seen == expected

    try:
        await eventually(in_calendar, within=60)
    except AssertionError:
        states = [a.get("calendar") for a in stored]
        raise AssertionError((sorted(expected - seen), sorted(seen - expected), states)) from None

    # Every mail once: each delivery ended as sent, and no Message-ID came twice.
    async def all_sent() -> bool:
        # (reminders wait for their time: only what is due counts)
        due = {"channel": "email", "due_at": {"$lte": datetime.now(UTC)}}
        deliveries = await notify["deliveries"].count_documents(due)
        sent = await notify["outcomes"].count_documents({"status": "sent"})
        return deliveries > 0 and sent == deliveries and len(inbox.received) >= sent

    await eventually(all_sent, within=90)
    ids = Counter(str(r.message["Message-ID"]) for r in inbox.received)
    # A mail goes twice only if its sender was killed between the SMTP server's "250" and
    # the record of it (services/notify/domain/deliver.py): at most one per send under way in the
    # killed notify (its workers), and the copy carries the same Message-ID. Under this
    # load that window is wide enough to be hit now and then (2 copies in one CI run).
    copies = sum(n - 1 for n in ids.values())
    assert copies <= NotifySettings.model_fields["workers"].default, ids
    for i in range(REPORTS):
        assert len(inbox.to(f"reporter{i}@example.nl")) >= 1

    # No consumer has anything pending; nothing was dead-lettered; the stream has 3 replicas.
    nc = await nats.connect([n.url for n in c.nats])
    try:
        js = nc.jetstream()

        async def drained() -> bool:
            for name in SERVICES:
                info = await js.consumer_info(c.stream, name)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        await eventually(drained, within=60)
        info = await js.stream_info(c.stream, subjects_filter=f"{c.prefix}deadletter.>")
        assert not info.state.subjects
        assert info.config.num_replicas == 3
    finally:
        await nc.close()
    async with aiohttp.ClientSession() as http:
        for name in SERVICES:
            for url in c.urls(name):
                async with http.get(f"{url}readyz") as r:
                    assert r.status == 200, (name, url, await r.text())


async def calendar_objects(calendar: str) -> set[str]:
    async with (
        aiohttp.ClientSession() as http,
        http.request("PROPFIND", calendar, headers={**CALDAV_AUTH, "Depth": "1"}) as r,
    ):
        text = await r.text()
    names = {
        unquote(part.split("</")[0].rstrip("/").rsplit("/", 1)[-1]) for part in text.split("href>")
    }
    return {n for n in names if n.startswith("vertrouwd-")}
