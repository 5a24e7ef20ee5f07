"""Typed settings read from environment variables.

Every service has a prefix (``INTAKE_``, ``BOOKING_`` ...). A field marked as shared may also
be set once for the whole suite without a prefix (``MONGODB_URI``, ``NATS_URL`` ...); the
prefixed variable wins. A bad or missing value stops start-up with a message that names the
variable, so an operator never has to guess which of forty variables is wrong.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.smtp import Smtp


class SettingsError(Exception):
    """Raised when the environment does not describe a runnable service."""


def shared(default: Any = ..., **kwargs: Any) -> Any:
    """A field that may also be set suite-wide, without the service prefix."""
    return Field(default, json_schema_extra={"shared": True}, **kwargs)


class ServiceSettings(BaseModel):
    """What every service needs; each service subclasses it and sets ``service``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: ClassVar[str] = ""
    default_port: ClassVar[int] = 8080

    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(0, ge=0, le=65535, description="HTTP port (0: the service's default).")
    mongodb_uri: str = shared("mongodb://127.0.0.1:27217/", description="MongoDB connection URI.")
    mongodb_database: str = Field("", description="Database name (default vertrouwd_<service>).")
    nats_url: str = shared(
        "nats://127.0.0.1:4322", description="NATS server URL(s), comma-separated."
    )
    nats_stream: str = shared(
        "EVENTS", pattern=r"^[A-Za-z0-9_-]+$", description="JetStream stream."
    )
    nats_subject_prefix: str = shared(
        "", pattern=r"^([a-z0-9_-]+\.)?$", description="Prefix for every subject, e.g. 'test1.'."
    )
    jwks_file: Path = shared(description="JSON Web Key Set with the public keys that sign tokens.")
    jwt_issuer: str = shared("vertrouwd", description="Expected 'iss' claim of tokens.")
    nats_stream_replicas: int | None = shared(
        None,
        ge=1,
        le=5,
        description="Replicas of the stream when a service creates it (unset: as many as the "
        "NATS cluster has servers, up to 3); an existing stream is never changed.",
    )
    nats_stream_max_age_s: float = shared(
        0.0, ge=0, description="Max age of events in a stream a service creates (0: no limit)."
    )
    suite_url: str = shared(
        "",
        pattern=r"^(https?://[^\s/]+(/[^\s]*)?/)?$",
        description="The suite's one address: a reverse proxy routing by path (docs/operations.md, "
        "'The front door'). Set, pages call the APIs under /api/<service>/ and link to each "
        "other, and mails link, under it; empty, each service is reached on its own address.",
    )
    check_answers: bool = shared(
        False,
        description="Check every success against the answer its route declares, and fail "
        "loudly when it differs (the tests run so; off in production).",
    )
    outbox_relay_s: float = shared(
        2.0,
        gt=0,
        le=300,
        description="Seconds between relays of events stored but not yet published.",
    )
    outbox_sweep_s: float = shared(
        300.0,
        gt=0,
        description="Seconds between looks for events staged by an instance that died (by "
        "the indexed outbox_pending; a collection's first look reads it all, once).",
    )
    otel_exporter_otlp_endpoint: str = shared(
        "",
        description="OTLP/HTTP collector for traces, e.g. http://otel-collector:4318 "
        "(unset: no tracing).",
    )
    max_deliver: int = shared(
        5, ge=1, le=100, description="Deliveries of an event before dead-letter."
    )
    retry_backoff: tuple[float, ...] = shared(
        (1.0, 5.0, 30.0, 120.0), description="Seconds between redeliveries, comma-separated."
    )
    ack_wait_s: float = shared(
        30.0, gt=0, le=3600, description="Seconds before an unacknowledged event comes again."
    )
    log_level: str = shared(
        "INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$", description="Log level."
    )
    max_body_bytes: int = shared(64 * 1024, ge=1024, description="Largest request body accepted.")
    metrics_token: str = shared(
        "",
        description="Bearer token a Prometheus scraper sends for /metrics (unset: no metrics).",
    )

    @property
    def database_name(self) -> str:
        return self.mongodb_database or f"vertrouwd_{self.service}"

    def public_url(self, own: str) -> str:
        """Where people reach another service's pages: the suite's one address if there is
        one, else that service's own (``own``, from its setting)."""
        return self.suite_url or own

    def public_api(self) -> str:
        """Where this service's pages find its API: under the front door's /api/<service>/,
        or at the root of the service's own address."""
        return f"/api/{self.service}/" if self.suite_url else "/"

    @property
    def http_port(self) -> int:
        return self.port or self.default_port

    @classmethod
    def env_prefix(cls) -> str:
        return f"{cls.service.upper()}_"

    @classmethod
    def env_names(cls, name: str) -> list[str]:
        """The variables that can set field ``name``, the one that wins first."""
        field = cls.model_fields[name]
        names = [f"{cls.env_prefix()}{name.upper()}"]
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("shared"):
            names.append(name.upper())
        return names

    @classmethod
    def all_env_names(cls) -> set[str]:
        return {env for name in cls.model_fields for env in cls.env_names(name)}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        environ = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        source: dict[str, str] = {}
        for name, field in cls.model_fields.items():
            for env in cls.env_names(name):
                if env in environ:
                    value: Any = environ[env]
                    if _is_tuple(field.annotation):
                        value = tuple(v.strip() for v in value.split(",") if v.strip())
                    raw[name] = value
                    source[name] = env
                    break
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                env = source.get(name) or (
                    cls.env_names(name)[0] if name in cls.model_fields else name
                )
                shown = "missing" if err["type"] == "missing" else err["msg"]
                problems.append(f"{env}: {shown}")
            raise SettingsError(
                f"{cls.service} cannot start, bad settings: " + "; ".join(problems)
            ) from None


def _is_tuple(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is tuple


class SmtpSettings(BaseModel):
    """Where a service hands its mail to (notify; intake for replies in a reporter's thread)."""

    smtp_host: str = shared("127.0.0.1", description="SMTP relay host.")
    smtp_port: int = shared(1025, ge=1, le=65535, description="SMTP relay port.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_tls: bool = Field(False, description="Implicit TLS from the start (port 465).")
    smtp_username: str = Field("", description="SMTP user name (empty: no authentication).")
    smtp_password_file: Path | None = Field(None, description="File with the SMTP password.")
    smtp_timeout_s: float = Field(10.0, gt=0, description="Seconds before an SMTP step fails.")

    def smtp(self) -> Smtp:
        return Smtp(
            self.smtp_host,
            self.smtp_port,
            starttls=self.smtp_starttls,
            tls=self.smtp_tls,
            username=self.smtp_username,
            password_file=self.smtp_password_file,
            timeout=self.smtp_timeout_s,
        )


def command_line(
    prog: str, doc: str | None
) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[argparse.ArgumentParser]]:
    """An operator's command (``python -m <prog> <command> ...``): its parser, described by
    the module's docstring as written, and the place to add its commands."""
    parser = argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser, parser.add_subparsers(dest="command", required=True)
