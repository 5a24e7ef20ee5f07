"""Video rooms, behind a small interface: Jitsi Meet by default, or the confidant's own
fixed room (a Teams or Zoom personal room) where she set one.

A Jitsi room is made without calling anyone: a room per appointment on the configured Jitsi
(``https://meet.jit.si/`` unless the installation runs its own) with a name nobody can guess
(128 bits). An installation whose Jitsi uses token authentication (prosody's ``token`` auth,
``app_id`` and ``app_secret``) gets a JWT in the link, valid for that room only and until the
conversation is well over, as Jitsi's token documentation describes: ``aud`` "jitsi", ``iss``
the app id, ``sub`` the Jitsi host, ``room`` the room name.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

import jwt

# How long after its end a room's token still opens it (a conversation that runs over).
GRACE = timedelta(hours=2)


class VideoProvider(Protocol):
    def room_for(self, appointment_id: str, end: datetime, own_room: str | None) -> str: ...


class VideoSettingError(ValueError):
    """A video setting that would make dead links; raised at start, never in a mail."""


def check_room_url(url: str, what: str) -> str:
    """An absolute https URL with a host (the only kind a browser opens as a meeting)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise VideoSettingError(f"{what} must be an https URL with a host, not {url!r}")
    if parts.hostname.endswith((".example", ".invalid", ".test")) or parts.hostname in (
        "example.com",
        "example.org",
    ):
        raise VideoSettingError(f"{what} names a host that serves no meetings: {url!r}")
    return url


@dataclass(frozen=True)
class JitsiMeet:
    """Rooms on a Jitsi Meet server; with ``app_id`` and ``app_secret``, signed links."""

    base_url: str
    app_id: str = ""
    app_secret: str = ""

    def __post_init__(self) -> None:
        check_room_url(self.base_url, "BOOKING_JITSI_URL")
        if bool(self.app_id) != bool(self.app_secret):
            raise VideoSettingError(
                "BOOKING_JITSI_APP_ID and BOOKING_JITSI_APP_SECRET go together: set both "
                "(a Jitsi with token authentication) or neither"
            )

    def room_for(self, appointment_id: str, end: datetime, own_room: str | None) -> str:
        if own_room:  # the confidant's personal room: the same link every time
            return own_room
        room = f"vp-{secrets.token_urlsafe(16)}"
        url = f"{self.base_url.rstrip('/')}/{room}"
        if not self.app_id:
            return url
        claims = {
            "aud": "jitsi",
            "iss": self.app_id,
            "sub": urlsplit(self.base_url).hostname,
            "room": room,
            "exp": int((end + GRACE).timestamp()),
        }
        token = jwt.encode(claims, self.app_secret, algorithm="HS256")
        return f"{url}?jwt={token}"
