"""The organisation's own work, entered by hand: an introduction or a session held outside
the booking pages, writing the yearly report. Billed as the organisation's work, never as
a case's; a month that is invoiced takes no more (a credit note reopens it).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from services.reporting.domain.pricing import Usage
from services.reporting.state import Reporting
from services.reporting.store.documents import (
    Activity,
    ActivityKind,
    activities,
    credit_notes,
    invoices,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.wire import Body


class ActivityInput(Body):
    kind: ActivityKind
    day: date
    minutes: int = Field(ge=5, le=24 * 60)
    travel_minutes: int = Field(0, ge=0, le=24 * 60)
    km: float = Field(0, ge=0, le=2000)  # there and back


async def invoiced(r: Reporting, org_id: str, month: int) -> bool:
    """Whether an invoice that stands (not credited) covers the month."""
    async for invoice in invoices(r.db).find({"org_id": org_id}, {"start": 1, "end": 1}):
        if invoice["start"] <= month < invoice["end"]:
            credited = await credit_notes(r.db).find_one({"_id": invoice["_id"]}, {"_id": 1})
            if credited is None:
                return True
    return False


async def record(r: Reporting, org_id: str, body: ActivityInput, now: datetime) -> Activity:
    if body.day > now.date():
        raise Invalid("work is entered once it is done", {"day": "not in the future"})
    month = body.day.year * 12 + body.day.month - 1  # as projection.month_of counts
    if await invoiced(r, org_id, month):
        raise Conflict("this month is invoiced: credit that invoice first")
    doc: Activity = {
        "_id": secrets.token_hex(12),
        "org_id": org_id,
        "kind": body.kind,
        "day": body.day.isoformat(),
        "month": month,
        "minutes": body.minutes,
        "travel_minutes": body.travel_minutes,
        "km": body.km,
        "created_at": now,
    }
    await activities(r.db).insert_one(doc)
    return doc


async def remove(r: Reporting, org_id: str, activity_id: str) -> None:
    found = await activities(r.db).find_one({"_id": activity_id, "org_id": org_id})
    if found is None:
        raise NotFound("no such activity")
    if await invoiced(r, org_id, found["month"]):
        raise Conflict("this month is invoiced: credit that invoice first")
    await activities(r.db).delete_one({"_id": activity_id, "org_id": org_id})


def usage_of(entered: list[Activity]) -> Usage:
    """What the activities add to a period's usage: the organisation's time and travel."""
    travelled = [a for a in entered if a["km"] or a["travel_minutes"]]
    return Usage(
        months=0,
        cases=0,
        case_hours=Decimal(0),
        conversations=0,
        visits=len(travelled),
        organisation_minutes=sum(a["minutes"] for a in entered),
        km=Decimal(str(round(sum(a["km"] for a in entered), 1))),
        travel_minutes=sum(a["travel_minutes"] for a in entered),
    )


async def in_period(r: Reporting, org_id: str, start: int, end: int) -> list[Activity]:
    found = activities(r.db).find({"org_id": org_id}).sort("day", 1)
    return [a async for a in found if start <= a["month"] < end]
