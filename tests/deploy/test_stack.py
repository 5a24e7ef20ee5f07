"""The embedded stack: the SMTP sink, the seed, and `make run` as a whole."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import smtplib
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import nats
import pytest
from caldav.davclient import DAVClient
from pymongo import MongoClient

from deploy.seed import DEMO_CALENDAR, DEMO_LOGINS, DEMO_SLUG, seed_calendar, seed_intake
from deploy.stack.infra import Infra
from deploy.stack.places import DEMO_CALDAV_USER, DEV_PORTS, FERRETDB_BIN, SERVICES
from deploy.stack.process import http_ok
from shared.event_schemas import CaseOpened
from shared.events import new_event
from shared.service import MONGO
from tests.conftest import StartService


def test_smtp_sink_keeps_every_message_as_an_eml_file(infra: Infra) -> None:
    if infra.maildir is None:
        pytest.skip("an external SMTP server is in use")
    before = set(infra.maildir.glob("*.eml"))
    message = EmailMessage()
    message["From"], message["To"] = "noreply@vertrouwd.local", "vp@example.nl"
    message["Subject"] = "Nieuwe melding"
    message.set_content("Er is een nieuwe melding voor u.")
    with smtplib.SMTP(infra.smtp_host, infra.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    [new] = set(infra.maildir.glob("*.eml")) - before
    text = new.read_text()
    assert "Subject: Nieuwe melding" in text and "Er is een nieuwe melding voor u." in text


async def test_seed_creates_the_demo_once_through_the_apis(
    infra: Infra, start_service: StartService, token: Callable[..., str]
) -> None:
    if not infra.processes or "radicale" not in {p.name for p in infra.processes}:
        pytest.skip("an external CalDAV server is in use")
    intake = await start_service("intake")
    url = str(intake.make_url(""))
    office = token("admin", "intake")
    # (urllib blocks: the seed runs in a thread while this loop serves intake)
    org_id, first = await asyncio.to_thread(seed_intake, url, office)
    assert set(first) == {
        "organisations/demo",
        "staff/admin",
        "staff/demo-confidant",
        "staff/demo-hr",
    }
    app = intake.app
    assert app is not None
    db = app[MONGO].db
    hr = await db["staff"].find_one({"username": "demo-hr"})
    assert hr is not None and hr["org_id"] == org_id
    assert hr["email"]["c"] and "demo.example" not in str(hr)  # sealed, never plain
    assert await asyncio.to_thread(seed_intake, url, office) == (org_id, [])
    # The demo log-ins work, through the API like anyone's.
    login = await intake.post(
        "/v1/auth/token", json={"username": "demo-hr", "password": DEMO_LOGINS["demo-hr"]}
    )
    assert login.status == 200

    assert await asyncio.to_thread(seed_calendar, infra.caldav_url, DEMO_CALDAV_USER) in (
        [f"calendar/{DEMO_CALDAV_USER[0]}/{DEMO_CALENDAR}"],
        [],  # made by an earlier test of this session's Radicale
    )
    assert await asyncio.to_thread(seed_calendar, infra.caldav_url, DEMO_CALDAV_USER) == []
    with DAVClient(
        url=infra.caldav_url, username=DEMO_CALDAV_USER[0], password=DEMO_CALDAV_USER[1]
    ) as dav:
        principal: Any = dav.principal()
        [calendar] = [
            c for c in principal.calendars() if str(c.url).rstrip("/").endswith(DEMO_CALENDAR)
        ]
        assert len(calendar.events()) == 1


# -- make run ----------------------------------------------------------------------------------


class Run:
    """`python -m deploy.stack` (what `make run` starts) as a child process."""

    def __init__(self, data: Path, offset: int) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("MONGODB_URI", "NATS_URL", "CALDAV_URL", "SMTP_HOST")
        }
        env.update(VERTROUWD_DATA=str(data), VERTROUWD_PORT_OFFSET=str(offset))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "deploy.stack"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in output:\n{''.join(self.lines)}")
            time.sleep(0.05)

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        code = self.proc.wait(30)
        self.close()
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def output(self) -> str:
        return "".join(self.lines)


@pytest.fixture
def offset() -> int:
    return random.randrange(1_000, 5_500, 10)  # all ports stay below the ephemeral range (32768+)


@pytest.fixture
def stack_runs(tmp_path: Path, offset: int) -> Iterator[list[Run]]:
    runs: list[Run] = []
    yield runs
    for run in runs:
        run.close()


@pytest.mark.skipif(not FERRETDB_BIN.exists(), reason="FerretDB is not built")
def test_make_run_starts_everything_stops_cleanly_and_keeps_data(
    tmp_path: Path, offset: int, stack_runs: list[Run]
) -> None:
    mongo_uri = f"mongodb://127.0.0.1:{DEV_PORTS['mongo'] + offset}/"
    nats_url = f"nats://127.0.0.1:{DEV_PORTS['nats'] + offset}"

    first = Run(tmp_path, offset)
    stack_runs.append(first)
    first.wait_for("Ctrl-C stops everything")
    out = first.output()
    for name, port in SERVICES.items():
        assert http_ok(f"http://127.0.0.1:{port + offset}/readyz"), name
        assert f"api/{name}/openapi.json" in out, name
    # Every address it prints opens something (a page, a document, a server asking for its
    # password), none a 404.
    printed = set(re.findall(r"https?://[^\s)]+", out))
    assert len(printed) >= 8, printed
    for url in sorted(printed):
        assert _answers(url), url
    assert "created now" in out
    assert "confidants/demo-confidant" in out and "appointment-types/gesprek" in out

    # Write through each kind of store: the database, the stream (an event the reporting
    # service consumes) and the mail folder.
    with MongoClient[dict[str, Any]](mongo_uri) as client:
        client["vertrouwd_intake"]["scratch"].insert_one({"_id": "kept", "v": 1})
    event = new_event(
        CaseOpened,
        {
            "case_id": "persist-1",
            "category": "pesten",
            "channel": "web",
            "reporter_role": "employee",
            "anonymous": True,
        },
        source="intake",
        org_id="demo-org",
    )

    async def publish() -> None:
        nc = await nats.connect(nats_url)
        await nc.jetstream().publish(
            "intake.case.opened", event.encode(), headers={"Nats-Msg-Id": event.id}
        )
        await nc.close()

    import asyncio

    asyncio.run(publish())
    _until(lambda: _projected_cases(mongo_uri) == 1)

    assert first.interrupt() == 0
    assert "Stopped; data kept in" in first.output()
    for name, port in SERVICES.items():
        assert not http_ok(f"http://127.0.0.1:{port + offset}/healthz"), f"{name} still up"

    second = Run(tmp_path, offset)
    stack_runs.append(second)
    second.wait_for("Ctrl-C stops everything")
    assert "kept from before" in second.output()
    with MongoClient[dict[str, Any]](mongo_uri) as client:
        assert client["vertrouwd_intake"]["scratch"].find_one({"_id": "kept"}) == {
            "_id": "kept",
            "v": 1,
        }
        assert client["vertrouwd_intake"]["organisations"].find_one({"slug": DEMO_SLUG})
    # The durable consumer remembered where it was: the event is not projected twice.
    assert _projected_cases(mongo_uri) == 1
    assert second.interrupt() == 0
    keys = json.loads((tmp_path / "keys" / "jwks.json").read_text())
    assert len(keys["keys"]) == 1  # the same key, kept


def _projected_cases(mongo_uri: str) -> int:
    with MongoClient[dict[str, Any]](mongo_uri) as client:
        return client["vertrouwd_reporting"]["cases"].count_documents({})


def _until(check: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.mark.skipif(not FERRETDB_BIN.exists(), reason="FerretDB is not built")
def test_killing_the_launcher_outright_leaves_no_server_behind(
    tmp_path: Path, offset: int, stack_runs: list[Run]
) -> None:
    run = Run(tmp_path, offset)
    stack_runs.append(run)
    run.wait_for("Ctrl-C stops everything")
    children = subprocess.run(
        ["pgrep", "-f", str(tmp_path)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert len(children) >= 4  # FerretDB, NATS, Radicale, the SMTP sink (their args name it)
    run.proc.kill()  # no chance to clean up
    run.proc.wait(10)
    _until(
        lambda: (
            subprocess.run(
                ["pgrep", "-f", str(tmp_path)], capture_output=True, check=False
            ).returncode
            == 1
        )
    )
    for name, port in SERVICES.items():
        assert not http_ok(f"http://127.0.0.1:{port + offset}/healthz"), name


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (our own stack)
            return int(answer.status) < 400
    except urllib.error.HTTPError as refused:
        return refused.code in (401, 403)  # there, and asking who is asking
