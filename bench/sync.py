"""Incremental against full calendar sync, on Radicale with 5,000 events, same run.

    python -m bench.sync [--events 5000] [--changed 10]

Starts FerretDB, nats-server, Radicale and booking; fills a calendar with events over the
coming year (written as files into Radicale's storage: its PUT slows down as a collection
grows, and 5,000 PUTs would take most of an hour); connects it (the first sync is full).
Then, three times: changes ``--changed`` events through CalDAV and times
``POST /v1/confidants/c-1/calendar/sync`` (one sync-collection REPORT that brings the
changed objects along; their buckets of busy time rewritten), then the same with
``?full=1`` (one time-range REPORT of everything, all parsed and stored again). Prints one
JSON line with the medians, and of them the time Radicale took to answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from deploy.stack import (
    DEMO_CALDAV_USER,
    free_port,
    plan_infra,
    radicale,
    running,
    service,
    service_env,
)
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


async def fill(calendar: str, ids: range, shift_min: int = 0) -> None:
    gate = asyncio.Semaphore(16)
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


async def run(
    url: str, admin: str, caldav: str, storage: Path, events: int, changed: int
) -> dict[str, float]:
    calendar = f"{caldav}{USER}/werk/"
    headers = {"Authorization": f"Bearer {admin}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.request("MKCALENDAR", calendar, headers=AUTH) as r:
            assert r.status == 201
        await asyncio.to_thread(fill_storage, storage / "collection-root" / USER / "werk", events)
        for method, path, body in (
            ("POST", "/v1/confidants", {"id": "c-1", "display_name": "Anna", "org_ids": ["o"]}),
            (
                "PUT",
                "/v1/confidants/c-1/calendar",
                {"url": caldav, "username": USER, "password": PASSWORD},
            ),
        ):
            async with session.request(method, f"{url}{path}", json=body) as r:
                assert r.status in (200, 201), await r.text()
        incremental: list[float] = []
        full: list[float] = []
        server: dict[str, list[float]] = {"": [], "?full=1": []}
        for round_ in range(1, 4):
            await fill(calendar, range(round_ * changed, (round_ + 1) * changed), round_ * 5)
            for timings, query in ((incremental, ""), (full, "?full=1")):
                started = time.perf_counter()
                async with session.post(f"{url}/v1/confidants/c-1/calendar/sync{query}") as r:
                    report = (await r.json())["report"]
                timings.append((time.perf_counter() - started) * 1000)
                server[query].append(report["server_ms"])
                if not query:
                    assert report["delta"] == 1 and report["objects"] == changed, report
    return {
        "incremental_ms": statistics.median(incremental),
        "full_ms": statistics.median(full),
        "incremental_server_ms": statistics.median(server[""]),
        "full_server_ms": statistics.median(server["?full=1"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--changed", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        infra = plan_infra(data, {})
        base_env = service_env(infra, data / "keys")  # makes the keys too
        servers = [p for p in infra.processes if p.name in ("ferretdb", "nats")]
        caldav = radicale(data / "radicale", free_port(), dict([DEMO_CALDAV_USER]))
        admin = load_issuer(data / "keys").issue(sub="bench", role="admin", audience="booking")
        env = {
            **base_env,
            "LOG_LEVEL": "WARNING",
            "BOOKING_SYNC_INTERVAL_S": "3600",
        }
        booking = service("booking", free_port(), env, data / "logs")
        with running([*servers, caldav], [booking]):
            result = asyncio.run(
                run(
                    booking.url.rstrip("/"),
                    admin,
                    caldav.url,
                    data / "radicale" / "collections",
                    args.events,
                    args.changed,
                )
            )
        print(
            json.dumps(
                {
                    "bench": "sync",
                    "events": args.events,
                    "changed": args.changed,
                    "incremental_ms": round(result["incremental_ms"], 1),
                    "full_ms": round(result["full_ms"], 1),
                    "speedup": round(result["full_ms"] / result["incremental_ms"], 1),
                    # Of those, the time Radicale took to answer:
                    "incremental_server_ms": result["incremental_server_ms"],
                    "full_server_ms": result["full_server_ms"],
                }
            )
        )


if __name__ == "__main__":
    main()
