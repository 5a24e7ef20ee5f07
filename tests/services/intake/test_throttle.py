from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from deploy.stack.infra import Infra
from services.intake.store.throttle import Throttle
from shared.clock import Clock
from shared.db import DocLocks, Mongo
from tests.conftest import Isolation


@pytest.fixture
async def throttle(infra: Infra, isolation: Isolation) -> AsyncIterator[Throttle]:
    mongo = Mongo(infra.mongodb_uri, isolation.database("throttle"))
    yield Throttle(mongo.db, DocLocks(), Clock())
    await mongo.close()


async def test_concurrent_hits_all_count(throttle: Throttle) -> None:
    counts = await asyncio.gather(*(throttle.hit("k", 60) for _ in range(20)))
    assert sorted(counts) == list(range(1, 21))


async def test_the_window_starts_at_the_first_hit_and_restarts_after_it(
    throttle: Throttle,
) -> None:
    assert [await throttle.hit("k", 60) for _ in range(3)] == [1, 2, 3]
    throttle.clock.move(timedelta(seconds=61))  # the window runs out
    assert await throttle.hit("k", 60) == 1
    assert await throttle.hit("other", 60) == 1


async def test_locks_expire(throttle: Throttle) -> None:
    await throttle.lock("a", 30)
    assert 29 <= await throttle.locked_for("a") <= 30
    throttle.clock.move(timedelta(seconds=31))
    assert await throttle.locked_for("a") == 0
    await throttle.prune()
    assert await throttle.collection.count_documents({}) == 0
