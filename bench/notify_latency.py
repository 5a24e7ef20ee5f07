"""Notify: from a booking event on the bus to the SMTP server accepting the reporter's mail.

    python -m bench.notify_latency [--rate 100] [--seconds 10]

Starts FerretDB and nats-server, and intake, booking and notify as processes. An aiosmtpd
server in this process receives the mail and notes when each arrived. The bench writes the
appointments and cases that the events name straight into the services' databases (as
booking and intake would have), then publishes ``booking.appointment.booked`` at a fixed
rate, open loop. Each event makes two mails (reporter, with the invitation, and confidant)
and plans two reminders; the latency is that of the reporter's mail.

Prints one JSON line each for:
- ``smtp_floor``: the same number of mails sent straight to the same SMTP server at the same
  rate with aiosmtplib, one connection each, as notify does: the floor;
- ``notify_latency``: publish to accepted, with duplicates (a Message-ID seen twice) and
  lost (a reporter mail that never came, 30 s after the last event).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session
from pymongo import MongoClient

from bench.common import bench_infra, options
from bench.openloop import open_loop, percentiles
from deploy.stack.infra import running, service_env
from deploy.stack.process import free_port
from deploy.stack.services import service
from shared import event_schemas  # noqa: F401
from shared.bus import Bus, BusConfig
from shared.crypto import DataKeys, FieldCipher
from shared.event_schemas import AppointmentBooked
from shared.events import new_event

ORG = "bench-org"
MESSAGE_ID = re.compile(rb"^Message-ID: *(<[^>]+>)", re.MULTILINE | re.IGNORECASE)
CONFIDANT = "c-1"


class Arrivals:
    """The SMTP server: when each message arrived, by recipient, and every Message-ID."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.ids: Counter[str] = Counter()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        now = time.perf_counter()
        # A look at the raw header, not a full parse: the SMTP server must not take the CPU
        # the services need (this machine has two cores).
        found = MESSAGE_ID.search(envelope.original_content or b"")
        self.ids[found.group(1).decode() if found else f"none-{len(self.ids)}"] += 1
        for rcpt in envelope.rcpt_tos:
            self.at.setdefault(rcpt, now)
        return "250 OK"


def prepare(mongo_uri: str, prefix: str, keys: Path, count: int) -> list[dict[str, Any]]:
    """Cases (with a sealed address) and appointments, as intake and booking keep them."""
    cipher = FieldCipher(DataKeys.load(keys))
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    cases, appointments = [], []
    for i in range(count):
        case_id = f"case-{i}"
        cases.append(
            {
                "_id": case_id,
                "org_id": ORG,
                "locale": "nl" if i % 2 else "en",
                "contact": {
                    "email": cipher.seal(
                        f"r{i}@bench.example", doc_id=case_id, field="contact.email"
                    ),
                    "name": cipher.seal(f"Melder {i}", doc_id=case_id, field="contact.name"),
                },
            }
        )
        appointments.append(
            {
                "_id": f"appt-{i}",
                "org_id": ORG,
                "case_id": case_id,
                "confidant_id": CONFIDANT,
                "type_id": "gesprek",
                "start": start + timedelta(minutes=i),
                "end": start + timedelta(minutes=i + 60),
                "mode": "online",
                "status": "booked",
                "sequence": 0,
                "video_url": f"https://meet.example/vp-{i}",
                "address": None,
            }
        )
    with MongoClient[dict[str, Any]](mongo_uri) as client:
        client[f"{prefix}intake"]["cases"].insert_many(cases)
        client[f"{prefix}intake"]["staff"].insert_one(
            {
                "_id": "staff-c1",
                "username": "c1",
                "role": "confidant",
                "confidant_id": CONFIDANT,
                "display_name": "Anna",
                "active": True,
                "email": cipher.seal("anna@bench.example", doc_id="staff-c1", field="email"),
            }
        )
        client[f"{prefix}booking"]["appointments"].insert_many(appointments)
    return appointments


async def floor(port: int, rate: int, total: int) -> dict[str, Any]:
    async def call(i: int) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "bench@x.example", f"f{i}@x.example", "floor"
        msg.set_content("floor")
        await aiosmtplib.send(msg, hostname="127.0.0.1", port=port)

    return {"rate": rate, "mails": total, **percentiles(await open_loop(rate, total, call))}


async def measure(
    nats_url: str, stream: str, arrivals: Arrivals, appointments: list[dict[str, Any]], rate: int
) -> dict[str, Any]:
    bus = Bus(BusConfig(nats_url, stream=stream), source="bench")
    await bus.connect()
    published: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    for i, a in enumerate(appointments):
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        event = new_event(
            AppointmentBooked,
            {
                "appointment_id": a["_id"],
                "case_id": a["case_id"],
                "confidant_id": CONFIDANT,
                "starts_at": a["start"],
                "ends_at": a["end"],
                "mode": "online",
            },
            source="booking",
            org_id=ORG,
        )
        published[f"r{i}@bench.example"] = time.perf_counter()
        await bus.publish(event)
    for _ in range(300):  # at most 30 s for the last mails
        if all(r in arrivals.at for r in published):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # anything sent twice would come now
    await bus.close()
    latencies = [(arrivals.at[r] - t) * 1000 for r, t in published.items() if r in arrivals.at]
    return {
        "rate": rate,
        "events": len(published),
        **percentiles(latencies),
        "duplicates": sum(n - 1 for n in arrivals.ids.values() if n > 1),
        "lost": sum(1 for r in published if r not in arrivals.at),
        "mails": sum(arrivals.ids.values()),
    }


async def run(args: argparse.Namespace, infra: Any, data: Path, env: dict[str, str]) -> None:
    arrivals = Arrivals()
    port = free_port()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(arrivals, hostname="bench"), "127.0.0.1", port)
    total = args.rate * args.seconds
    print(json.dumps({"bench": "smtp_floor", **await floor(port, args.rate, total)}), flush=True)
    arrivals.ids.clear()
    prefix = f"bench{int(time.time())}_"
    appointments = prepare(infra.mongodb_uri, prefix, Path(env["INTAKE_DATA_KEYS_FILE"]), total)
    stream = prefix.rstrip("_").upper()
    env = {
        **env,
        "NATS_STREAM": stream,
        "LOG_LEVEL": "WARNING",
        "NOTIFY_SMTP_PORT": str(port),
        **{
            f"{s.upper()}_MONGODB_DATABASE": f"{prefix}{s}" for s in ("intake", "booking", "notify")
        },
        "BOOKING_SYNC_INTERVAL_S": "3600",
    }
    services = [
        service(n, free_port(), env, data / "logs") for n in ("intake", "booking", "notify")
    ]
    with running(services):
        result = await measure(infra.nats_url, stream, arrivals, appointments, args.rate)
    server.close()
    print(json.dumps({"bench": "notify_latency", **result}), flush=True)


def main() -> None:
    args = options(__doc__, rate=100, seconds=10)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        infra = bench_infra(data)
        env = service_env(infra, data / "keys")
        servers = [p for p in infra.processes if p.name in ("ferretdb", "nats")]
        with running(servers):
            asyncio.run(run(args, infra, data, env))


if __name__ == "__main__":
    main()
