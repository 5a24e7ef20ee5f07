from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings, shared


class NotifySettings(ServiceSettings):
    service = "notify"
    default_port = 8083

    smtp_host: str = shared("127.0.0.1", description="SMTP relay host.")
    smtp_port: int = shared(1025, ge=1, le=65535, description="SMTP relay port.")
    smtp_starttls: bool = shared(False, description="Use STARTTLS with the relay.")
    smtp_username: str = shared("", description="SMTP user name (empty: no login).")
    smtp_password: str = shared("", description="SMTP password.")
    mail_from: str = Field("Vertrouwd <noreply@vertrouwd.local>", description="From address.")
