"""Incremental against full calendar sync, on Radicale and on Xandikos with 5,000 events
each, in the same run.

    python -m bench.sync [--events 5000] [--changed 10] [--servers radicale,xandikos]

Starts FerretDB, nats-server, Radicale, Xandikos and booking; fills a calendar on each
server with events over the coming year (written into the server's storage: Radicale's
files, one git commit for Xandikos; 5,000 PUTs would take most of an hour on Radicale);
connects it (the first sync is full). Then, three times: changes ``--changed`` events
through CalDAV and times ``POST /v1/confidants/<id>/calendar/sync`` (one sync-collection
REPORT that brings the changed objects along, staged on the calendar's overlay), then the
same with ``?full=1`` (one time-range REPORT of everything; what changed is parsed, what
differs is stored). Prints one JSON line per server with the medians, the server's own time
(``*_server_ms``: waiting for its answers) and ours (``*_own_ms``: the rest).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench.common import options
from deploy.stack.calendars import radicale, xandikos
from deploy.stack.infra import plan_infra, running, service_env
from deploy.stack.places import DEMO_CALDAV_USER
from deploy.stack.process import free_port
from deploy.stack.services import service
from shared.devtokens import load_issuer

USER, PASSWORD = DEMO_CALDAV_USER
AUTH = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}


def event(i: int, shift_min: int = 0) -> bytes:
    start = datetime(2027, 1, 4, 8, tzinfo=UTC) + timedelta(
        hours=(i * 7) % (300 * 24), minutes=shift_min
    )
    fmt = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:bench-{i}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{start.strftime(fmt)}\r\n"
        f"DTEND:{(start + timedelta(minutes=45)).strftime(fmt)}\r\nSUMMARY:Overleg\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


async def fill(calendar: str, ids: range, shift_min: int = 0, at_once: int = 16) -> None:
    gate = asyncio.Semaphore(at_once)
    async with aiohttp.ClientSession(headers=AUTH) as session:

        async def put(i: int) -> None:
            async with (
                gate,
                session.put(
                    f"{calendar}bench-{i}.ics",
                    data=event(i, shift_min),
                    headers={"Content-Type": "text/calendar"},
                ) as r,
            ):
                assert r.status in (201, 204), r.status

        await asyncio.gather(*(put(i) for i in ids))


def fill_storage(folder: Path, events: int) -> None:
    for i in range(events):
        (folder / f"bench-{i}.ics").write_bytes(event(i))


def fill_git(folder: Path, events: int) -> None:
    """Xandikos keeps a calendar as a git repository: the events in one commit."""
    from dulwich import porcelain

    fill_storage(folder, events)
    porcelain.add(str(folder), [str(folder / f"bench-{i}.ics") for i in range(events)])
    porcelain.commit(str(folder), message=b"bench", author=b"b <b@b>", committer=b"b <b@b>")


@dataclass(frozen=True)
class Server:
    name: str
    base: str  # what the confidant connects to
    calendar: str  # the calendar filled
    folder: Path  # where the server keeps it
    fill: Callable[[Path, int], None]


async def run(url: str, admin: str, server: Server, events: int, changed: int) -> dict[str, float]:
    calendar = server.calendar
    headers = {"Authorization": f"Bearer {admin}"}
    who = f"c-{server.name}"
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.request("MKCALENDAR", calendar, headers=AUTH) as r:
            assert r.status == 201
        await asyncio.to_thread(server.fill, server.folder, events)
        for method, path, body in (
            ("POST", "/v1/confidants", {"id": who, "display_name": "Anna", "org_ids": ["o"]}),
            (
                "PUT",
                f"/v1/confidants/{who}/calendar",
                {
                    "url": server.base,
                    "username": USER,
                    "password": PASSWORD,
                    "busy_calendars": [calendar],
                    "booking_calendar": calendar,
                },
            ),
        ):
            async with session.request(method, f"{url}{path}", json=body) as r:
                assert r.status in (200, 201), await r.text()
        incremental: list[float] = []
        full: list[float] = []
        waited: dict[str, list[float]] = {"": [], "?full=1": []}
        for round_ in range(1, 4):
            # One at a time on Xandikos: a git commit each, and 423 Locked to a second writer.
            at_once = 1 if server.name == "xandikos" else 16
            ids = range(round_ * changed, (round_ + 1) * changed)
            await fill(calendar, ids, round_ * 5, at_once)
            for timings, query in ((incremental, ""), (full, "?full=1")):
                started = time.perf_counter()
                async with session.post(f"{url}/v1/confidants/{who}/calendar/sync{query}") as r:
                    report = (await r.json())["report"]
                timings.append((time.perf_counter() - started) * 1000)
                waited[query].append(report["server_ms"])
                if not query:
                    assert report["delta"] == 1 and report["objects"] == changed, report
    return {
        "incremental_ms": statistics.median(incremental),
        "full_ms": statistics.median(full),
        "incremental_server_ms": statistics.median(waited[""]),
        "full_server_ms": statistics.median(waited["?full=1"]),
    }


def main() -> None:
    args = options(__doc__, events=5000, changed=10, servers="radicale,xandikos")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        infra = plan_infra(data, {})
        base_env = service_env(infra, data / "keys")  # makes the keys too
        servers = [p for p in infra.processes if p.name in ("ferretdb", "nats")]
        radicale_ = radicale(data / "radicale", free_port(), dict([DEMO_CALDAV_USER]))
        xandikos_ = xandikos(data / "xandikos", free_port())
        admin = load_issuer(data / "keys").issue(sub="bench", role="admin", audience="booking")
        env = {**base_env, "LOG_LEVEL": "WARNING", "BOOKING_SYNC_INTERVAL_S": "3600"}
        booking = service("booking", free_port(), env, data / "logs")
        calendars = {
            "radicale": Server(
                "radicale",
                radicale_.url,
                f"{radicale_.url}{USER}/werk/",
                data / "radicale" / "collections" / "collection-root" / USER / "werk",
                fill_storage,
            ),
            "xandikos": Server(
                "xandikos",
                xandikos_.url,
                f"{xandikos_.url}user/calendars/werk/",
                data / "xandikos" / "collections" / "user" / "calendars" / "werk",
                fill_git,
            ),
        }
        with running([*servers, radicale_, xandikos_], [booking]):
            for name in args.servers.split(","):
                result = asyncio.run(
                    run(
                        booking.url.rstrip("/"),
                        admin,
                        calendars[name],
                        args.events,
                        args.changed,
                    )
                )
                incremental, full = result["incremental_ms"], result["full_ms"]
                ours = {
                    "incremental_own_ms": incremental - result["incremental_server_ms"],
                    "full_own_ms": full - result["full_server_ms"],
                }
                print(
                    json.dumps(
                        {
                            "bench": "sync",
                            "server": name,
                            "events": args.events,
                            "changed": args.changed,
                            "incremental_ms": round(incremental, 1),
                            "full_ms": round(full, 1),
                            "speedup": round(full / incremental, 1),
                            # Of those, the time the server took to answer, and ours:
                            "incremental_server_ms": result["incremental_server_ms"],
                            "full_server_ms": result["full_server_ms"],
                            **{k: round(v, 1) for k, v in ours.items()},
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
