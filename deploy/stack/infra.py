"""The whole stack: which servers to start (or which external ones to use, from settings),
what the services read, and starting and stopping them in order."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from deploy.stack.bus import nats_server
from deploy.stack.calendars import radicale
from deploy.stack.database import ferretdb
from deploy.stack.mail import dovecot, smtp_sink
from deploy.stack.places import DEMO_CALDAV_USER
from deploy.stack.process import Process, free_port

# -- the whole stack ---------------------------------------------------------------------------


@dataclass
class Infra:
    """Where the servers are: embedded ones started here, or external ones from settings."""

    mongodb_uri: str
    nats_url: str
    caldav_url: str
    smtp_host: str
    smtp_port: int
    maildir: Path | None
    processes: list[Process]
    # The organisations' mailboxes: an external IMAP server, or the embedded Dovecot (its
    # folder, for ``mailbox_user``, and its LMTP port to deliver into it).
    imap_host: str = ""
    imap_port: int = 0
    imap_tls: bool = True
    imap_data: Path | None = None
    lmtp_port: int = 0

    def env(self) -> dict[str, str]:
        return {
            "MONGODB_URI": self.mongodb_uri,
            "NATS_URL": self.nats_url,
            "CALDAV_URL": self.caldav_url,
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": str(self.smtp_port),
            "INTAKE_IMAP_HOST": self.imap_host,
            "INTAKE_IMAP_PORT": str(self.imap_port),
            "INTAKE_IMAP_TLS": str(self.imap_tls).lower(),
        }

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)


def plan_infra(
    data: Path, environ: Mapping[str, str], ports: Mapping[str, int] | None = None
) -> Infra:
    """Decide which servers to start; external ones named in ``environ`` are used as they are."""

    def port(name: str) -> int:
        return ports[name] if ports and name in ports else free_port()

    processes: list[Process] = []
    mongodb_uri = environ.get("MONGODB_URI", "")
    if not mongodb_uri:
        p = ferretdb(data / "ferretdb", port("mongo"))
        processes.append(p)
        mongodb_uri = p.url
    nats_url = environ.get("NATS_URL", "")
    if not nats_url:
        p = nats_server(data / "nats", port("nats"))
        processes.append(p)
        nats_url = p.url
    caldav_url = environ.get("CALDAV_URL", "")
    if not caldav_url:
        p = radicale(data / "radicale", port("caldav"), dict([DEMO_CALDAV_USER]))
        processes.append(p)
        caldav_url = p.url
    smtp_host, smtp_port, maildir = environ.get("SMTP_HOST", ""), 0, None
    if smtp_host:
        smtp_port = int(environ.get("SMTP_PORT", "25"))
    else:
        smtp_port = port("smtp")
        maildir = data / "mail"
        processes.append(smtp_sink(maildir, smtp_port))
        smtp_host = "127.0.0.1"
    infra = Infra(mongodb_uri, nats_url, caldav_url, smtp_host, smtp_port, maildir, processes)
    if environ.get("INTAKE_IMAP_HOST"):
        infra.imap_host = environ["INTAKE_IMAP_HOST"]
        infra.imap_port = int(environ.get("INTAKE_IMAP_PORT", "993"))
        infra.imap_tls = environ.get("INTAKE_IMAP_TLS", "true").lower() == "true"
    else:
        infra.imap_host, infra.imap_port, infra.imap_tls = "127.0.0.1", port("imap"), False
        infra.imap_data, infra.lmtp_port = data / "imap", port("lmtp")
        processes.append(dovecot(infra.imap_data, infra.imap_port, infra.lmtp_port))
    return infra


def service_env(infra: Infra, keys: Path) -> dict[str, str]:
    """What the services of a stack read: where the servers are, and the keys in ``keys``
    (made there if missing)."""
    from shared.devtokens import ensure_keys, secrets_env

    return {**infra.env(), "JWKS_FILE": str(ensure_keys(keys)), **secrets_env(keys)}


@contextlib.contextmanager
def running(*groups: list[Process], timeout: float = 90.0) -> Iterator[list[Process]]:
    """Start each group at once and wait until all of it is ready before the next group;
    on the way out stop everything in reverse order (services before the servers they use)."""
    started: list[Process] = []
    try:
        for group in groups:
            for p in group:
                p.start()
                started.append(p)
            for p in group:
                p.wait_ready(timeout)
        yield started
    finally:
        for p in reversed(started):
            p.stop()
