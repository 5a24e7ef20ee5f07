from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings, SmtpSettings


class NotifySettings(ServiceSettings, SmtpSettings):
    service = "notify"
    default_port = 8083

    sender_address: str = Field(
        "noreply@vertrouwd.example", max_length=254, description="From address of every mail."
    )
    sender_name: str = Field(
        "Vertrouwd", max_length=100, description="Sender name, e.g. the firm's name."
    )
    footer_nl: str = Field(
        "Dit bericht is automatisch verstuurd; antwoorden wordt niet gelezen.",
        max_length=500,
        description="Footer under every Dutch mail (the firm's details).",
    )
    footer_en: str = Field(
        "This message was sent automatically; replies are not read.",
        max_length=500,
        description="Footer under every English mail.",
    )
    intake_url: str = Field(
        "http://127.0.0.1:8081/",
        description="Where people reach intake, when there is no SUITE_URL (links in mails).",
    )
    service_token_file: Path = Field(
        description="Token of role 'service', sub 'notify', for intake and booking look-ups."
    )
    data_keys_file: Path = Field(description="Keys for webhook secrets at rest (JSON).")
    reminders_min: tuple[int, ...] = Field(
        (1440, 60), description="Reminders before each appointment, minutes, comma-separated."
    )
    send_backoff_s: tuple[float, ...] = Field(
        (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0),
        description="Seconds between retries of a failed send, comma-separated.",
    )
    max_attempts: int = Field(8, ge=1, le=50, description="Send attempts before dead.")
    sweep_interval_s: float = Field(
        5.0, gt=0, description="Seconds between looks for due reminders and retries."
    )
    workers: int = Field(8, ge=1, le=64, description="Sends under way at once.")
    webhook_timeout_s: float = Field(5.0, gt=0, description="Seconds a webhook may take.")
    webhook_allow_private: bool = Field(
        False, description="Allow webhooks to loopback and private addresses (development)."
    )
    timezone: str = Field(
        "Europe/Amsterdam", max_length=64, description="Time zone of times in mails."
    )
    lease_s: float = Field(
        60.0,
        gt=0,
        description="A send not finished after this long is taken up again (after a crash).",
    )
