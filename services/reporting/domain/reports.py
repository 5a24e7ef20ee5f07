"""Drafting a report: the counts of a period from the monthly tallies, protected against
what was published before (``disclosure``: no count below k, none that a difference with an
earlier report would reveal), last year's report of the same kind beside it.

A draft is what a confidant reviews, adds advice to and publishes; it shows what may be
shown, never the true counts.
"""

from __future__ import annotations

import secrets
from typing import Literal

from services.reporting.domain.counts import usage
from services.reporting.domain.disclosure import NotPublishable, audit, protect
from services.reporting.domain.projection import first_day, last_day
from services.reporting.domain.tally import count
from services.reporting.formats import report as formats
from services.reporting.state import Reporting
from services.reporting.store.collections import REPORTS
from services.reporting.store.documents import (
    Previous,
    Report,
    org_names,
    release_doc,
    release_from,
    reports,
)
from services.reporting.store.queries import disclosure_rules, month_tallies, published
from shared.errors import Conflict, Invalid, not_found
from shared.event_schemas import ReportReady
from shared.events import new_event


async def draft(
    r: Reporting, org_id: str, kind: Literal["yearly", "usage"], start: int, end: int, by: str
) -> Report:
    """A draft of ``kind`` (yearly or usage) over the months [start, end): a 404 for an
    organisation reporting never heard of, a 422 for a period not begun, a 409 when what
    was published leaves nothing that may be shown."""
    k, min_cases = await disclosure_rules(r, org_id)
    months = await month_tallies(r, org_id)
    now = r.clock.now()
    if not months:
        raise not_found("organisation")  # reporting has never heard of it
    if start > now.year * 12 + now.month - 1:
        raise Invalid("the period has not begun", {"period": "in the future"})
    counts, hours = count(months, start, end, now)
    if kind == "usage":
        counts = usage(counts)
    earlier = await published(r, org_id)
    try:
        release = protect(counts, [release_from(d["release"]) for d in earlier], k, min_cases)
    except NotPublishable as exc:
        raise Conflict(str(exc), code="not_publishable") from None
    previous = next(
        (
            Previous(
                period_from=formats.month_name(d["release"]["start"]),
                totals=d["release"]["totals"],
                tables=d["release"]["tables"],
            )
            for d in earlier
            if d["kind"] == kind
            and d["release"]["start"] == start - 12
            and d["release"]["end"] == end - 12
        ),
        None,
    )
    named = await org_names(r.db).find_one({"_id": org_id})
    doc: Report = {
        "_id": secrets.token_hex(12),
        "org_id": org_id,
        "org_name": (named.get("name") if named else None) or org_id,
        "firm": r.settings.firm_name,
        "kind": kind,
        "status": "draft",
        "k": k,
        "release": release_doc(release),
        "hours": hours,
        "previous": previous,
        "advice": {},
        "created_by": by,
        "created_at": now,
    }
    await reports(r.db).insert_one(doc)
    return doc


async def publish(r: Reporting, doc: Report, by: str) -> None:
    """Publish a draft, telling the organisation (``ReportReady``): a 409 when a report
    published since the draft was made would, beside this one, reveal a count (the audit
    runs again), or when it was published meanwhile."""
    earlier = [release_from(d["release"]) for d in await published(r, doc["org_id"])]
    # Something may have been published since the draft was made: audit again.
    if audit([*earlier, release_from(doc["release"])], doc["k"]):
        raise Conflict(
            "another report was published since; make this one again", code="not_publishable"
        )
    now = r.clock.now()
    event = new_event(
        ReportReady,
        {
            "report_id": doc["_id"],
            "kind": doc["kind"],
            "period_from": first_day(doc["release"]["start"]),
            "period_to": last_day(doc["release"]["end"]),
        },
        source="reporting",
        org_id=doc["org_id"],
        occurred_at=now,
    )
    if not await r.update_with_events(
        REPORTS,
        {"_id": doc["_id"], "status": "draft"},
        {
            "$set": {
                "status": "published",
                "published_at": now,
                "published_by": by,
            }
        },
        [event],
    ):
        raise Conflict("the report is published already")
