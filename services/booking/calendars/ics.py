"""The calendar event of an appointment (RFC 5545), with no personal data in it."""

from __future__ import annotations

from icalendar import Calendar, Event

from services.booking.store.documents import Appointment

PRODID = "-//Vertrouwd//booking//NL"
MODES = {
    "online": "online (video)",
    "on_location": "op locatie",
    "phone": "telefonisch",
    "walk": "wandelend",
}


def uid(appointment_id: str) -> str:
    return f"vertrouwd-{appointment_id}@vertrouwd"


def appointment_id_from(uid_value: str) -> str | None:
    if uid_value.startswith("vertrouwd-") and uid_value.endswith("@vertrouwd"):
        return uid_value[len("vertrouwd-") : -len("@vertrouwd")]
    return None


SUMMARY = "Vertrouwelijk gesprek"


def where_of(appointment: Appointment) -> str | None:
    where: str | None = appointment.get("video_url") or appointment.get("address")
    return where


def description_of(appointment: Appointment) -> str:
    """A reference and the mode: nothing about the person or the case."""
    mode = MODES.get(appointment["mode"], appointment["mode"])
    return f"Referentie {appointment['_id'][:8]}, {mode}"


def vevent(appointment: Appointment) -> Event:
    event = Event()
    event.add("uid", uid(appointment["_id"]))
    # The object's revision: when the appointment last changed (RFC 5545 3.8.7.2, for an
    # object without METHOD), so the same appointment always writes the same object.
    event.add("dtstamp", appointment["updated_at"])
    event.add("dtstart", appointment["start"])
    event.add("dtend", appointment["end"])
    event.add("sequence", appointment.get("sequence", 0))
    event.add("summary", SUMMARY)
    where = where_of(appointment)
    if where:
        event.add("location", where)
    event.add("description", description_of(appointment))
    event.add("status", "CANCELLED" if appointment["status"] == "cancelled" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def calendar_of(appointment: Appointment, method: str | None = None) -> bytes:
    """The appointment as iCalendar. Stored in a CalDAV collection it carries no METHOD
    (RFC 4791 4.1: strict servers refuse one); a file to download says PUBLISH."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method is not None:
        calendar.add("method", method)
    calendar.add_component(vevent(appointment))
    data: bytes = calendar.to_ical()
    return data
