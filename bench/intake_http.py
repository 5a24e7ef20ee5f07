"""POST /v1/cases over HTTP on the embedded stack, at a fixed rate, beside a baseline.

    python -m bench.intake_http [--rate 50] [--seconds 10]

Starts FerretDB and nats-server, then intake as its own process (as `make run` does), and
sends requests open-loop: each at its planned time, latency measured from that time, so a
slow server cannot hide its queue (no coordinated omission). Prints one JSON line per run:

- ``healthz_http``: GET /healthz at the same rate (the HTTP floor of this machine);
- ``intake_http``: anonymous and named reports, for each argon2id cost of the case-code hash.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import bench_infra, options
from bench.openloop import drive
from deploy.stack.infra import running, service_env
from deploy.stack.process import free_port
from deploy.stack.services import service
from shared.devtokens import load_issuer

COSTS = [
    ("t=1,m=8MiB (default)", 1, 8192),
    ("t=2,m=19MiB", 2, 19456),
    ("t=3,m=64MiB", 3, 65536),
]


def body(i: int) -> dict[str, Any]:
    named = i % 2 == 0
    return {
        "organisation": "bench-org",
        "category": "pesten",
        "anonymous": not named,
        "contact": {"name": f"Medewerker {i}", "email": f"m{i}@example.nl"} if named else None,
        "text": "Een collega maakt steeds opmerkingen over mijn afkomst." * 4,
        "meeting_mode": "online",
    }


async def run_intake(url: str, admin: str, rate: int, seconds: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        org = {"name": "Bench BV", "slug": "bench-org", "confidant_ids": ["c-1", "c-2"]}
        async with session.post(
            f"{url}/v1/orgs", json=org, headers={"Authorization": f"Bearer {admin}"}
        ) as r:
            assert r.status in (201, 409), await r.text()
        return await drive(
            session, rate, seconds, lambda s, i: s.post(f"{url}/v1/cases", json=body(i))
        )


async def run_healthz(url: str, rate: int, seconds: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        return await drive(session, rate, seconds, lambda s, i: s.get(f"{url}/healthz"))


def main() -> None:
    args = options(__doc__, rate=50, seconds=10)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        infra = bench_infra(data)
        base_env = service_env(infra, data / "keys")  # makes the keys too
        servers = [p for p in infra.processes if p.name in ("ferretdb", "nats")]
        admin = load_issuer(data / "keys").issue(sub="bench", role="admin", audience="intake")
        with running(servers):
            for label, time_cost, memory in COSTS:
                port = free_port()
                env = {
                    **base_env,
                    "INTAKE_MONGODB_DATABASE": f"bench_{time_cost}",
                    "INTAKE_ARGON2_TIME_COST": str(time_cost),
                    "INTAKE_ARGON2_MEMORY_KIB": str(memory),
                    "INTAKE_CASE_RATE_LIMIT": "1000000",
                    "LOG_LEVEL": "WARNING",
                }
                intake = service("intake", port, env, data / "logs")
                url = f"http://127.0.0.1:{port}"
                with running([intake]):
                    if time_cost == 1:
                        result = asyncio.run(run_healthz(url, args.rate, args.seconds))
                        print(json.dumps({"bench": "healthz_http", **result}), flush=True)
                    started = time.perf_counter()
                    result = asyncio.run(run_intake(url, admin, args.rate, args.seconds))
                    result["argon2"] = label
                    result["wall_s"] = round(time.perf_counter() - started, 1)
                    print(json.dumps({"bench": "intake_http", **result}), flush=True)


if __name__ == "__main__":
    main()
