"""A confidant's calendar account, whichever provider keeps it, behind one interface: what
the sync and the writer need, and nothing of how the provider does it.

- ``caldav``: any CalDAV server, with a password (Basic, or Digest when asked);
- ``icloud``: CalDAV at Apple, with an app-specific password, found by discovery;
- ``google``: CalDAV at Google, with an OAuth grant instead of a password;
- ``microsoft``: Microsoft 365 and Outlook.com through Microsoft Graph, with an OAuth grant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import aiohttp

from services.booking.calendars.dav import Changes, Creds, Dav, DavError
from services.booking.calendars.graph import Graph
from services.booking.calendars.oauth import Grant
from services.booking.state import Booking
from services.booking.store.documents import Appointment, Confidant

PROVIDERS = ("caldav", "icloud", "google", "microsoft")
OAUTH = ("google", "microsoft")


class Calendars(Protocol):
    waited_s: float  # time spent waiting for the server (for the sync report)

    async def ctag(self, calendar: str) -> str | None:
        """A cheap "did anything change?" where the server has one."""

    async def delta(self, calendar: str, token: str) -> Changes:
        """What changed since ``token``, with the changed objects' data; DavError
        ``invalid`` when the token is no longer accepted (a full listing is due)."""
        ...

    async def listing(
        self, calendar: str, start: datetime, end: datetime
    ) -> tuple[str | None, dict[str, tuple[str, str]]]:
        """A token for the next delta, and every object in the window (href -> (etag,
        iCalendar text))."""
        ...

    async def write(
        self, calendar: str, appointment: Appointment, href: str | None, etag: str | None
    ) -> tuple[str, str | None]:
        """Create (``href`` None) or replace the appointment's event; where it is, its ETag."""
        ...

    async def remove(self, href: str, etag: str | None) -> None:
        """Delete the event (gone already is fine)."""


def open_calendars(
    booking: Booking, session: aiohttp.ClientSession, confidant: Confidant
) -> Calendars:
    calendar = confidant.get("calendar")
    if not calendar:
        raise DavError("unauthorized", "no calendar is connected")
    provider = calendar.get("provider", "caldav")
    if provider == "microsoft":
        return Graph(session, calendar["url"], Grant(booking, session, confidant))
    if provider == "google":
        grant = Grant(booking, session, confidant)
        return Dav(session, Creds(calendar["url"], calendar["username"], "", grant))
    password = booking.cipher.open(
        calendar["password"], doc_id=confidant["_id"], field="calendar.password"
    )
    return Dav(session, Creds(calendar["url"], calendar["username"], password))
