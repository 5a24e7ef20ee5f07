"""Sending over SMTP, for every service that sends mail (notify, and intake's replies in a
reporter's e-mail thread).

``Mailer.send`` tells a failure worth retrying (the server is away, a 4xx) from one that
is not (a 5xx rejection): ``Transient`` and ``Permanent``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import aiosmtplib

# Said in EHLO. Looked up once: aiosmtplib would otherwise ask the resolver at every connect.
LOCAL_HOSTNAME = socket.getfqdn()


class Transient(Exception):
    """Try again later."""


class Permanent(Exception):
    """Trying again will not help."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    starttls: bool = False
    tls: bool = False
    username: str = ""
    password_file: Path | None = None
    timeout: float = 10.0

    def password(self) -> str | None:
        # Read at each send: a rotated password needs no restart.
        return self.password_file.read_text().strip() if self.password_file else None


class Mailer:
    """Sends over a few SMTP connections kept open, one per send under way: a connection,
    its greeting and EHLO cost more than the mail itself (measured, bench.notify_latency)."""

    def __init__(self, smtp: Smtp, connections: int) -> None:
        self.smtp = smtp
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP] = asyncio.LifoQueue()
        self._slots = asyncio.Semaphore(connections)

    def _client(self) -> aiosmtplib.SMTP:
        smtp = self.smtp
        return aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            start_tls=smtp.starttls if not smtp.tls else None,
            use_tls=smtp.tls,
            username=smtp.username or None,
            password=smtp.password() if smtp.username else None,
            timeout=smtp.timeout,
            local_hostname=LOCAL_HOSTNAME,
        )

    async def send(self, msg: Message, recipients: list[str]) -> None:
        async with self._slots:
            client = self._idle.get_nowait() if not self._idle.empty() else None
            reused = client is not None
            try:
                if client is None or not client.is_connected:
                    client, reused = self._client(), False
                    await client.connect()
                try:
                    await client.send_message(msg, recipients=recipients)
                except aiosmtplib.SMTPServerDisconnected:
                    if not reused:
                        raise
                    # The server closed a connection that sat idle; that shows at MAIL FROM,
                    # before any message was handed over, so one fresh try is safe.
                    client = self._client()
                    await client.connect()
                    await client.send_message(msg, recipients=recipients)
            except Exception as exc:
                if client is not None:
                    client.close()
                raise _classified(exc) from None
            self._idle.put_nowait(client)

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            with contextlib.suppress(Exception):
                await client.quit()


def _classified(exc: Exception) -> Exception:
    """``Permanent`` for what a retry cannot fix (a 5xx), else ``Transient``."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        error = f"recipients refused: {codes}"
        return Permanent(error) if all(c >= 500 for c in codes) else Transient(error)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        # Our configuration, not the recipient: keep it until an operator fixes it.
        return Transient(f"authentication failed: {exc.code}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        error = f"smtp {exc.code}"
        return Permanent(error) if exc.code >= 500 else Transient(error)
    return Transient(type(exc).__name__)
