"""Taking and moving an appointment's time: the claims that make double booking impossible.

An appointment claims every 5-minute granule it occupies, buffers included, as documents
with a unique ``_id`` ("<confidant>|<granule>"). Inserting a claim that exists fails in the
database itself, so of any number of concurrent requests, in any number of instances, one
wins: on MongoDB and on FerretDB alike (unique indexes hold under concurrency on both).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.booking.domain.availability import Interval
from services.booking.domain.rules import claim_ids
from services.booking.state import Booking
from services.booking.store.collections import APPOINTMENTS
from services.booking.store.documents import Appointment, Claim, Held, claims
from shared.db import Query
from shared.event_schemas import AppointmentCancelled, AppointmentHeld, AppointmentRescheduled
from shared.events import Envelope, EventData, new_event


class Taken(Exception):
    """The time asked for is not free (any more)."""


def booked_event(schema: type[EventData], doc: Appointment, at: datetime, **extra: Any) -> Envelope:
    """An event about the appointment ``doc`` that happened ``at`` (the service's clock)."""
    data = {
        "appointment_id": doc["_id"],
        "case_id": doc["case_id"],
        "confidant_id": doc["confidant_id"],
        "starts_at": doc["start"],
        "ends_at": doc["end"],
        "mode": doc["mode"],
        "sequence": doc.get("sequence", 0),
        "meeting": doc.get("meeting", "case"),
        **extra,
    }
    return new_event(schema, data, source="booking", org_id=doc["org_id"], occurred_at=at)


async def claim(booking: Booking, ids: list[str], owner: str, appointment_id: str) -> bool:
    """Take every granule or none. The unique _id decides between concurrent requests,
    in any number of instances; a loser gives back what it had taken."""
    now = booking.clock.now()
    docs: list[Claim] = [
        {"_id": i, "owner": owner, "appointment_id": appointment_id, "claimed_at": now} for i in ids
    ]
    try:
        await claims(booking.db).insert_many(docs, ordered=True)
    except (BulkWriteError, DuplicateKeyError):
        await claims(booking.db).delete_many({"owner": owner})
        return False
    return True


async def move(
    booking: Booking,
    doc: Appointment,
    start: datetime,
    duration: timedelta,
    taken: Interval,
    by: str,
) -> None:
    """Claim the new time (the granules it shares with the old time are ours already),
    then let go of the old time and publish. ``Taken`` if the new time is not free, or
    the appointment changed meanwhile."""
    sequence = doc.get("sequence", 0) + 1
    owner = f"{doc['_id']}:{sequence}"
    new_ids = set(claim_ids(doc["confidant_id"], taken))
    old_ids = {c["_id"] async for c in claims(booking.db).find({"appointment_id": doc["_id"]})}
    if not await claim(booking, sorted(new_ids - old_ids), owner, doc["_id"]):
        raise Taken("that slot is not free")
    updated: Appointment = {**doc, "start": start, "end": start + duration, "sequence": sequence}
    event = booked_event(AppointmentRescheduled, updated, booking.clock.now(), rescheduled_by=by)
    calendar = doc.get("calendar") or {}
    # Written already, or about to be: write it again at the new time. No calendar: none.
    pending = "put" if calendar.get("href") or calendar.get("pending") == "put" else None
    if not await booking.update_with_events(
        APPOINTMENTS,
        {"_id": doc["_id"], "sequence": doc.get("sequence", 0)},
        {
            "$set": {
                "start": start,
                "end": start + duration,
                "occupied": list(taken),
                "sequence": sequence,
                "updated_at": booking.clock.now(),
                "calendar.pending": pending,
            }
        },
        [event],
    ):
        await claims(booking.db).delete_many({"owner": owner})
        raise Taken("the appointment changed meanwhile")
    await claims(booking.db).delete_many({"_id": {"$in": sorted(old_ids - new_ids)}})


async def release_orphan_claims(
    booking: Booking, now: datetime | None = None, grace: timedelta = timedelta(minutes=2)
) -> int:
    """Give back claims whose appointment was never written (the process died between the
    two) or is no longer booked; return how many. ``grace`` spares bookings in flight."""
    cutoff = (now or booking.clock.now()) - grace
    owners = {
        c["appointment_id"]
        async for c in claims(booking.db).find(
            {"claimed_at": {"$lt": cutoff}}, {"appointment_id": 1}
        )
    }
    if not owners:
        return 0
    booked = {
        a["_id"]
        async for a in booking.db[APPOINTMENTS].find(
            {"_id": {"$in": sorted(owners)}, "status": "booked"}, {"_id": 1}
        )
    }
    orphans = sorted(owners - booked)
    if not orphans:
        return 0
    result = await claims(booking.db).delete_many(
        {"appointment_id": {"$in": orphans}, "claimed_at": {"$lt": cutoff}}
    )
    return result.deleted_count


async def cancel(booking: Booking, doc: Appointment, by: str, calendar: Query) -> bool:
    """Cancel a booked appointment, with its event, and give its time back; ``calendar``
    is what becomes of its copy in the confidant's calendar. False when it was no longer
    booked (changed meanwhile): nothing was done."""
    now = booking.clock.now()
    event = new_event(
        AppointmentCancelled,
        {
            "appointment_id": doc["_id"],
            "case_id": doc["case_id"],
            "confidant_id": doc["confidant_id"],
            "cancelled_by": by,
            "sequence": doc.get("sequence", 0),
            "meeting": doc.get("meeting", "case"),
        },
        source="booking",
        occurred_at=now,
        org_id=doc["org_id"],
    )
    if not await booking.update_with_events(
        APPOINTMENTS,
        {"_id": doc["_id"], "status": "booked"},
        {"$set": {"status": "cancelled", "updated_at": now, **calendar}},
        [event],
    ):
        return False
    await claims(booking.db).delete_many({"appointment_id": doc["_id"]})
    return True


async def confirm_held(booking: Booking, doc: Appointment, held: Held) -> bool:
    """Record how the conversation went (its real times, the travel), with its event; a
    later confirmation corrects an earlier one. False when it is no longer booked."""
    event = new_event(
        AppointmentHeld,
        {
            "appointment_id": doc["_id"],
            "case_id": doc["case_id"],
            "confidant_id": doc["confidant_id"],
            "mode": doc["mode"],
            "started_at": held["started_at"],
            "ended_at": held["ended_at"],
            "km": held["km"],
            "travel_minutes": held["travel_minutes"],
            "meeting": doc.get("meeting", "case"),
        },
        source="booking",
        occurred_at=held["at"],
        org_id=doc["org_id"],
    )
    return await booking.update_with_events(
        APPOINTMENTS,
        {"_id": doc["_id"], "status": "booked"},
        {"$set": {"held": held, "updated_at": held["at"]}},
        [event],
    )
