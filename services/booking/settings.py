from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings, shared


class BookingSettings(ServiceSettings):
    service = "booking"
    default_port = 8082

    caldav_url: str = shared(
        "http://127.0.0.1:5232/", description="Default CalDAV server for confidants' calendars."
    )
    data_keys_file: Path = Field(description="Keys for calendar passwords at rest (JSON).")
    intake_url: str = Field(
        "http://127.0.0.1:8081/",
        description="Where people reach intake: the agenda links each appointment to its case.",
    )
    video_base_url: str = Field(
        "https://meet.vertrouwd.example/", description="Base URL of video rooms."
    )
    sync_interval_s: float = Field(60.0, gt=0, description="Seconds between calendar syncs.")
    sync_stale_after_s: float = Field(
        900.0, gt=0, description="A calendar not synced for this long closes its slots."
    )
    writer_interval_s: float = Field(5.0, gt=0, description="Seconds between calendar writes.")
    sync_max_removal_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A full sync that would remove more than this share of a calendar's "
        "events (of 5 or more) is held for the confidant to confirm, not applied.",
    )
    writer_max_attempts: int = Field(
        5,
        ge=1,
        description="Failed writes of an appointment to the calendar before it is shown "
        "as 'calendar write failed' (it is still tried, hourly).",
    )
