"""Mail into an organisation's mailbox until every mail is a case, beside Dovecot's own floor.

    python -m bench.mail_intake [--messages 1000] [--rate 50]

Starts FerretDB, nats-server, Dovecot and the SMTP sink, and intake as its own process
(as `make run` does) watching the organisation's mailbox with IDLE. Mails are delivered
over LMTP, as a mail server hands them to Dovecot. The latency of a mail is from the moment
its delivery was accepted to the moment its case was stored (read back from the database,
the text opened with the stack's own keys to tell which mail it was). Prints:

- ``mail_floor``: LMTP deliveries per second into Dovecot, and a bare IMAP reader (fetch
  and move, storing nothing) per second: what this machine's mail server allows;
- ``mail_intake`` (burst): ``messages`` delivered at once: ``seconds`` until all are cases,
  ``per_s`` (target >= 50) and p99 from delivery to case;
- ``mail_intake`` (``rate``/s): the same at a steady rate (target p99 < 2 s), and the highest
  rate whose p99 stays under 2 s. Each phase starts once the last one's acknowledgements
  are sent.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import aiohttp
import aioimaplib
import nats
from pymongo import AsyncMongoClient

from bench.common import bench_infra, options
from bench.openloop import highest_rate, percentiles
from deploy.stack.infra import running, service_env
from deploy.stack.mail import mailbox_user
from deploy.stack.process import free_port
from deploy.stack.services import service
from shared.crypto import DataKeys, FieldCipher
from shared.devtokens import load_issuer

TARGET_MS = 2000.0
PASSWORD = "bench-mailbox"  # noqa: S105 (the bench's own Dovecot)


def mail(to: str, tag: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Melder <{tag}@example.nl>"
    msg["To"] = to
    msg["Subject"] = "Melding"
    msg["Message-ID"] = make_msgid(domain="bench.example")
    msg.set_content(f"[{tag}] Een collega maakt steeds opmerkingen over mijn afkomst.\n" * 5)
    return msg.as_bytes()


class Deliverer:
    """One LMTP connection, used from a thread (smtplib blocks)."""

    def __init__(self, port: int) -> None:
        self.lmtp = smtplib.LMTP("127.0.0.1", port)

    def send(self, to: str, raw: bytes) -> float:
        self.lmtp.sendmail("bench@example.nl", [to], raw)
        return time.time()

    def close(self) -> None:
        self.lmtp.quit()


async def floor(infra: Any, to: str, total: int) -> dict[str, Any]:
    deliverer = Deliverer(infra.lmtp_port)
    raws = [mail(to, f"floor-{i}") for i in range(total)]
    started = time.perf_counter()
    for raw in raws:
        await asyncio.to_thread(deliverer.send, to, raw)
    lmtp_s = time.perf_counter() - started
    deliverer.close()
    imap = aioimaplib.IMAP4("127.0.0.1", infra.imap_port)
    await imap.wait_hello_from_server()
    await imap.login(to, PASSWORD)
    await imap.create("Done")
    await imap.select("INBOX")
    started = time.perf_counter()
    uids = (await imap.uid_search("ALL")).lines[0].split()
    for i in range(0, len(uids), 25):
        batch = b",".join(uids[i : i + 25]).decode()
        await imap.uid("fetch", batch, "(BODY.PEEK[])")
        await imap.uid("move", batch, "Done")
    imap_s = time.perf_counter() - started
    await imap.logout()
    return {
        "bench": "mail_floor",
        "messages": total,
        "lmtp_per_s": round(total / lmtp_s, 1),
        "imap_drain_per_s": round(len(uids) / imap_s, 1),
    }


class Run:
    def __init__(self, infra: Any, db: Any, cipher: FieldCipher, to: str) -> None:
        self.infra, self.db, self.cipher, self.to = infra, db, cipher, to
        self.seen = 0
        self.opened = 0  # cases announced on the bus: counted without asking the database
        self.changed = asyncio.Event()

    async def listen(self) -> Any:
        nc = await nats.connect(self.infra.nats_url)

        async def count(_: Any) -> None:
            self.opened += 1
            self.changed.set()

        await nc.subscribe("intake.case.opened", cb=count)
        return nc

    async def deliver(self, tags: list[str], rate: float | None) -> dict[str, float]:
        """Deliver one mail per tag (at ``rate``/s, or at once); the delivery times."""
        deliverer = Deliverer(self.infra.lmtp_port)
        raws = [mail(self.to, t) for t in tags]
        loop = asyncio.get_running_loop()
        start = loop.time()
        delivered: dict[str, float] = {}
        for i, (tag, raw) in enumerate(zip(tags, raws, strict=True)):
            if rate:
                await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
            delivered[tag] = await asyncio.to_thread(deliverer.send, self.to, raw)
        deliverer.close()
        return delivered

    async def settled(self) -> None:
        """Wait until every acknowledgement is sent, so that one phase's tail does not weigh
        on the next (up to two minutes)."""
        for _ in range(600):
            if not await self.db["relay_queue"].count_documents({}):
                return
            await asyncio.sleep(0.2)

    async def cases(self, delivered: dict[str, float]) -> dict[str, Any]:
        """Wait until every delivered mail is a case; latencies from delivery to case."""
        want = self.seen + len(delivered)
        while self.opened < want:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 120)
        done_at = time.time()
        self.seen = want
        latencies = []
        async for case in self.db["cases"].find({}, {"text": 1, "created_at": 1}):
            text = self.cipher.open(case["text"], doc_id=case["_id"], field="text")
            tag = text.split("[", 1)[1].split("]", 1)[0]
            if tag in delivered:
                created = case["created_at"].timestamp()
                latencies.append((created - delivered[tag]) * 1000)
        return {
            "cases": len(latencies),
            "seconds": round(done_at - min(delivered.values()), 1),
            **percentiles(latencies),
        }


async def bench(data: Path, infra: Any, env: dict[str, str], messages: int, rate: int) -> None:
    org_box, floor_box = "meldpunt@bench.example", "floor@bench.example"
    for box in (org_box, floor_box):
        mailbox_user(infra.imap_data, box, PASSWORD)
    print(json.dumps(await floor(infra, floor_box, messages)), flush=True)

    port = free_port()
    intake = service("intake", port, env, data / "logs")
    base = f"http://127.0.0.1:{port}"
    admin = load_issuer(data / "keys").issue(sub="bench", role="admin", audience="intake")
    cipher = FieldCipher(DataKeys.load(Path(env["INTAKE_DATA_KEYS_FILE"])))
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
    with running([intake]):
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as http:
            org = {"name": "Bench BV", "slug": "bench-mail", "confidant_ids": ["c-1", "c-2"]}
            async with http.post(f"{base}/v1/orgs", json=org) as r:
                org_id = (await r.json())["id"]
            mailbox = {"address": org_box, "username": org_box, "password": PASSWORD}
            async with http.put(f"{base}/v1/orgs/{org_id}/channels", json={"mailbox": mailbox}):
                pass
            for _ in range(300):
                async with http.get(f"{base}/v1/orgs/{org_id}/channels") as r:
                    if (await r.json())["mailbox"]["connected"]:
                        break
                await asyncio.sleep(0.1)
        run = Run(infra, client["vertrouwd_intake"], cipher, org_box)
        nc = await run.listen()
        tags = [f"burst-{i}" for i in range(messages)]
        started = time.perf_counter()
        result = await run.cases(await run.deliver(tags, None))
        seconds = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "bench": "mail_intake",
                    "mode": "burst",
                    "messages": messages,
                    **result,
                    "seconds": round(seconds, 1),
                    "per_s": round(messages / seconds, 1),
                }
            ),
            flush=True,
        )
        await run.settled()
        tags = [f"steady-{i}" for i in range(messages)]
        steady = await run.cases(await run.deliver(tags, rate))
        await run.settled()
        steps_run = iter(range(1000))

        async def step(r: int) -> dict[str, Any]:
            n = next(steps_run)
            step_tags = [f"step{n}-{i}" for i in range(r * 5)]
            result = await run.cases(await run.deliver(step_tags, r))
            await run.settled()
            return result

        ceiling, steps = await highest_rate(step, TARGET_MS, rates=(25, 50, 100, 200, 400))
        print(
            json.dumps(
                {
                    "bench": "mail_intake",
                    "mode": "steady",
                    "rate": rate,
                    "messages": messages,
                    **steady,
                    "target_p99_ms": TARGET_MS,
                    "highest_rate_p99_under_target": ceiling,
                    "steps": steps,
                }
            ),
            flush=True,
        )
        await nc.close()
    await client.close()


def main() -> None:
    args = options(__doc__, messages=1000, rate=50)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        infra = bench_infra(data)
        env: dict[str, str] = {**service_env(infra, data / "keys"), "LOG_LEVEL": "WARNING"}
        env["INTAKE_MAILBOX_SCAN_S"] = "0.5"
        servers = [p for p in infra.processes if p.name in ("ferretdb", "nats", "imap", "smtp")]
        with running(servers):
            asyncio.run(bench(data, infra, env, args.messages, args.rate))


if __name__ == "__main__":
    main()
