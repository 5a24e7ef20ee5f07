"""Video rooms, behind a small interface so a real provider can be plugged in.

The default needs no provider at all: a room URL on a configured base (a self-hosted Jitsi,
say) with a name nobody can guess (128 bits), made without calling anyone.
"""

from __future__ import annotations

import secrets
from typing import Protocol


class VideoProvider(Protocol):
    def room_for(self, appointment_id: str) -> str: ...


class RoomUrlProvider:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/") + "/"

    def room_for(self, appointment_id: str) -> str:
        return f"{self.base_url}vp-{secrets.token_urlsafe(16)}"
