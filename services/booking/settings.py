from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from services.booking.domain.video import JitsiMeet
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
    jitsi_url: str = Field(
        "https://meet.jit.si/",
        description="The Jitsi Meet server of video rooms (a room per appointment; "
        "an https URL, checked at start).",
    )
    jitsi_app_id: str = Field(
        "", description="App id of a Jitsi with token authentication (signed room links)."
    )
    jitsi_app_secret: str = Field("", description="Its app secret (set both or neither).")
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
    icloud_caldav_url: str = Field(
        "https://caldav.icloud.com/", description="Where iCloud calendars are discovered."
    )
    oauth_redirect_url: str = Field(
        "",
        description="The agenda page's address as registered with Google and Microsoft "
        "(default: SUITE_URL with staff/agenda).",
    )
    google_client_id: str = Field(
        "", description="OAuth client of Google Calendar (unset: Google is not offered)."
    )
    google_client_secret: str = Field("", description="Its client secret.")
    google_authorize_url: str = Field(
        "https://accounts.google.com/o/oauth2/v2/auth", description="Google's authorisation."
    )
    google_token_url: str = Field(
        "https://oauth2.googleapis.com/token", description="Google's token endpoint."
    )
    google_caldav_url: str = Field(
        "https://apidata.googleusercontent.com/caldav/v2/",
        description="Google's CalDAV root (calendars at <root><address>/events/).",
    )
    microsoft_client_id: str = Field(
        "", description="Entra ID app of Microsoft 365 calendars (unset: not offered)."
    )
    microsoft_client_secret: str = Field("", description="Its client secret.")
    microsoft_authorize_url: str = Field(
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        description="Microsoft's authorisation.",
    )
    microsoft_token_url: str = Field(
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        description="Microsoft's token endpoint.",
    )
    microsoft_graph_url: str = Field(
        "https://graph.microsoft.com/v1.0/", description="Microsoft Graph."
    )

    @model_validator(mode="after")
    def video_rooms_open(self) -> Self:
        """A video setting that would put dead links in mails stops the start."""
        self.video()
        return self

    def video(self) -> JitsiMeet:
        return JitsiMeet(self.jitsi_url, self.jitsi_app_id, self.jitsi_app_secret)

    def redirect_uri(self, origin: str) -> str:
        """Where the providers send the confidant back to: the agenda page, at the address
        set, or the suite's, or (without either, as on a developer's machine) the one the
        page was asked at, ``origin``."""
        if self.oauth_redirect_url:
            return self.oauth_redirect_url
        return self.public_url(origin).rstrip("/") + "/staff/agenda"
