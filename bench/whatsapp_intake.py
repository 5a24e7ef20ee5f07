"""Signed WhatsApp webhooks into intake, open loop, beside the HTTP floor of the same run.

    python -m bench.whatsapp_intake [--messages 1000] [--rate 50]

Starts FerretDB and nats-server, intake as its own process (as `make run` does) with the
WhatsApp channel pointed at the local Graph API stand-in (which receives the
acknowledgements), and posts webhooks in the documented shape, signed with the app secret:
200 numbers, each opening a case with its first message and continuing it after. Prints:

- ``whatsapp_intake``: ``messages`` webhooks at ``rate``/s: p50/p99 per webhook (target p99
  < 100 ms at 50/s), ``seconds`` until all of them are stored, and the highest rate whose
  p99 stays under 100 ms (each step after the last one's work is done);
- ``healthz_http``: the floor, GET /healthz, stepped up the same way in the same run.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from pymongo import AsyncMongoClient

from bench.common import bench_infra, options
from bench.openloop import drive, highest_rate
from deploy import whatsapp_standin as wa
from deploy.stack.infra import running, service_env
from deploy.stack.process import Process, free_port, tcp_open
from deploy.stack.services import service
from shared.devtokens import load_issuer

TARGET_MS = 100.0
NUMBER_ID = "106540352242922"
SECRET = "bench-app-secret"  # noqa: S105 (the bench's own stand-in)
SENDERS = 200
STANDIN = [sys.executable, "-m", "deploy.whatsapp_standin"]


def webhook(i: int, run: str) -> tuple[bytes, dict[str, str]]:
    sender = f"316{run}{i % SENDERS:05d}"[:15]
    text = f"Bericht {i}: een collega maakt steeds opmerkingen over mijn afkomst."
    return wa.signed(SECRET, wa.incoming(NUMBER_ID, sender, f"Melder {i % SENDERS}", text=text))


async def post_at(
    session: aiohttp.ClientSession, url: str, rate: int, total: int, run: str
) -> dict[str, Any]:
    hooks = [webhook(i, run) for i in range(total)]  # signed before the clock starts

    def send(s: aiohttp.ClientSession, i: int) -> Any:
        body, headers = hooks[i]
        return s.post(url, data=body, headers=headers)

    return await drive(session, rate, total / rate, send)


async def settled(mongodb_uri: str) -> None:
    """Wait (up to two minutes) until intake has stored every kept webhook and sent every
    acknowledgement, so that one run's backlog does not weigh on the next."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    db = client["vertrouwd_intake"]
    try:
        for _ in range(600):
            left = await db["webhook_inbox"].count_documents({})
            left += await db["relay_queue"].count_documents({})
            if not left:
                return
            await asyncio.sleep(0.2)
    finally:
        await client.close()


async def bench(base: str, admin: str, messages: int, rate: int, mongodb_uri: str) -> None:
    async with aiohttp.ClientSession() as session:
        auth = {"Authorization": f"Bearer {admin}"}
        org = {"name": "Bench BV", "slug": "bench-wa", "confidant_ids": ["c-1", "c-2"]}
        async with session.post(f"{base}/v1/orgs", json=org, headers=auth) as r:
            org_id = (await r.json())["id"]
        channel = {"whatsapp_phone_number_id": NUMBER_ID}
        async with session.put(f"{base}/v1/orgs/{org_id}/channels", json=channel, headers=auth):
            pass
        hook = f"{base}/v1/channels/whatsapp/webhook"
        started = time.perf_counter()
        fixed = await post_at(session, hook, rate, messages, "0")
        await settled(mongodb_uri)
        seconds = time.perf_counter() - started  # until every message is a case or a message
        runs = iter(range(1, 100))

        async def step(r: int) -> dict[str, Any]:
            result = await post_at(session, hook, r, max(r * 4, 200), str(next(runs)))
            await settled(mongodb_uri)
            return result

        ceiling, steps = await highest_rate(step, TARGET_MS)
        print(
            json.dumps(
                {
                    "bench": "whatsapp_intake",
                    "messages": messages,
                    "rate": rate,
                    "seconds": round(seconds, 1),
                    **fixed,
                    "target_p99_ms": TARGET_MS,
                    "highest_rate_p99_under_target": ceiling,
                    "steps": steps,
                }
            ),
            flush=True,
        )

        async def floor(r: int) -> dict[str, Any]:
            seconds = max(r * 4, 200) / r
            return await drive(session, r, seconds, lambda s, i: s.get(f"{base}/healthz"))

        ceiling, steps = await highest_rate(floor, TARGET_MS)
        at_rate = await drive(session, rate, messages / rate, lambda s, i: s.get(f"{base}/healthz"))
        print(
            json.dumps(
                {
                    "bench": "healthz_http",
                    "rate": rate,
                    **at_rate,
                    "highest_rate_p99_under_target": ceiling,
                    "steps": steps,
                }
            ),
            flush=True,
        )


async def run(data: Path, messages: int, rate: int) -> None:
    infra = bench_infra(data)
    env = service_env(infra, data / "keys")
    for name, value in (
        ("access_token", "bench-token"),
        ("app_secret", SECRET),
        ("verify_token", "bench-verify"),
    ):
        (data / name).write_text(value)
        env[f"INTAKE_WHATSAPP_{name.upper()}_FILE"] = str(data / name)
    # The stand-in in a process of its own: in this one it would share the load generator's
    # event loop, and its work would show as the service's latency.
    graph_port = free_port()
    graph = Process(
        "graph-standin",
        [*STANDIN, "--port", str(graph_port), "--token", "bench-token"],
        ready=lambda: tcp_open("127.0.0.1", graph_port),
        url=f"http://127.0.0.1:{graph_port}/",
        log_path=data / "graph.log",
    )
    env.update(
        INTAKE_WHATSAPP_API_URL=f"http://127.0.0.1:{graph_port}/v21.0",
        INTAKE_IMAP_HOST="",
        LOG_LEVEL="WARNING",
    )
    servers = [p for p in infra.processes if p.name in ("ferretdb", "nats")]
    port = free_port()
    intake = service("intake", port, env, data / "logs")
    admin = load_issuer(data / "keys").issue(sub="bench", role="admin", audience="intake")
    with running([*servers, graph], [intake]):
        await bench(f"http://127.0.0.1:{port}", admin, messages, rate, infra.mongodb_uri)


def main() -> None:
    args = options(__doc__, messages=1000, rate=50)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp), args.messages, args.rate))


if __name__ == "__main__":
    main()
