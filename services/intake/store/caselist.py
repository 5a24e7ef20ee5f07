"""A confidant's cases, newest first, read a month at a time.

FerretDB sorts in Go. Asked for a confidant's 50 newest cases by ``confidant_id``, it reads
and decodes every case that confidant ever had (2,000 at a million-case firm: 314 ms) to
hand back 50. So each case carries ``confidant_month``, ``"<confidant>|<YYYY-MM>"`` of its
creation (indexed; changed with a hand-over), and each month a confidant was given a case
in is claimed, before the case is written, by an insert into ``list_months`` (its
``_id`` that same key): an insert holds under concurrency on every engine, where FerretDB's
``$min``/``$max`` on one document do not across processes (a lost one would hide cases). A
page reads the confidant's months (a few dozen small documents), then asks month by month
by equality, newest first, and stops once it is full: it reads about a page of cases
whatever the firm's size. A list of one open status asks by ``confidant_status``
(``"<confidant>|<status>"``) instead: those are few, however many closed cases the
confidant holds. Until every case carries both keys (the marker ``MONTHS`` in
``migrations``), the page is asked for the plain way.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from services.intake.domain.rules import OPEN_STATUSES, month_of
from shared.db import Document, duplicate
from shared.errors import invalid
from shared.listing import Page, cursor_after, find_page, keyset

from .collections import MIGRATIONS, MONTH_CLAIMS
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


async def claim_month(db: AsyncDatabase[Document], confidant_id: str, created_at: datetime) -> None:
    """The month of a case made at ``created_at`` claimed for the confidant's list (once;
    a claim that is there already is what was wanted)."""
    key = month_key(confidant_id, created_at)
    try:
        await db[MONTH_CLAIMS].insert_one(
            {"_id": key, "confidant_id": confidant_id, "month": month_of(created_at)}
        )
    except PyMongoError as exc:
        if not duplicate(exc):
            raise


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
    claimed = db[MONTH_CLAIMS].find({"confidant_id": confidant_id}, {"month": 1})
    newest = "9999-12" if page.after is None else month_of(page.after[0])
    names: list[str] = [str(m["month"]) async for m in claimed]
    months = iter(sorted((m for m in names if m <= newest), reverse=True))

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
