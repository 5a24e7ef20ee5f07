from __future__ import annotations

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service = "intake"
    default_port = 8081
