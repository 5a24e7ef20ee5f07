"""Rebuild the case projection from the stream: every event from the first, folded in
memory with the same ``projection.apply`` the live consumer uses, then written at once.

    python -m services.reporting.rebuild

Run it with the reporting service stopped (or into another collection, as the tests do),
so that the live consumer does not write in between.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import TypedDict

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pymongo.asynchronous.collection import AsyncCollection

from services.reporting.api.consumer import encode
from services.reporting.domain.projection import apply
from services.reporting.domain.tally import contributions, tally
from services.reporting.settings import ReportingSettings
from services.reporting.store.collections import CASES, INDEXES, TALLIES
from services.reporting.store.documents import RAW_EVENT, CaseFacts, Tally
from shared.db import Doc, Mongo, TypedCollection
from shared.settings import SettingsError

SUBJECTS = ("intake.case.>", "booking.appointment.>")
BATCH = 1000


async def replay(url: str, stream: str, prefix: str = "") -> AsyncIterator[list[bytes]]:
    """Every intake and booking event in the stream, from the first, in batches: a consumer
    of its own that acknowledges nothing and is gone a minute after the last fetch."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        last = (await js.stream_info(stream)).state.last_seq
        sub = await js.pull_subscribe(
            "",
            stream=stream,
            config=ConsumerConfig(
                filter_subjects=[f"{prefix}{s}" for s in SUBJECTS],
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=60,
            ),
        )
        while True:
            try:
                msgs = await sub.fetch(BATCH, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                break
            yield [m.data for m in msgs]
            if msgs and msgs[-1].metadata.sequence.stream >= last:
                break
        await sub.unsubscribe()
    finally:
        await nc.close()


async def fold(settings: ReportingSettings) -> tuple[dict[str, CaseFacts], int]:
    """The projection from every event in the stream, and how many events that was."""
    cases: dict[str, CaseFacts] = {}
    seen = 0
    async for batch in replay(
        settings.nats_url, settings.nats_stream, settings.nats_subject_prefix
    ):
        for data in batch:
            event = RAW_EVENT.validate_json(data)
            case_id = event.get("data", {}).get("case_id")
            if case_id:
                folded = apply(cases.get(case_id), event)
                if folded is not None:
                    cases[case_id] = folded
            seen += 1
    return cases, seen


class Rebuilt(TypedDict):
    events: int
    cases: int
    seconds: float


async def rebuild(
    settings: ReportingSettings, collection: str = CASES, tallies: str = TALLIES
) -> Rebuilt:
    started = time.perf_counter()
    cases, seen = await fold(settings)
    docs: list[CaseFacts] = [{**c, "counted": encode(contributions(c))} for c in cases.values()]
    months: list[Tally] = [
        {"_id": f"{org}|{month}", "org_id": org, "month": month, "n": dict(values)}
        for org in sorted({str(c.get("org_id")) for c in cases.values()})
        for month, values in tally(c for c in cases.values() if str(c.get("org_id")) == org).items()
    ]
    mongo = Mongo(settings.mongodb_uri, settings.database_name)
    try:
        await _replace(mongo, TypedCollection(collection, CaseFacts)(mongo.db), docs, CASES)
        await _replace(mongo, TypedCollection(tallies, Tally)(mongo.db), months, TALLIES)
    finally:
        await mongo.close()
    return {"events": seen, "cases": len(cases), "seconds": round(time.perf_counter() - started, 2)}


async def _replace(mongo: Mongo, into: AsyncCollection[Doc], rows: list[Doc], kind: str) -> None:
    """The collection's documents replaced by ``rows``, its indexes (those of ``kind``) kept.
    Dropped, not emptied: FerretDB's SQLite backend deletes every document by its id in one
    SQL statement, which fails past SQLite's 32,766 variables (the second rebuild of a
    firm of 100,000 cases did)."""
    await into.drop()
    await mongo.ensure_indexes({into.name: INDEXES[kind]})
    for i in range(0, len(rows), BATCH):
        await into.insert_many(rows[i : i + BATCH])


def main() -> int:
    try:
        settings = ReportingSettings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(json.dumps(asyncio.run(rebuild(settings))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
