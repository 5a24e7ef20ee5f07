"""A confidant's cases, newest first, read a month at a time.

FerretDB sorts in Go. Asked for a confidant's 50 newest cases by ``confidant_id``, it reads
and decodes every case that confidant ever had (2,000 at a million-case firm: 314 ms) to
hand back 50. So each case carries ``confidant_month``, ``"<confidant>|<YYYY-MM>"`` of its
creation (indexed; changed with a hand-over), and the confidant's load document the first
and the last month of the cases they hold (``since``, ``until``: widened before a case is
written, so never narrower than the cases). A page asks month by month, newest first, by
equality, and stops once it is full: it reads about a page of cases whatever the firm's
size. A list of one open status asks by ``confidant_status`` (``"<confidant>|<status>"``)
instead: those are few, however many closed cases the confidant holds. Until every case
carries both keys (the marker ``MONTHS`` in ``migrations``), the page is asked for the
plain way.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.domain.rules import OPEN_STATUSES, month_of, months_through
from shared.db import Document
from shared.errors import invalid
from shared.listing import Page, cursor_after, find_page, keyset

from .collections import LOAD, MIGRATIONS
from .documents import Case, cases

MONTHS = "confidant_months"  # in MIGRATIONS: every case carries both keys of the list
SORT = "created_at"
# Months asked at once, growing while they come back short: a dense month fills a page in
# one round trip, a sparse stretch (a status filter, a quiet year) is crossed in a few.
FIRST_STRETCH, MOST_STRETCH = 1, 12


def month_key(confidant_id: str, created_at: datetime) -> str:
    """The case's ``confidant_month``."""
    return f"{confidant_id}|{month_of(created_at)}"


def status_key(confidant_id: str, status: str) -> str:
    """The case's ``confidant_status``: their open cases of one status are few, and asked
    for by it, however many closed ones they hold."""
    return f"{confidant_id}|{status}"


def widening(created_at: datetime) -> dict[str, Any]:
    """The load document's update that makes its months hold a case made at ``created_at``
    (``open`` set on a new one, so the document has the shape the count expects)."""
    month = month_of(created_at)
    return {"$min": {"since": month}, "$max": {"until": month}, "$setOnInsert": {"open": 0}}


def months_back(newest: str, oldest: str) -> list[str]:
    """``newest``, the month before, … down to ``oldest`` (each ``YYYY-MM``)."""

    def first_day(month: str) -> datetime:
        return datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=UTC)

    return months_through(first_day(oldest), first_day(newest))[::-1]


async def newest_cases(
    db: AsyncDatabase[Document],
    confidant_id: str,
    filters: Mapping[str, Any],
    page: Page,
    projection: Mapping[str, Any] | None = None,
) -> tuple[list[Case], str | None]:
    """One page of the confidant's cases matching ``filters`` (equalities), newest first,
    and the next page's cursor: the same page and cursor ``find_page`` gives."""
    plain = {"confidant_id": confidant_id, **filters}
    if await db[MIGRATIONS].find_one({"_id": MONTHS}) is None:
        return await find_page(cases(db), plain, page, SORT, descending=True, projection=projection)
    if page.after is not None and not isinstance(page.after[0], datetime):
        raise invalid("cursor", "not a cursor this list gave: start from the first page")
    if filters.keys() == {"status"} and filters["status"] in OPEN_STATUSES:
        few = {"confidant_status": status_key(confidant_id, filters["status"])}
        return await find_page(cases(db), few, page, SORT, descending=True, projection=projection)
    load = await db[LOAD].find_one({"_id": confidant_id}, {"since": 1, "until": 1})
    if load is None or "since" not in load:
        return [], None  # never given a case
    newest = load["until"] if page.after is None else min(load["until"], month_of(page.after[0]))
    months = iter(months_back(newest, load["since"]))

    async def month(name: str, wanted: int) -> list[Case]:
        query: dict[str, Any] = {"confidant_month": f"{confidant_id}|{name}", **filters}
        if page.after is not None and name == month_of(page.after[0]):
            query = keyset(query, page, SORT, descending=True)  # where the last page ended
        cursor = cases(db).find(query, projection).sort([(SORT, -1), ("_id", -1)])
        return await cursor.limit(wanted).to_list(wanted)

    found: list[Case] = []
    stretch = FIRST_STRETCH
    while len(found) <= page.limit:
        asked = list(itertools.islice(months, stretch))
        if not asked:
            break
        wanted = page.limit + 1 - len(found)
        for batch in await asyncio.gather(*(month(name, wanted) for name in asked)):
            found += batch  # the months newest first, each sorted by the engine
        stretch = min(stretch * 2, MOST_STRETCH)
    items = found[: page.limit]
    return items, cursor_after(items[-1], SORT) if len(found) > page.limit else None
