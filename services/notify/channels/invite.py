"""The calendar invitation a reporter gets with an appointment mail (iTIP, RFC 5546).

Same UID as the event in the confidant's calendar (``vertrouwd-<appointment id>@vertrouwd``)
and booking's SEQUENCE, so a calendar program updates or removes the one event it has.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from icalendar import Calendar, Event, vCalAddress, vText

from shared.messages import N_, translate
from shared.replies import Appointment
from shared.text import locale_of

Method = Literal["REQUEST", "CANCEL"]
PRODID = "-//Vertrouwd//notify//NL"
SUMMARY = N_("Confidential conversation")


def uid(appointment_id: str) -> str:
    return f"vertrouwd-{appointment_id}@vertrouwd"


def invitation(
    appointment: Appointment,
    method: Method,
    *,
    organizer: tuple[str, str],
    attendee: str,
    locale: str,
    now: datetime,
) -> bytes:
    """``appointment`` as booking describes it (id, start, end, mode, sequence, video_url,
    address); ``organizer`` is (name, address) of the sender."""
    event = Event()
    event.add("uid", uid(appointment["id"]))
    event.add("dtstamp", now)
    event.add("dtstart", _moment(appointment["start"]))
    event.add("dtend", _moment(appointment["end"]))
    event.add("sequence", int(appointment.get("sequence", 0)))
    event.add("summary", translate(SUMMARY, locale_of(locale)))
    where = appointment.get("video_url") or appointment.get("address")
    if where:
        event.add("location", where)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer_address = vCalAddress(f"mailto:{organizer[1]}")
    organizer_address.params["cn"] = vText(organizer[0])
    event.add("organizer", organizer_address)
    attendee_address = vCalAddress(f"mailto:{attendee}")
    attendee_address.params["role"] = vText("REQ-PARTICIPANT")
    attendee_address.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee_address)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def _moment(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC)
