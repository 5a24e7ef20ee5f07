"""How busy time is spread over buckets (pure), and a calendar stored before the buckets."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.booking.store.busystore import (
    BUCKETS,
    bucket_of,
    busy_key,
    save,
    spread,
    touched,
)
from shared.db import DocLocks
from tests.services.booking.conftest import (
    CalendarServer,
    Desk,
    next_weekday_at,
    resync,
    state,
)
from tests.services.booking.test_calendar import (
    connect,
    put_hour,
    slot_starts,
)

names = st.lists(st.text("abcdef-0123456789.ics", min_size=1, max_size=30), max_size=200)


@given(names)
def test_every_object_lands_in_exactly_its_own_bucket(found: list[str]) -> None:
    buckets = spread({"name": n, "intervals": []} for n in found)
    assert sorted(buckets) == list(range(BUCKETS))  # empty buckets too: a full sync clears
    assert sorted(n for b in buckets.values() for n in b) == sorted(set(found))
    for b, bucket in buckets.items():
        assert all(bucket_of(n) == b for n in bucket)
    assert touched(found) == {b for b, bucket in buckets.items() if bucket}


def test_objects_spread_over_the_buckets() -> None:
    # A few files must not all share a bucket, or a delta would rewrite everything again.
    used = touched(f"event-{i}.ics" for i in range(1000))
    assert len(used) == BUCKETS


async def test_a_calendar_stored_before_the_buckets_is_fetched_whole_once(
    desk: Desk, calendar: CalendarServer
) -> None:
    ten = next_weekday_at(10)
    await put_hour(calendar.direct, "eigen", ten)
    assert (await connect(desk.ready, desk.admin, calendar)).status == 200
    db = state(desk.ready).db
    # As an earlier version left it: one document per calendar, one version, no buckets.
    confidant = await db["confidants"].find_one({"_id": "c-anna"})
    assert confidant is not None
    [synced] = confidant["calendar"]["sync"]["calendars"]
    key = busy_key("c-anna", synced["calendar"])
    old = {k: v for k, v in synced.items() if k != "versions"} | {"version": "v1"}
    await db["confidants"].update_one(
        {"_id": "c-anna"}, {"$set": {"calendar.sync.calendars": [old]}}
    )
    await db["busy"].delete_many({})
    await db["busy"].insert_one({"_id": key, "objects": [], "version": "v1"})
    state(desk.ready).busy_cache.clear()
    # Until it is synced again its busy time is not known: its slots are closed, not open.
    closed = await desk.ready.get(
        "/v1/slots?confidant_id=c-anna&type_id=gesprek", headers=desk.reporter()
    )
    assert (await closed.json())["closed"] == "calendar_unavailable"

    report = await resync(desk.ready)
    assert report["full"] == 1 and report["delta"] == 0
    assert await db["busy"].find_one({"_id": key}) is None
    assert ten not in await slot_starts(desk.ready, desk.reporter())
    assert (await resync(desk.ready))["unchanged"] == 1


async def test_instances_writing_the_same_new_buckets_at_once_all_succeed(desk: Desk) -> None:
    # Two booking instances sync one calendar at once (the lock is per process): both
    # insert the same new buckets, and the one that loses the insert must replace instead
    # of failing the sync with a 500.
    instances = [
        dataclasses.replace(state(desk.ready), locks=DocLocks(), busy_cache={}) for _ in range(6)
    ]
    key = busy_key("c-race", "cal")
    buckets: dict[int, Any] = {b: {} for b in range(BUCKETS)}
    for r in range(3):
        versions = await asyncio.gather(*(save(i, f"{key}-{r}", buckets, None) for i in instances))
        assert all(vs[b] is not None for vs in versions for b in buckets)
        db = state(desk.ready).db
        assert await db["busy"].count_documents({"key": f"{key}-{r}"}) == BUCKETS
