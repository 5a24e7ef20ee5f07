"""What a request costs as the firm grows: the same requests at 10,000, 100,000 and
1,000,000 cases, each beside its floor measured in the same run.

    python -m bench.scale [--sizes 10000,100000,1000000] [--samples 40] [--backend sqlite]

``--backend postgresql`` runs FerretDB on Debian's PostgreSQL instead of SQLite (each
backend its firm cached apart); with ``MONGODB_URI`` set, that server is measured.

For each size a firm is built once and cached under ``.cache/bench-scale/<size>/`` (the
database's own files and the keys: a second run measures at once): 1,000 confidants, one
organisation per 100 cases (at most 10,000), every case made by intake's own
``build_case`` (the document and its events, with the text and contact sealed, as a
report by phone without a code), and reporting's projection and monthly tallies folded
from those events by its own ``projection.apply`` and ``tally``; the closing and the purge
as intake's ``rules.closed_buckets`` and ``jobs.purge_update`` write them. The services then run
as processes, as ``make run`` starts them, and each figure is measured by its public API:

- ``case_list``: a confidant's first page of cases (50); ``case_list_filtered``: by status;
  ``case_list_search``: one case by its reference; ``case_list_page``: what the confidant's
  page asks (every open case, by status, and the newest hundred);
- ``case_page``: one case (``GET /v1/cases/{id}``);
- ``office_overview``: what the office's page reads to count every organisation's cases
  (``/v1/case-counts``, one answer); ``office_org_cases``: one organisation's cases;
- ``create_case``: ``POST /v1/cases`` (a report);
- ``report``: drafting one organisation's yearly report (``POST /v1/orgs/{id}/reports``);
- ``org_page``: what the organisation admin's page reads (reports, invoices, signals);
- ``slots``: ``GET /v1/slots`` of that confidant (beside booking's ``/healthz``);
- ``retention``: intake's periodic round (retention, code expiry, deadline warnings,
  follow-ups, the load recount) on the firm's last day, in seconds;
- ``rebuild``: reporting's projection rebuilt from a stream of as many events as the firm
  has cases, in seconds, beside reading that stream (``of_floor``: the rate's share);
- ``startup``: each of the four services from start to ready, in seconds (as ``p99_ms``).

The firm is as a practice has it on its last day: two years of cases, answered the next
day, closed within weeks but for the last two months', purged after a year.

The floors: ``GET /healthz`` of the same service, and a look-up by ``_id`` of the same
collection straight from the database. One JSON line per figure and size:
``{"bench": "scale", "figure": …, "cases": …, "p50_ms": …, "p99_ms": …, "floor_p99_ms": …,
"growth": …}``, growth being the p99 over the smallest size's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast

import aiohttp
import nats
from pymongo import AsyncMongoClient

from bench.common import OUTSIDE, options
from deploy.seed import DEMO_TYPES
from deploy.stack.database import ferretdb, postgres
from deploy.stack.infra import plan_infra, running, service_env
from deploy.stack.process import free_port
from deploy.stack.services import service
from services.intake.app import SPEC as INTAKE_SPEC
from services.intake.domain.jobs import BACKFILLED, purge_update
from services.intake.domain.opening import build_case, redrawn
from services.intake.domain.report import CaseCreate
from services.intake.domain.rules import closed_buckets, overdue, purge_before
from services.intake.domain.updates import FIRST_ANSWER
from services.intake.state import Intake
from services.intake.store.caselist import MONTHS, status_key
from services.intake.store.collections import (
    CASES,
    INDEXES,
    MIGRATIONS,
    MONTH_CLAIMS,
    ORG_COUNTS,
    ORGANISATIONS,
)
from services.intake.store.counts import COUNTED, STATUSES
from services.reporting.app import SPEC as REPORTING_SPEC
from services.reporting.domain.projection import apply
from services.reporting.domain.tally import tally
from services.reporting.store.collections import INDEXES as REPORTING_INDEXES
from shared.crypto import DataKeys, FieldCipher
from shared.devtokens import load_issuer
from shared.events import Envelope
from shared.outbox import MARKED

SERVICES = ("intake", "reporting", "booking", "notify")
ROOT = Path(__file__).resolve().parents[1] / ".cache" / "bench-scale"
CONFIDANTS = 1000
CATEGORIES = ("pesten", "intimidatie", "discriminatie", "agressie_geweld", "vraag_advies", "anders")
OPEN: tuple[Literal["in_contact", "in_conversation"], ...] = ("in_contact", "in_conversation")
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
SPAN = timedelta(days=730)  # the firm's two years of cases
END = START + SPAN  # its last day, when it is measured
OPEN_FOR = timedelta(days=60)  # the newest cases, still open; the rest closed
NEW_FOR = timedelta(hours=12)  # the last half day's, not answered yet (nor due)
RETENTION_DAYS = 365  # the default (an organisation without its own)
VERSION = 7  # of what a cached firm holds: another one is built again
INTAKE_OUTBOX, REPORTING_OUTBOX = INTAKE_SPEC.outbox, REPORTING_SPEC.outbox


def orgs_for(cases: int) -> int:
    return max(1, min(10_000, cases // 100))


class Firm:
    """The cached firm of one size: where its database and keys are."""

    def __init__(self, cases: int, backend: str) -> None:
        self.cases = cases
        self.dir = ROOT / backend / str(cases)
        self.keys = self.dir / "keys"
        self.done = self.dir / "built.json"

    def version(self) -> int | None:
        built = json.loads(self.done.read_text()) if self.done.exists() else {}
        return cast(int | None, built.get("version"))


async def build(firm: Firm, mongodb_uri: str) -> dict[str, Any]:
    """Write the firm through the services' own functions, in batches."""
    from shared.db import Mongo

    intake_db, reporting_db = "vertrouwd_intake", "vertrouwd_reporting"
    mongo = Mongo(mongodb_uri, intake_db)
    await mongo.ensure_indexes(INDEXES)
    reporting = Mongo(mongodb_uri, reporting_db)
    await reporting.ensure_indexes(REPORTING_INDEXES)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    cipher = FieldCipher(DataKeys.load(firm.keys / "data-keys.json"))
    intake = cast(Intake, type("BenchIntake", (), {"cipher": cipher})())
    rng = random.Random(firm.cases)
    n_orgs = orgs_for(firm.cases)
    orgs: list[dict[str, Any]] = [
        {
            "_id": f"org-{i}",
            "name": f"Organisatie {i}",
            "slug": f"org-{i}",
            "departments": ["Zorg", "Keuken", "Staf"],
            "confidant_ids": [f"c-{i % CONFIDANTS}", f"c-{(i + 1) % CONFIDANTS}"],
            "first_contact_days": 2,
            "locale": "nl",
            "timezone": "Europe/Amsterdam",
            "created_at": START,
        }
        for i in range(n_orgs)
    ]
    await client[intake_db][ORGANISATIONS].insert_many(orgs)
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    facts: dict[str, dict[str, Any]] = {}
    references: set[str] = set()
    months_claimed: set[str] = set()  # each confidant's months with a case
    counted: dict[str, dict[str, Any]] = {}  # each organisation's cases by status
    for i in range(firm.cases):
        org = orgs[i % n_orgs]
        now = START + SPAN * (i / firm.cases)
        body = CaseCreate(
            organisation=org["slug"],
            category=rng.choice(CATEGORIES),
            channel="phone",
            anonymous=True,
            text="Een melding over de werksfeer, zoals ze binnenkomt." * 3,
            department=rng.choice(org["departments"]),
            case_code=False,
        )
        confidant = (org["confidant_ids"][i % 2], "least_loaded")
        case, events = await build_case(
            intake, cast(Any, org), body, case_id=f"case-{i:07d}", code=None,
            confidant=cast(Any, confidant), now=now,
        )  # fmt: skip
        while case["reference"] in references:  # as store_case does on a taken one
            case, events = redrawn(case, events)
        references.add(case["reference"])
        months_claimed.add(case["confidant_month"])
        settle(case, now, rng)
        by_status = counted.setdefault(
            org["_id"], {**dict.fromkeys(STATUSES, 0), "overdue": 0, "overdue_at": END}
        )
        by_status[case["status"]] += 1
        if case["status"] != "closed":  # as the round on the last day finds them
            by_status["overdue"] += overdue(case.get("deadlines") or {}, END)
        batch.append(dict(case))
        fact = None
        for event in events:
            fact = apply(fact, raw(event))
        if fact is not None:
            facts[case["_id"]] = dict(fact)
        if len(batch) == 1000:
            await write(client, batch, facts)
            batch, facts = [], {}
    if batch:
        await write(client, batch, facts)
    # The tallies, from every case's facts (as the rebuild makes them).
    months: dict[tuple[str, int], dict[str, float]] = {}
    async for stored in client[reporting_db]["cases"].find({}):
        for month, values in tally([cast(Any, stored)]).items():
            into = months.setdefault((str(stored["org_id"]), month), {})
            for key, value in values.items():
                into[key] = into.get(key, 0.0) + value
    docs = [
        {"_id": f"{org}|{month}", "org_id": org, "month": month, "n": n}
        for (org, month), n in months.items()
    ]
    for i in range(0, len(docs), 1000):
        await client[reporting_db]["tallies"].insert_many(docs[i : i + 1000])
    # Each confidant's months, claimed as store_case claims them (one document a month).
    claims = [
        {"_id": key, "confidant_id": key.split("|")[0], "month": key.split("|")[1]}
        for key in sorted(months_claimed)
    ]
    for i in range(0, len(claims), 1000):
        await client[intake_db][MONTH_CLAIMS].insert_many(claims[i : i + 1000])
    # Each organisation's counts, as the first count of its cases and the round write them.
    await client[intake_db][ORG_COUNTS].insert_many(
        [{"_id": org_id, **by_status, "v": 0} for org_id, by_status in counted.items()]
    )
    # Gone through once, as a firm that grew under this version is: swept by the relay
    # (shared.outbox: MARKED), the closed cases' months given (intake's jobs: BACKFILLED),
    # every case its confidant's month (MONTHS), every organisation counted (COUNTED).
    await client[intake_db][MIGRATIONS].insert_many(
        [{"_id": m, "at": START} for m in (BACKFILLED, MONTHS, COUNTED)]
    )
    for db_name, names in ((intake_db, INTAKE_OUTBOX), (reporting_db, REPORTING_OUTBOX)):
        await client[db_name][MARKED].insert_many([{"_id": n, "at": START} for n in names])
    await client[reporting_db]["orgs"].insert_many(
        [{"_id": o["_id"], "name": o["name"], "departments": o["departments"]} for o in orgs]
    )
    took = round(time.perf_counter() - started, 1)
    await client.close()
    await mongo.close()
    await reporting.close()
    return {"cases": firm.cases, "orgs": n_orgs, "build_s": took, "version": VERSION}


def settle(case: Any, opened: datetime, rng: random.Random) -> None:
    """The case as a practice has it at the firm's last day (END), written as the services
    write it: answered the next day; closed within weeks but for the last two months' (its
    months ahead set as on closing); purged after the default retention of a year."""
    if END - opened <= NEW_FOR:
        return  # new, its first contact not due yet
    for kind in FIRST_ANSWER:  # a step of the status is an answer to the reporter
        if kind in (case.get("deadlines") or {}):
            case["deadlines"][kind]["met_at"] = opened + timedelta(days=1)
    if END - opened <= OPEN_FOR:
        case["status"] = rng.choice(OPEN)
        case["confidant_status"] = status_key(case["confidant_id"], case["status"])
        return
    closed_at = opened + timedelta(days=20)
    case.update(status="closed", closed_at=closed_at, outcome="advice")
    case["confidant_status"] = status_key(case["confidant_id"], "closed")
    case.update(closed_buckets(closed_at, "code_hash" in case, None))
    if closed_at < purge_before(END, RETENTION_DAYS):
        update = purge_update(END)
        for name in update["$unset"]:
            case.pop(name, None)
        case.update(update["$set"])


def raw(event: Envelope) -> Any:
    return json.loads(event.model_dump_json())


async def write(
    client: AsyncMongoClient[dict[str, Any]],
    cases: list[dict[str, Any]],
    facts: dict[str, dict[str, Any]],
) -> None:
    await client["vertrouwd_intake"][CASES].insert_many(cases)
    if facts:
        await client["vertrouwd_reporting"]["cases"].insert_many(list(facts.values()))


# A figure that takes seconds per request is sampled fewer times (at least MIN_SAMPLES),
# so that the biggest size ends within the half hour.
BUDGET_S = 20.0
MIN_SAMPLES = 3


async def timed(
    call: Callable[[], Awaitable[Any]], samples: int, least: int = MIN_SAMPLES
) -> list[float]:
    out: list[float] = []
    begun = time.perf_counter()
    while len(out) < samples and (len(out) < least or time.perf_counter() - begun < BUDGET_S):
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 2)


async def measure(
    firm: Firm, urls: dict[str, str], mongodb_uri: str, samples: int
) -> list[dict[str, Any]]:
    issuer = load_issuer(firm.keys)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    cases = client["vertrouwd_intake"][CASES]
    some = await cases.find_one({"_id": "case-0000001"})
    assert some is not None
    org = some["org_id"]

    def bearer(**claims: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + issuer.issue(**claims)}

    admin = bearer(sub="bench", role="admin", audience=["intake", "reporting"])
    anna = bearer(sub=some["confidant_id"], role="confidant", audience=["intake"], orgs=[org])
    org_admin = bearer(sub="hr", role="org_admin", audience=["reporting"], org_id=org)
    rows: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http:

        async def get(url: str, headers: dict[str, str] | None = None) -> None:
            async with http.get(url, headers=headers) as answer:
                await answer.read()
                assert answer.status < 400, (url, answer.status, await answer.text())

        async def by_id() -> None:
            await cases.find_one({"_id": some["_id"]})

        floor_http = await timed(lambda: get(urls["intake"] + "healthz"), samples)
        floor_db = await timed(by_id, samples)
        rows.append(
            row("retention", firm.cases, await retention(mongodb_uri), floor_db, seconds=True)
        )
        figures: list[tuple[str, Callable[[], Awaitable[Any]], list[float]]] = [
            ("case_list", lambda: get(urls["intake"] + "v1/cases?limit=50", anna), floor_http),
            (
                "case_list_filtered",
                lambda: get(urls["intake"] + "v1/cases?limit=50&status=new", anna),
                floor_http,
            ),
            (
                "case_list_search",
                lambda: get(urls["intake"] + f"v1/cases?reference={some['reference']}", anna),
                floor_http,
            ),
            (  # what the confidant's page asks: every open case, and the newest hundred
                "case_list_page",
                lambda: asyncio.gather(
                    get(urls["intake"] + "v1/cases?limit=100", anna),
                    *(
                        get(urls["intake"] + f"v1/cases?limit=1000&status={status}", anna)
                        for status in ("new", "in_contact", "in_conversation")
                    ),
                ),
                floor_http,
            ),
            ("case_page", lambda: get(urls["intake"] + f"v1/cases/{some['_id']}", anna), floor_db),
            (
                "office_overview",
                lambda: get(urls["intake"] + "v1/case-counts", admin),
                floor_http,
            ),
            (
                "office_org_cases",
                lambda: get(urls["intake"] + f"v1/cases?limit=1000&org_id={org}", admin),
                floor_http,
            ),
            (
                "org_page",
                lambda: asyncio.gather(
                    get(urls["reporting"] + f"v1/orgs/{org}/reports", org_admin),
                    get(urls["reporting"] + f"v1/orgs/{org}/invoices", org_admin),
                    get(urls["reporting"] + f"v1/orgs/{org}/signals", org_admin),
                ),
                floor_http,
            ),
        ]
        for name, call, floor in figures:
            ms = await timed(call, samples)
            rows.append(row(name, firm.cases, ms, floor))

        async def create() -> None:
            body = {"organisation": org, "category": "pesten", "anonymous": True}
            async with http.post(urls["intake"] + "v1/cases", json=body) as answer:
                assert answer.status == 201, await answer.text()

        rows.append(row("create_case", firm.cases, await timed(create, samples), floor_http))

        async def report() -> None:
            body = {"year": 2025, "kind": "yearly"}
            async with http.post(
                urls["reporting"] + f"v1/orgs/{org}/reports", json=body, headers=admin
            ) as answer:
                assert answer.status in (201, 409), await answer.text()

        rows.append(
            row("report", firm.cases, await timed(report, max(5, samples // 4)), floor_http)
        )
        booker = bearer(sub="bench", role="admin", audience=["booking"])
        confidant = some["confidant_id"]
        for path, body in [
            ("v1/confidants", {"id": confidant, "display_name": "Bench", "org_ids": [org],
                               "timezone": "Europe/Amsterdam"}),
            (f"v1/confidants/{confidant}/hours",
             {"weekly": {str(d): [{"start": "09:00", "end": "17:00"}] for d in range(5)}}),
            ("v1/appointment-types", DEMO_TYPES[0]),
        ]:  # fmt: skip
            method = http.put if path.endswith("/hours") else http.post
            async with method(urls["booking"] + path, json=body, headers=booker) as answer:
                assert answer.status in (200, 201, 409), (path, await answer.text())
        slots_url = urls["booking"] + f"v1/slots?confidant_id={confidant}&type_id=gesprek"
        booking_floor = await timed(lambda: get(urls["booking"] + "healthz"), samples)
        rows.append(row("slots", firm.cases, await timed(lambda: get(slots_url, booker), samples),
                        booking_floor))  # fmt: skip
    await client.close()
    return rows


async def retention(mongodb_uri: str) -> list[float]:
    """Intake's periodic round (retention, code expiry, deadline warnings, follow-ups, the
    load recount) as the service runs it every ``INTAKE_JOBS_INTERVAL_S``, on the firm's
    last day, when nothing is due (what was is done): what finding the work costs."""
    from types import SimpleNamespace

    from services.intake.domain import jobs
    from services.intake.settings import IntakeSettings
    from services.intake.store.throttle import Throttle
    from shared.clock import Clock
    from shared.db import DocLocks, Mongo
    from shared.outbox import DocumentWriter

    mongo = Mongo(mongodb_uri, "vertrouwd_intake")
    locks, clock = DocLocks(), Clock()

    async def publish(event: Envelope) -> None:
        """Nothing of the firm is due on its last day; the reports an earlier run made
        today are (their first contact before END), and their warnings go nowhere."""

    bus = SimpleNamespace(publish=publish, deferred={})
    writer = DocumentWriter(mongo.db, cast(Any, bus), locks)
    intake = SimpleNamespace(
        db=mongo.db,
        settings=SimpleNamespace(
            code_inactive_days=IntakeSettings.model_fields["code_inactive_days"].default
        ),
        clock=clock,
        throttle=Throttle(mongo.db, locks, clock),
        update=writer.update,
        update_with_events=writer.update_with_events,
    )
    try:
        return await timed(lambda: jobs.run_all(cast(Intake, intake), now=END), 1, least=1)
    finally:
        await mongo.close()


async def rebuilt(firm: Firm, mongodb_uri: str) -> dict[str, Any]:
    """Reporting's projection rebuilt from a stream of as many events as the firm has cases
    (bench.projection_rebuild's, eight a case), beside reading the same stream and nothing
    else; on a nats-server of its own, the stream kept with the firm."""
    from nats.js.errors import NotFoundError

    from bench.projection_rebuild import STREAM, fill, read_floor
    from services.reporting.rebuild import rebuild
    from services.reporting.settings import ReportingSettings

    infra = plan_infra(firm.dir / "stream", {})
    [server] = [p for p in infra.processes if p.name == "nats"]
    with running([server]):
        nc = await nats.connect(infra.nats_url)
        try:
            held = (await nc.jetstream().stream_info(STREAM)).state.messages
        except NotFoundError:
            held = 0
        await nc.close()
        if held < firm.cases:
            await fill(infra.nats_url, firm.cases)
        seen, floor_s = await read_floor(infra.nats_url)
        settings = ReportingSettings.model_validate(
            {
                "jwks_file": str(firm.keys / "jwks.json"),
                "mongodb_uri": mongodb_uri,
                "mongodb_database": "bench_rebuild",
                "nats_url": infra.nats_url,
                "nats_stream": STREAM,
            }
        )
        done = await rebuild(settings)
    return {
        "bench": "scale", "figure": "rebuild", "cases": firm.cases, "events": seen,
        "p50_ms": done["seconds"], "p99_ms": done["seconds"], "floor_p99_ms": round(floor_s, 2),
        "events_per_s": round(done["events"] / done["seconds"]),
        "floor_events_per_s": round(seen / floor_s),
        "of_floor": round((done["events"] / done["seconds"]) / (seen / floor_s), 2),
    }  # fmt: skip


# The statements our build of FerretDB 1.24 sends for the hot queries (from its backends'
# source and deploy/ferretdb-pushdown.patch): each top-level equality with a string pushed
# down as its field's index expression; what remains is sorted and filtered in Go.
def sqlite_equal(field: str, value: str) -> str:
    f = f'_ferretdb_sjson->"{field}"'
    return f"({f} = '\"{value}\"' OR ({f} >= '[' AND {f} < '\\'))"


SQLITE_PLANS = {
    # As deploy/ferretdb-pushdown.patch writes an equality (_id: its own column expression).
    "by _id": 'SELECT _ferretdb_sjson FROM "{t}" WHERE _ferretdb_sjson->"_id" = \'"case-0000001"\'',
    "case list (confidant_id, sorted in Go)": (
        'SELECT _ferretdb_sjson FROM "{t}" WHERE ' + sqlite_equal("confidant_id", "c-1")  # noqa: S608
    ),
    "case list, one month (confidant_month)": (
        'SELECT _ferretdb_sjson FROM "{t}" WHERE '  # noqa: S608
        + sqlite_equal("confidant_month", "c-1|2026-12")
    ),
    "case by reference": (
        'SELECT _ferretdb_sjson FROM "{t}" WHERE '  # noqa: S608
        + sqlite_equal("reference", "VP-2026-000000")
    ),
}


def pg_equal(field: str, value: str) -> str:
    # (braces doubled: the table's name is filled in with str.format after)
    f = f"_jsonb->'{field}'"
    return f"({f} = '\"{value}\"'::jsonb OR ({f} >= '[null]'::jsonb AND {f} < '{{{{}}}}'::jsonb))"


PG_PLANS = {
    # As deploy/ferretdb-pushdown.patch writes an equality.
    "by _id": 'SELECT _jsonb FROM "{s}"."{t}" WHERE ' + pg_equal("_id", "case-0000001"),  # noqa: S608 (our own constants)
    "case list (confidant_id, sorted in Go)": (
        'SELECT _jsonb FROM "{s}"."{t}" WHERE ' + pg_equal("confidant_id", "c-1")  # noqa: S608
    ),
    "case list, one month (confidant_month)": (
        'SELECT _jsonb FROM "{s}"."{t}" WHERE '  # noqa: S608
        + pg_equal("confidant_month", "c-1|2026-12")
    ),
}


def explain(firm: Firm, backend: str, pg_url: str | None) -> list[dict[str, Any]]:
    """The engine's own plan for each hot query: does it use an index?"""
    out: list[dict[str, Any]] = []
    if backend == "sqlite":
        import sqlite3

        path = firm.dir / "ferretdb" / "vertrouwd_intake.sqlite"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            [(table,)] = db.execute(
                "SELECT table_name FROM _ferretdb_collections WHERE name = 'cases'"
            ).fetchall()
            for name, sql in SQLITE_PLANS.items():
                rows = db.execute("EXPLAIN QUERY PLAN " + sql.format(t=table)).fetchall()
                out.append({"query": name, "plan": " / ".join(str(r[-1]) for r in rows)})
    elif pg_url is not None:
        import subprocess

        def psql(sql: str) -> str:
            done = subprocess.run(
                ["psql", pg_url, "-At", "-c", sql], capture_output=True, text=True, check=True
            )
            return done.stdout.strip()

        table = psql(
            "SELECT _jsonb->>'table' FROM vertrouwd_intake._ferretdb_database_metadata "
            "WHERE _jsonb->>'_id' = 'cases'"
        )
        for name, sql in PG_PLANS.items():
            found = psql("EXPLAIN " + sql.format(s="vertrouwd_intake", t=table))
            out.append({"query": name, "plan": " / ".join(found.splitlines())})
    return [{"bench": "scale_explain", "backend": backend, "cases": firm.cases, **o} for o in out]


def row(
    figure: str, cases: int, ms: list[float], floor: list[float], *, seconds: bool = False
) -> dict[str, Any]:
    """One figure; ``seconds``: a long run, given in seconds (in ``p99_ms``, as the issue's
    one line shape has it), its floor still in milliseconds."""
    scale = 1000 if seconds else 1
    return {
        "bench": "scale",
        "figure": figure,
        "cases": cases,
        "p50_ms": round(statistics.median(ms) / scale, 2),
        "p99_ms": round(p(ms, 0.99) / scale, 2),
        "floor_p99_ms": p(floor, 0.99),
    }


def main() -> None:
    args = options(__doc__, sizes="10000,100000,1000000", samples=40, backend="sqlite")
    sizes = [int(s) for s in str(args.sizes).split(",") if s]
    smallest: dict[str, float] = {}
    backend = str(args.backend)
    for cases in sorted(sizes):
        firm = Firm(cases, backend)
        if firm.dir.exists() and firm.version() != VERSION:
            shutil.rmtree(firm.dir)  # built by an earlier bench: another firm
        firm.dir.mkdir(parents=True, exist_ok=True)
        servers, outside, pg_url = [], {}, None
        if backend == "postgresql" and "MONGODB_URI" not in os.environ:
            pg = postgres(firm.dir / "pg", free_port())
            ferret = ferretdb(firm.dir / "ferretdb", free_port(), pg.url)
            servers, outside, pg_url = [pg, ferret], {"MONGODB_URI": ferret.url}, pg.url
        infra = plan_infra(
            firm.dir, {**outside, **{k: v for k, v in os.environ.items() if k in OUTSIDE}}
        )
        env = service_env(infra, firm.keys)
        servers += [p for p in infra.processes if p.name != "ferretdb" or not pg_url]
        with running(*[[p] for p in servers]):
            mongodb_uri = infra.env()["MONGODB_URI"]
            if not firm.done.exists():
                built = asyncio.run(build(firm, mongodb_uri))
                firm.done.write_text(json.dumps(built))
                print(json.dumps({"bench": "scale_build", **built}), flush=True)
            base = {**env, "LOG_LEVEL": "WARNING", "INTAKE_CASE_RATE_LIMIT": "1000000"}
            ports = {name: free_port() for name in SERVICES}
            rows: list[dict[str, Any]] = []
            with contextlib.ExitStack() as stack:
                for name in SERVICES:  # one after the other, each timed to ready
                    started = time.perf_counter()
                    stack.enter_context(
                        running([service(name, ports[name], base, firm.dir / "logs")])
                    )
                    up = round(time.perf_counter() - started, 2)
                    rows.append(
                        {
                            "bench": "scale",
                            "figure": "startup",
                            "service": name,
                            "cases": cases,
                            "p50_ms": up,
                            "p99_ms": up,
                            "floor_p99_ms": None,
                        }
                    )
                urls = {n: f"http://127.0.0.1:{ports[n]}/" for n in ports}
                rows += asyncio.run(measure(firm, urls, mongodb_uri, int(args.samples)))
                if "MONGODB_URI" not in os.environ:
                    for plan in explain(firm, backend, pg_url):
                        print(json.dumps(plan), flush=True)
            rows.append(asyncio.run(rebuilt(firm, mongodb_uri)))
        for r in rows:
            r["backend"] = backend
            first = smallest.setdefault(r["figure"] + r.get("service", ""), r["p99_ms"])
            r["growth"] = round(r["p99_ms"] / first, 2) if first else None
            print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
