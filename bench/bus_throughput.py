"""Throughput and latency of the event bus, beside a bare nats-py baseline, in one run.

    python -m bench.bus_throughput [--events 2000] [--rounds 3]

Starts its own FerretDB, a nats-server and a 3-node NATS cluster (streams with 3 replicas
there), and measures on each, for N events:
- baseline: plain JetStream publish with Nats-Msg-Id, a pull consumer, fetch and ack;
- vertrouwd: ``shared.bus`` (schema validation on publish and receive, the idempotency
  record in the consumer's database, explicit ack).
Prints events/s for publishing, events/s end to end, and publish-to-handled latency, and
per setup a JSON line with the suite's end-to-end rate as a share of the bare one (the
median over rounds that alternate the two).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import nats
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

from bench.common import options
from deploy.stack.bus import nats_cluster, nats_server
from deploy.stack.database import ferretdb
from deploy.stack.infra import running
from deploy.stack.process import free_port
from shared import event_schemas  # noqa: F401
from shared.bus import Bus, BusConfig, Consumer
from shared.db import Mongo
from shared.event_schemas import CaseOpened
from shared.events import Envelope, new_event

DATA = {
    "case_id": "c1",
    "category": "pesten",
    "channel": "web",
    "reporter_role": "employee",
    "anonymous": True,
}


def report(name: str, n: int, publish_s: float, total_s: float, lat: list[float]) -> float:
    lat_ms = sorted(x * 1000 for x in lat)
    p50 = statistics.median(lat_ms)
    p99 = lat_ms[int(len(lat_ms) * 0.99) - 1]
    print(
        f"{name:<10} publish {n / publish_s:8.0f} ev/s   end-to-end {n / total_s:8.0f} ev/s   "
        f"latency p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
    )
    return n / total_s


async def baseline(url: str, n: int, replicas: int = 1) -> float:
    nc = await nats.connect(url.split(","))
    js = nc.jetstream()
    await js.add_stream(
        StreamConfig(
            name="BASE",
            subjects=["base.>"],
            storage=StorageType.FILE,
            duplicate_window=120,
            num_replicas=replicas,
        )
    )
    await js.add_consumer(
        "BASE",
        ConsumerConfig(durable_name="b", ack_policy=AckPolicy.EXPLICIT, filter_subject="base.>"),
    )
    sub = await js.pull_subscribe_bind(durable="b", stream="BASE")
    sent: dict[str, float] = {}
    latencies: list[float] = []
    start = time.perf_counter()
    for _ in range(n):
        event = new_event(CaseOpened, DATA, source="bench")
        sent[event.id] = time.perf_counter()
        await js.publish(
            "base.intake.case.opened", event.encode(), headers={"Nats-Msg-Id": event.id}
        )
    published = time.perf_counter() - start
    while len(latencies) < n:
        for msg in await sub.fetch(64, timeout=5):
            msg_id = (msg.headers or {})["Nats-Msg-Id"]
            latencies.append(time.perf_counter() - sent[msg_id])
            await msg.ack()
    total = time.perf_counter() - start
    rate = report("baseline", n, published, total, latencies)
    await nc.close()
    return rate


async def vertrouwd(url: str, mongo_uri: str, n: int, replicas: int = 1) -> float:
    mongo = Mongo(mongo_uri, f"bench_{uuid.uuid4().hex[:6]}")
    bus = Bus(
        BusConfig(url=url, stream="VBENCH", subject_prefix="vbench.", replicas=replicas),
        source="bench",
        db=mongo.db,
    )
    await bus.connect()
    sent: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    async def handle(event: Envelope) -> None:
        latencies.append(time.perf_counter() - sent[event.id])
        if len(latencies) == n:
            done.set()

    await bus.start_consumer(Consumer("vbench", ["intake.case.>"], handle, batch=64))
    start = time.perf_counter()
    for _ in range(n):
        event = new_event(CaseOpened, DATA, source="bench")
        sent[event.id] = time.perf_counter()
        await bus.publish(event)
    published = time.perf_counter() - start
    await asyncio.wait_for(done.wait(), 300)
    total = time.perf_counter() - start
    rate = report("vertrouwd", n, published, total, latencies)
    await bus.close()
    await mongo.close()
    return rate


def main() -> None:
    args = options(__doc__, events=2000, rounds=3)
    with tempfile.TemporaryDirectory() as tmp:
        db = ferretdb(Path(tmp) / "ferretdb", free_port())
        ns = nats_server(Path(tmp) / "nats", free_port())
        cluster = nats_cluster(Path(tmp) / "cluster")
        with running([db, ns, *cluster]):
            print(
                f"bus: {args.events} events, one publisher, one durable consumer "
                f"(FerretDB/SQLite, nats-server file store, loopback)"
            )
            for nodes, url, replicas in (
                (1, ns.url, 1),
                (3, ",".join(p.url for p in cluster), 3),
            ):
                print(f"-- {nodes} node(s), stream replicas {replicas}")
                # Rounds alternate bare and suite, so that a slow spell of the machine
                # weighs on both; the ratio is the median of the rounds' ratios.
                bare, ours = [], []
                for _ in range(args.rounds):
                    bare.append(asyncio.run(baseline(url, args.events, replicas)))
                    ours.append(asyncio.run(vertrouwd(url, db.url, args.events, replicas)))
                line = {
                    "bench": "bus_throughput",
                    "nats_nodes": nodes,
                    "events": args.events,
                    "rounds": args.rounds,
                    "bare_ev_s": round(statistics.median(bare)),
                    "suite_ev_s": round(statistics.median(ours)),
                    "ratio": round(
                        statistics.median(o / b for o, b in zip(ours, bare, strict=True)), 2
                    ),
                }
                print(json.dumps(line))


if __name__ == "__main__":
    main()
