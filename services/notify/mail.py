"""E-mail: a message with text, HTML and an optional invitation, sent over SMTP.

``send`` tells a failure worth retrying (the server is away, a 4xx) from one that is not (a
5xx rejection): ``Transient`` and ``Permanent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

import aiosmtplib

from .render import Rendered


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


def message(
    *,
    message_id: str,
    sender: tuple[str, str],
    to: str,
    rendered: Rendered,
    locale: str,
    invite: tuple[bytes, str] | None = None,
) -> EmailMessage:
    """``message_id`` is fixed per delivery: if a send is ever repeated after a crash, the
    second copy carries the same Message-ID, which mail programs use to drop duplicates."""
    msg = EmailMessage()
    msg["From"] = formataddr(sender)
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to us
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    if invite is not None:
        data, method = invite
        # As calendar programs expect: the invitation as an alternative and as a file.
        msg.add_alternative(data.decode(), subtype="calendar", params={"method": method})
        msg.add_attachment(
            data,
            maintype="application",
            subtype="ics",
            filename="uitnodiging.ics" if locale == "nl" else "invitation.ics",
        )
    msg["Content-Language"] = locale  # after the parts: set_content drops Content-* headers
    return msg


async def send(smtp: Smtp, msg: EmailMessage, recipients: list[str]) -> None:
    try:
        await aiosmtplib.send(
            msg,
            recipients=recipients,
            hostname=smtp.host,
            port=smtp.port,
            start_tls=smtp.starttls if not smtp.tls else None,
            use_tls=smtp.tls,
            username=smtp.username or None,
            password=smtp.password() if smtp.username else None,
            timeout=smtp.timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        error = f"recipients refused: {codes}"
        raise (Permanent(error) if all(c >= 500 for c in codes) else Transient(error)) from None
    except aiosmtplib.SMTPAuthenticationError as exc:
        # Our configuration, not the recipient: keep it until an operator fixes it.
        raise Transient(f"authentication failed: {exc.code}") from None
    except aiosmtplib.SMTPResponseException as exc:
        error = f"smtp {exc.code}"
        raise (Permanent(error) if exc.code >= 500 else Transient(error)) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise Transient(type(exc).__name__) from None
