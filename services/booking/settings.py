from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings, shared


class BookingSettings(ServiceSettings):
    service = "booking"
    default_port = 8082

    caldav_url: str = shared(
        "http://127.0.0.1:5232/", description="Default CalDAV server for confidants' calendars."
    )
    sync_interval_s: float = Field(60.0, gt=0, description="Seconds between calendar syncs.")
