"""The four services start, answer, consume their events and stop cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from deploy.stack.process import free_port, http_ok
from services.reporting.domain.projection import FIELDS
from shared.db import Mongo
from shared.event_schemas import CaseAssigned, CaseOpened
from shared.events import new_event
from shared.service import BUS, LOCKS, MONGO
from tests.conftest import SERVICE_NAMES, StartService
from tests.polling import eventually

OPENED = {
    "case_id": "case-1",
    "category": "integriteit",
    "channel": "web",
    "reporter_role": "employee",
    "anonymous": True,
    "meeting_mode": "walk",
}


def app(client: TestClient) -> web.Application:  # type: ignore[type-arg]
    application: web.Application | None = client.app
    assert application is not None
    return application


def db(client: TestClient) -> Mongo:  # type: ignore[type-arg]
    return app(client)[MONGO]


@pytest.mark.parametrize("name", SERVICE_NAMES)
async def test_each_service_is_ready_and_knows_its_audience(
    name: str, start_service: StartService, token: Callable[..., str]
) -> None:
    client = await start_service(name)
    assert (await client.get("/readyz")).status == 200
    mine = await client.get(
        "/v1/whoami", headers={"Authorization": f"Bearer {token('admin', name)}"}
    )
    assert mine.status == 200 and (await mine.json())["role"] == "admin"
    other = "booking" if name != "booking" else "intake"
    theirs = await client.get(
        "/v1/whoami", headers={"Authorization": f"Bearer {token('admin', other)}"}
    )
    assert theirs.status == 401


@pytest.mark.parametrize("name", SERVICE_NAMES)
async def test_the_relay_and_the_service_write_under_the_same_locks(
    name: str, start_service: StartService
) -> None:
    # (a second set would let the relay's tidying and the service's own write to one
    # document interleave on FerretDB, which applies an update by read and write back)
    client = await start_service(name)
    states = [v for k, v in app(client).items() if getattr(v, "locks", None) is not None]
    assert states, f"{name} keeps no state with locks"
    assert all(state.locks is app(client)[LOCKS] for state in states)
    doc = await (await client.get("/openapi.json")).json()
    assert doc["info"]["title"] == f"Vertrouwd {name}"


async def test_events_flow_to_every_consumer_without_personal_data(
    start_service: StartService,
) -> None:
    intake = await start_service("intake")
    booking = await start_service("booking")
    notify = await start_service("notify")
    reporting = await start_service("reporting")
    bus = app(intake)[BUS]

    await bus.publish(new_event(CaseOpened, OPENED, source="intake", org_id="org-a"))
    await bus.publish(
        new_event(
            CaseAssigned,
            {"case_id": "case-1", "confidant_id": "conf-7", "reason": "least_loaded"},
            source="intake",
            org_id="org-a",
        )
    )

    async def booking_knows_the_assignment() -> bool:
        case = await db(booking).db["cases"].find_one({"_id": "case-1"})
        return case is not None and case.get("confidant_id") == "conf-7"

    await eventually(booking_knows_the_assignment)
    case = await db(booking).db["cases"].find_one({"_id": "case-1"})
    assert case is not None and case["org_id"] == "org-a" and case["meeting_mode"] == "walk"

    async def reporting_has_the_case() -> bool:
        case = await db(reporting).db["cases"].find_one({"_id": "case-1"})
        return case is not None and case.get("category") == "integriteit"

    await eventually(reporting_has_the_case)
    case = await db(reporting).db["cases"].find_one({"_id": "case-1"})
    assert case is not None
    # Only the fields the projection defines (ids, enumerations, months), and these ones:
    assert set(case) <= FIELDS
    assert {"category", "channel", "reporter_role", "anonymous", "opened"} <= set(case)

    # Notify plans a mail to the assigned confidant (the anonymous reporter gets none); intake
    # knows no address for conf-7, so it ends as skipped rather than sent or retried.
    async def notify_planned_one() -> bool:
        found = await db(notify).db["deliveries"].find({}).to_list()
        return [(d["recipient"], d["template"], d["status"]) for d in found] == [
            ({"kind": "confidant", "ref": "conf-7"}, "case_assigned", "skipped")
        ]

    await eventually(notify_planned_one)
    # intake consumes appointments only, so its own case events never came back to it.
    assert await db(intake).db["processed_events"].count_documents({}) == 0


def test_a_service_process_stops_cleanly_on_sigterm(service_env: dict[str, str]) -> None:
    port = free_port()
    env = {**os.environ, **service_env, "BOOKING_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.booking"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while not http_ok(f"http://127.0.0.1:{port}/readyz"):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert datetime.now(UTC) < deadline, "booking did not become ready"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
            assert r.status == 200
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
        assert b"Traceback" not in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(
    ("name", "page"),
    [("intake", "/staff"), ("booking", "/staff/agenda"), ("reporting", "/reports")],
)
async def test_a_page_on_the_services_own_address_goes_to_the_front_door(
    name: str, page: str, start_service: StartService
) -> None:
    # Its script calls /api/<service>/, which only the front door answers: the page must not
    # load where its log-in would be refused.
    client = await start_service(name, SUITE_URL="http://suite.example/")
    direct = await client.get(f"{page}?lang=en", allow_redirects=False)
    assert direct.status == 307
    assert direct.headers["Location"] == f"http://suite.example{page}?lang=en"
    # Through a proxy (the front door's own request, or any other proxy's), never sent on.
    proxied = await client.get(page, headers={"X-Forwarded-For": "192.0.2.7"})
    assert proxied.status == 200 and "text/html" in proxied.headers["Content-Type"]
    at_home = await client.get(page, headers={"Host": "suite.example"}, allow_redirects=False)
    assert at_home.status == 200


async def test_readyz_says_when_the_stream_has_other_replicas_than_asked(
    start_service: StartService,
) -> None:
    # The first service made the stream (one server: one replica, unasked); a second asks
    # three. The stream is the operator's and stays; readyz says so, without being unready.
    first = await start_service("intake")
    second = await start_service("booking", NATS_STREAM_REPLICAS="3")
    quiet = await (await first.get("/readyz")).json()
    assert quiet["status"] == "ready" and quiet["notes"] == {}
    told = await second.get("/readyz")
    assert told.status == 200
    note = (await told.json())["notes"]["stream"]
    assert "1 replica(s), 3 asked" in note
