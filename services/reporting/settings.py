from __future__ import annotations

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service = "reporting"
    default_port = 8084
