"""Forgetting what booking keeps of a person when their case is purged."""

from __future__ import annotations

from services.booking.state import Booking
from services.booking.store.documents import appointments


async def forget_numbers(booking: Booking, case_id: str) -> None:
    """Remove the numbers to call of a purged case's appointments. Each by ``_id`` (found by
    the case's index): an update filtered on more than ``_id`` is no atomic single-document
    operation on FerretDB, and this runs again harmlessly when the event is redelivered."""
    found = appointments(booking.db).find({"case_id": case_id, "phone": {"$ne": None}}, ["_id"])
    async for doc in found:
        await appointments(booking.db).update_one({"_id": doc["_id"]}, {"$set": {"phone": None}})
