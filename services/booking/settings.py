from __future__ import annotations

from shared.settings import ServiceSettings


class BookingSettings(ServiceSettings):
    service = "booking"
    default_port = 8082
