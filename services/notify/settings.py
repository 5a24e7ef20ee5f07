from __future__ import annotations

from shared.settings import ServiceSettings, shared


class NotifySettings(ServiceSettings):
    service = "notify"
    default_port = 8083

    smtp_host: str = shared("127.0.0.1", description="SMTP relay host.")
    smtp_port: int = shared(1025, ge=1, le=65535, description="SMTP relay port.")
