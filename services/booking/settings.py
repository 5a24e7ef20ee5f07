from __future__ import annotations

from shared.settings import ServiceSettings, shared


class BookingSettings(ServiceSettings):
    service = "booking"
    default_port = 8082

    caldav_url: str = shared(
        "http://127.0.0.1:5232/", description="Default CalDAV server for confidants' calendars."
    )
