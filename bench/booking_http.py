"""Booking over HTTP on the embedded stack: slots under load, and contention for slots.

    python -m bench.booking_http [--rate 200] [--seconds 10] [--attempts 1000]

Starts FerretDB and nats-server, and booking as two processes (as two instances would run).
Prints one JSON line each for:
- ``healthz_http``: GET /healthz at the same rate, the floor;
- ``slots_http``: GET /v1/slots at a fixed rate, open loop (latency from the planned time);
- ``contention``: many reporters at once for 10 slots over both instances; counts what was
  booked and checks the database for any two appointments that overlap.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from pymongo import MongoClient

from bench.common import bench_infra, options
from bench.openloop import drive
from deploy.stack.infra import running, service_env
from deploy.stack.process import free_port
from deploy.stack.services import service
from shared.devtokens import load_issuer

ORG = "bench-org"


async def setup(url: str, admin: str) -> None:
    headers = {"Authorization": f"Bearer {admin}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for method, path, body in (
            ("POST", "/v1/confidants", {"id": "c-1", "display_name": "Anna", "org_ids": [ORG]}),
            (
                "PUT",
                "/v1/confidants/c-1/hours",
                {"weekly": {str(d): [{"start": "08:00", "end": "18:00"}] for d in range(5)}},
            ),
            (
                "POST",
                "/v1/appointment-types",
                {
                    "id": "gesprek",
                    "name": {"nl": "Gesprek", "en": "Conversation"},
                    "duration_min": 60,
                    "modes": ["online"],
                    "buffer_after_min": 15,
                    "min_notice_min": 0,
                    "interval_min": 30,
                },
            ),
        ):
            async with session.request(method, f"{url}{path}", json=body) as r:
                assert r.status in (200, 201), await r.text()


async def slots_load(url: str, token: str, rate: int, seconds: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        return await drive(
            session,
            rate,
            seconds,
            lambda s, i: s.get(f"{url}/v1/slots?confidant_id=c-1&type_id=gesprek"),
        )


async def healthz_load(url: str, rate: int, seconds: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        return await drive(session, rate, seconds, lambda s, i: s.get(f"{url}/healthz"))


async def contention(urls: list[str], issue: Any, attempts: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{urls[0]}/v1/slots?confidant_id=c-1&type_id=gesprek",
            headers={"Authorization": f"Bearer {issue('probe')}"},
        ) as r:
            offered = [s["start"] for s in (await r.json())["slots"]]
        # Ten slots that can all be booked: 60 minutes plus the 15-minute buffer apart.
        slots: list[str] = []
        for start in offered:
            if not slots or datetime.fromisoformat(start) >= datetime.fromisoformat(
                slots[-1]
            ) + timedelta(minutes=75):
                slots.append(start)
            if len(slots) == 10:
                break
        started = time.perf_counter()

        async def attempt(i: int) -> int:
            body = {
                "confidant_id": "c-1",
                "type_id": "gesprek",
                "start": slots[i % 10],
                "mode": "online",
            }
            async with session.post(
                f"{urls[i % 2]}/v1/appointments",
                json=body,
                headers={"Authorization": f"Bearer {issue(f'c{i}')}"},
            ) as r:
                return r.status

        statuses = await asyncio.gather(*(attempt(i) for i in range(attempts)))
        return {
            "attempts": attempts,
            "slots": len(slots),
            "booked": statuses.count(201),
            "refused": statuses.count(409),
            "other": len(statuses) - statuses.count(201) - statuses.count(409),
            "seconds": round(time.perf_counter() - started, 2),
        }


def overlaps(mongo_uri: str, database: str) -> int:
    with MongoClient[dict[str, Any]](mongo_uri) as client:
        booked = sorted(
            (a["occupied"][0], a["occupied"][1])
            for a in client[database]["appointments"].find({"status": "booked"})
        )
    return sum(1 for (_, end), (start, _) in itertools.pairwise(booked) if start < end)


def main() -> None:
    args = options(__doc__, rate=200, seconds=10, attempts=1000)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        infra = bench_infra(data)
        base_env = service_env(infra, data / "keys")  # makes the keys too
        servers = [p for p in infra.processes if p.name in ("ferretdb", "nats")]
        issuer = load_issuer(data / "keys")
        admin = issuer.issue(sub="bench", role="admin", audience="booking")

        def reporter(case: str) -> str:
            return issuer.issue(
                sub=f"case-{case}",
                role="employee",
                audience="booking",
                org_id=ORG,
                case_id=case,
                ttl_s=3600,
            )

        database = f"bench_booking_{int(time.time())}"
        env = {
            **base_env,
            "BOOKING_MONGODB_DATABASE": database,
            "LOG_LEVEL": "WARNING",
        }
        instances = [service("booking", free_port(), env, data / f"logs{i}") for i in (1, 2)]
        urls = [p.url.rstrip("/") for p in instances]
        with running(servers, instances):
            asyncio.run(setup(urls[0], admin))
            floor = asyncio.run(healthz_load(urls[0], args.rate, args.seconds))
            print(json.dumps({"bench": "healthz_http", **floor}), flush=True)
            result = asyncio.run(slots_load(urls[0], reporter("probe"), args.rate, args.seconds))
            print(json.dumps({"bench": "slots_http", **result}), flush=True)
            fight = asyncio.run(contention(urls, reporter, args.attempts))
            fight["overlaps"] = overlaps(infra.mongodb_uri, database)
            fight["instances"] = 2
            print(json.dumps({"bench": "contention", **fight}), flush=True)


if __name__ == "__main__":
    main()
