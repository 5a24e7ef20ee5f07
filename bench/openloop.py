"""Load at a fixed rate, open loop: each call starts at its planned time whatever the
latency of the ones before, and its latency counts from that planned time (so a queue that
builds up shows, which a closed loop would hide)."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp


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


async def drive(
    session: aiohttp.ClientSession,
    rate: int,
    seconds: float,
    send: Callable[[aiohttp.ClientSession, int], Any],
) -> dict[str, Any]:
    """HTTP requests ``send(session, i)`` at ``rate``/s for ``seconds``, open loop: the
    latencies' p50 and p99, and how many failed (a 4xx or 5xx, or no answer)."""
    total = max(1, round(rate * seconds))
    errors = 0

    async def call(i: int) -> None:
        nonlocal errors
        try:
            async with send(session, i) as response:
                await response.read()
                if response.status >= 400:
                    errors += 1
        except aiohttp.ClientError:
            errors += 1

    latencies = await open_loop(rate, total, call)
    return {"rate": rate, "requests": total, **percentiles(latencies), "errors": errors}


def percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 1),
    }


async def highest_rate(
    measure: Callable[[int], Awaitable[dict[str, float]]],
    target_ms: float,
    rates: tuple[int, ...] = (25, 50, 100, 200, 400, 800, 1600),
) -> tuple[int | None, list[dict[str, float]]]:
    """Step up the rate until p99 reaches ``target_ms`` (or errors appear); return the
    highest rate that held, and every step's figures. Machines differ up to 3x from day to
    day, so a figure at a fixed rate is printed beside this ceiling and the floor's."""
    best: int | None = None
    steps: list[dict[str, float]] = []
    for rate in rates:
        result = await measure(rate)
        steps.append({"rate": rate, **result})
        if result["p99_ms"] >= target_ms or result.get("errors", 0):
            break
        best = rate
    return best, steps
