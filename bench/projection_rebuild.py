"""Rebuilding reporting's projection from the stream.

    python -m bench.projection_rebuild [--events 1000000]

Starts FerretDB and nats-server, fills a stream with the events of intake and booking for
many cases (opened, assigned, status, an appointment booked, a message, hours, closed: eight
events a case), and then times, in one run:
- ``stream_read``: reading every event back and decoding it, nothing else (the floor);
- ``projection_rebuild``: ``services.reporting.rebuild``: reading, folding each event into
  its case, and writing the cases and the monthly tallies.
Prints one JSON line each.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from nats.js.api import StorageType, StreamConfig

from bench.common import options
from deploy.stack.infra import plan_infra, running, service_env
from services.reporting.rebuild import rebuild, replay
from services.reporting.settings import ReportingSettings
from shared import event_schemas  # noqa: F401
from shared.events import new_event, schema_for

STREAM = "REBUILD"
ORG = "bench-org"


def events_of(i: int, start: datetime) -> list[bytes]:
    case = f"case-{i}"
    at = start + timedelta(minutes=i)
    appointment = f"appt-{i}"
    specs: list[tuple[str, dict[str, Any]]] = [
        (
            "intake.case.opened",
            {
                "case_id": case,
                "category": "pesten",
                "channel": "web",
                "reporter_role": "employee",
                "anonymous": i % 3 == 0,
            },
        ),
        (
            "intake.case.assigned",
            {"case_id": case, "confidant_id": "c-1", "reason": "least_loaded"},
        ),
        (
            "intake.case.status_changed",
            {"case_id": case, "status": "in_contact", "previous": "new"},
        ),
        (
            "booking.appointment.booked",
            {
                "appointment_id": appointment,
                "case_id": case,
                "confidant_id": "c-1",
                "starts_at": at + timedelta(days=3),
                "ends_at": at + timedelta(days=3, hours=1),
                "mode": "online",
            },
        ),
        (
            "intake.case.message_posted",
            {"case_id": case, "message_id": f"m-{i}", "author": "confidant", "confidant_id": "c-1"},
        ),
        (
            "intake.case.status_changed",
            {"case_id": case, "status": "in_conversation", "previous": "in_contact"},
        ),
        ("intake.case.hours_logged", {"case_id": case, "hours_spent": 1.5}),
        ("intake.case.closed", {"case_id": case, "outcome": "advice", "hours_spent": 2.0}),
    ]
    return [
        new_event(schema_for(t, 1), d, source="bench", org_id=ORG, occurred_at=at).encode()
        for t, d in specs
    ]


async def fill(url: str, total: int) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(
        StreamConfig(name=STREAM, subjects=["intake.>", "booking.>"], storage=StorageType.FILE)
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sent = 0
    i = 0
    while sent < total:
        for data in events_of(i, start):
            subject = json.loads(data)["type"]
            await nc.publish(subject, data)  # core publish: the stream stores it, no ack wait
            sent += 1
            if sent % 5000 == 0:
                await nc.flush()
            if sent >= total:
                break
        i += 1
    await nc.flush()
    for _ in range(3000):  # the stream takes the core publishes a little after they are sent
        if (await js.stream_info(STREAM)).state.messages >= total:
            break
        await asyncio.sleep(0.2)
    await nc.close()


async def read_floor(url: str) -> tuple[int, float]:
    """The same reading as the rebuild, with nothing done but decoding each event."""
    started = time.perf_counter()
    seen = 0
    async for batch in replay(url, STREAM):
        for data in batch:
            json.loads(data)
            seen += 1
    return seen, time.perf_counter() - started


def main() -> None:
    args = options(__doc__, events=1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        infra = plan_infra(data, {})
        env = service_env(infra, data / "keys")
        servers = [p for p in infra.processes if p.name in ("ferretdb", "nats")]
        with running(servers):
            asyncio.run(fill(infra.nats_url, args.events))
            seen, elapsed = asyncio.run(read_floor(infra.nats_url))
            print(
                json.dumps(
                    {"bench": "stream_read", "events": seen, "events_per_s": round(seen / elapsed)}
                ),
                flush=True,
            )
            settings = ReportingSettings.model_validate(
                {
                    "jwks_file": env["JWKS_FILE"],
                    "mongodb_uri": infra.mongodb_uri,
                    "nats_url": infra.nats_url,
                    "nats_stream": STREAM,
                }
            )
            result = asyncio.run(rebuild(settings))
            print(
                json.dumps(
                    {
                        "bench": "projection_rebuild",
                        "events": result["events"],
                        "cases": result["cases"],
                        "seconds": result["seconds"],
                        "events_per_s": round(result["events"] / result["seconds"]),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
