from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from shared.http import IPNetwork, proxy_networks
from shared.settings import ServiceSettings, SmtpSettings


class IntakeSettings(ServiceSettings, SmtpSettings):
    service = "intake"
    default_port = 8081

    signing_key_file: Path = Field(description="Ed25519 private key (PEM) that signs tokens.")
    signing_kid: str = Field(min_length=1, description="Key id of the signing key.")
    data_keys_file: Path = Field(description="Keys for personal data at rest (JSON, see docs).")
    staff_token_ttl_s: int = Field(3600, ge=60, le=86400, description="Staff token lifetime.")
    case_token_ttl_s: int = Field(3600, ge=60, le=86400, description="Reporter token lifetime.")
    # Case codes carry 100 random bits: guessing is hopeless at any hash cost, so the cost
    # is kept low enough for 50 reports/s on two cores (docs/performance.md has the trade).
    argon2_time_cost: int = Field(1, ge=1, le=10, description="argon2id passes for case codes.")
    argon2_memory_kib: int = Field(8192, ge=1024, description="argon2id memory for case codes.")
    case_rate_limit: int = Field(20, ge=1, description="New cases per client address per window.")
    rate_window_s: int = Field(60, ge=1, description="Window of the case and code rate limits.")
    code_max_failures: int = Field(10, ge=1, description="Wrong case codes per address per window.")
    login_max_failures: int = Field(5, ge=1, description="Wrong passwords before a lock-out.")
    lockout_s: int = Field(900, ge=1, description="Seconds an account or address stays locked.")
    failure_delay_s: float = Field(0.25, ge=0, le=5, description="Base delay after a failure.")
    code_inactive_days: int = Field(90, ge=1, description="Closed cases: code expiry (days).")
    jobs_interval_s: float = Field(300.0, gt=0, description="Seconds between retention runs.")
    booking_url: str = Field(
        "http://127.0.0.1:8082/", description="Where people reach booking (the booking page)."
    )
    reporting_url: str = Field(
        "http://127.0.0.1:8084/", description="Where people reach reporting (reports pages)."
    )
    trusted_proxies: str = Field(
        "",
        max_length=2000,
        description="Addresses or networks of your reverse proxies, comma-separated "
        "(127.0.0.1, 10.0.0.0/8): X-Forwarded-For is believed only from them, as nginx's "
        "set_real_ip_from (empty: never; the connection's peer is the client).",
    )
    escrow_public_key: str = Field(
        "",
        max_length=64,
        description="The firm's escrow public key (base64, from python -m deploy.escrow new): "
        "every person's private key is also sealed to it (empty: not made yet).",
    )
    firm_signing_key: str = Field(
        "",
        max_length=64,
        description="The firm's signing key (base64, from python -m deploy.escrow new): a "
        "person's key is sealed to only once it carries the firm's certificate (empty: "
        "no certificates asked).",
    )
    webauthn_origin: str = Field(
        "",
        max_length=200,
        pattern=r"^(https?://[^/\s]+)?$",
        description="The address staff log in at (https://vertrouwd.example), whose security "
        "keys are asked for; empty: the address each page was served from.",
    )
    mailbox_keep_days: int = Field(
        0,
        ge=0,
        le=365,
        description="With an escrow key (cases sealed to keys): days a stored mail may stay "
        "in the mailbox's Processed folder; 0 deletes it as soon as it is sealed.",
    )
    code_max_failures_per_org: int = Field(
        200,
        ge=1,
        description="Wrong case codes per organisation (or, for codes tried without one, "
        "suite-wide) per window, from any address: rotating addresses buys nothing.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        proxy_networks(value)  # a ValueError names the part that is not an address
        return value

    @property
    def proxies(self) -> tuple[IPNetwork, ...]:
        return proxy_networks(self.trusted_proxies)

    # -- channels: e-mail and WhatsApp (docs/operations.md, "Channels") ----------------------
    imap_host: str = Field(
        "", description="IMAP server of the organisations' mailboxes (empty: no e-mail intake)."
    )
    imap_port: int = Field(993, ge=1, le=65535, description="IMAP port (993 with TLS).")
    imap_tls: bool = Field(True, description="Implicit TLS to the IMAP server.")
    imap_idle: bool = Field(
        True, description="Wait with IDLE where the server offers it (false: always poll)."
    )
    imap_poll_s: float = Field(
        60.0, gt=0, description="Seconds between checks of a mailbox without IDLE."
    )
    imap_idle_s: float = Field(
        600.0, gt=0, le=1740, description="Seconds an IDLE lasts before it is renewed."
    )
    mailbox_scan_s: float = Field(
        10.0, gt=0, description="Seconds between looks for mailboxes added or changed."
    )
    mail_sender_name: str = Field(
        "Vertrouwd", max_length=100, description="Sender name of replies in a reporter's thread."
    )
    relay_interval_s: float = Field(
        5.0, gt=0, description="Seconds between retries of replies not yet delivered."
    )
    whatsapp_api_url: str = Field(
        "https://graph.facebook.com/v21.0",
        description="Base URL of the WhatsApp Cloud API (Graph API, with its version).",
    )
    whatsapp_access_token_file: Path | None = Field(
        None, description="File with the WhatsApp Cloud API access token (unset: channel off)."
    )
    whatsapp_app_secret_file: Path | None = Field(
        None, description="File with the Meta app secret that signs webhooks (X-Hub-Signature-256)."
    )
    whatsapp_verify_token_file: Path | None = Field(
        None, description="File with the verify token of the webhook subscription handshake."
    )

    @property
    def whatsapp_on(self) -> bool:
        return bool(
            self.whatsapp_access_token_file
            and self.whatsapp_app_secret_file
            and self.whatsapp_verify_token_file
        )
