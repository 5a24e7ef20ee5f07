"""Load at a fixed rate, open loop: each call starts at its planned time whatever the
latency of the ones before, and its latency counts from that planned time (so a queue that
builds up shows, which a closed loop would hide)."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable


async def open_loop(rate: int, total: int, call: Callable[[int], Awaitable[None]]) -> list[float]:
    """Run ``call(i)`` for i < total at ``rate`` per second; the latencies in ms."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []

    async def one(i: int, planned: float) -> None:
        await call(i)
        latencies.append((loop.time() - planned) * 1000)

    start = loop.time() + 0.1
    tasks = []
    for i in range(total):
        planned = start + i / rate
        await asyncio.sleep(max(0.0, planned - loop.time()))
        tasks.append(asyncio.create_task(one(i, planned)))
    await asyncio.gather(*tasks)
    return latencies


def percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 1),
    }
