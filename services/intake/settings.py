from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
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
    trusted_proxy_hops: int = Field(
        0,
        ge=0,
        le=10,
        description="Reverse proxies of yours in front of intake; the client address is the one "
        "the outermost of them saw in X-Forwarded-For (0: the connection's peer).",
    )
