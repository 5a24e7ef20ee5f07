"""One organisation's yearly report over 100,000 cases.

    python -m bench.report [--cases 100000]

Writes the case projection of one organisation (100,000 cases over two years, with
conversations) and its monthly tallies into FerretDB, then times, in one run:
- ``read_all_cases``: only reading the organisation's case documents (the baseline: what a
  report built from the cases would cost before counting anything);
- ``report``: what ``POST /v1/orgs/{id}/reports`` does: read the tallies, count, and apply
  the disclosure control, audited against the published year before;
- ``report_pdf``: that, and the PDF the organisation downloads (A4, charts, last year
  beside this year), the target being under 2 s.
Prints one JSON line each.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from bench.common import options
from deploy.stack.infra import plan_infra, running
from services.reporting.domain.counts import CATEGORIES, CHANNELS, MODES, OUTCOMES, ROLES
from services.reporting.domain.disclosure import protect
from services.reporting.domain.tally import count, tally
from services.reporting.formats.report import to_html, to_pdf
from services.reporting.store.documents import CaseFacts, Report, release_doc
from services.reporting.store.documents import cases as facts
from services.reporting.store.documents import report_view as view

ORG = "bench-org"
YEAR = 2026


def cases(n: int) -> list[CaseFacts]:
    rng = random.Random(7)
    out: list[CaseFacts] = []
    for i in range(n):
        opened = (YEAR - 1) * 12 + rng.randrange(24)
        closed = opened + rng.randrange(3) if rng.random() < 0.8 else None
        out.append(
            {
                "_id": f"case-{i}",
                "org_id": ORG,
                "category": rng.choice(CATEGORIES),
                "subtype": None,
                "channel": rng.choice(CHANNELS),
                "reporter_role": rng.choice(ROLES),
                "anonymous": rng.random() < 0.3,
                "department": rng.randrange(12),
                "opened": opened,
                "opened_at": f"{opened // 12}-{opened % 12 + 1:02d}-10T09:00:00+00:00",
                "closed": closed,
                "outcome": rng.choice(OUTCOMES) if closed is not None else None,
                "hours": round(rng.uniform(0.5, 6), 1),
                "conversations": {
                    f"a{i}-{j}": {"mode": rng.choice(MODES), "month": opened, "cancelled": False}
                    for j in range(rng.randrange(3))
                },
            }
        )
    return out


async def run(uri: str, n: int) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    db = client["bench_reporting"]
    docs = cases(n)
    for i in range(0, n, 5000):
        await facts(db).insert_many(docs[i : i + 5000])
    # The tallies as the service keeps them next to the cases.
    months = tally(docs)
    await db["tallies"].insert_many(
        [{"_id": f"{ORG}|{m}", "org_id": ORG, "month": m, "n": v} for m, v in months.items()]
    )
    now = datetime(YEAR + 1, 1, 15, tzinfo=UTC)
    previous_counts, _ = count(months, (YEAR - 1) * 12, YEAR * 12, now)
    previous = protect(previous_counts, [], 5, 10)

    # Baseline: what reading every case of the organisation costs (the first design).
    started = time.perf_counter()
    found = [d async for d in db["cases"].find({"org_id": ORG})]
    read = time.perf_counter() - started
    print(json.dumps({"bench": "read_all_cases", "cases": len(found), "seconds": round(read, 3)}))

    # What POST /v1/orgs/{id}/reports does: read the tallies, count, disclosure control
    # (audited against the published year before).
    started = time.perf_counter()
    tallies = {
        t["month"]: t["n"] async for t in db["tallies"].find({"org_id": ORG}, {"month": 1, "n": 1})
    }
    counts, hours = count(tallies, YEAR * 12, (YEAR + 1) * 12, now)
    release = protect(counts, [previous], 5, 10)
    total = time.perf_counter() - started
    print(json.dumps({"bench": "report", "cases": n, "seconds": round(total, 3)}))

    # The same, then the report as the organisation downloads it: the PDF (and the HTML),
    # from the view GET /v1/reports/{id}?format=pdf renders.
    started = time.perf_counter()
    tallies = {
        t["month"]: t["n"] async for t in db["tallies"].find({"org_id": ORG}, {"month": 1, "n": 1})
    }
    counts, hours = count(tallies, YEAR * 12, (YEAR + 1) * 12, now)
    release = protect(counts, [previous], 5, 10)
    shown = release_doc(previous)
    doc: Report = {
        "_id": "bench-report",
        "org_id": ORG,
        "org_name": "Bench Zorg BV",
        "firm": "Vertrouwd",
        "kind": "yearly",
        "status": "published",
        "k": 5,
        "release": release_doc(release),
        "hours": hours,
        "previous": {
            "period_from": f"{YEAR - 1}-01",
            "totals": shown["totals"],
            "tables": shown["tables"],
        },
        "advice": {"nl": "Investeer in teamgesprekken. " * 20},
        "created_at": now,
        "published_at": now,
    }
    pdf = to_pdf(view(doc), "nl")
    rendered = time.perf_counter() - started
    html = to_html(view(doc), "nl")
    print(
        json.dumps(
            {
                "bench": "report_pdf",
                "cases": n,
                "seconds": round(rendered, 3),
                "pdf_bytes": len(pdf),
                "html_bytes": len(html),
                "baseline_read_all_cases_s": round(read, 3),
            }
        )
    )
    await client.close()


def main() -> None:
    args = options(__doc__, cases=100_000)
    with tempfile.TemporaryDirectory() as tmp:
        infra = plan_infra(Path(tmp), {})
        with running([p for p in infra.processes if p.name == "ferretdb"]):
            asyncio.run(run(infra.mongodb_uri, args.cases))


if __name__ == "__main__":
    main()
