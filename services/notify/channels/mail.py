"""E-mail: a message with text, HTML and an optional invitation (sent by ``shared.smtp``)."""

from __future__ import annotations

from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate

from services.notify.channels.render import Rendered
from shared.smtp import Mailer, Permanent, Smtp, Transient

__all__ = ["Mailer", "Permanent", "Smtp", "Transient", "message"]


def message(
    *,
    message_id: str,
    sender: tuple[str, str],
    to: str,
    rendered: Rendered,
    locale: str,
    invite: tuple[bytes, str] | None = None,
) -> Message:
    """``message_id`` is fixed per delivery: if a send is ever repeated after a crash, the
    second copy carries the same Message-ID, which mail programs use to drop duplicates.

    Built with the ``email.mime`` classes: the newer ``EmailMessage`` parses every header it
    is given and took a third of notify's time at 200 mails/s (py-spy, bench.notify_latency)."""
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(rendered.text, "plain", "utf-8"))
    body.attach(MIMEText(rendered.html, "html", "utf-8"))
    msg: Message = body
    if invite is not None:
        data, method = invite
        # As calendar programs expect: the invitation as an alternative and as a file.
        calendar = MIMEText(data.decode(), "calendar", "utf-8")
        calendar.set_param("method", method)
        body.attach(calendar)
        attachment = MIMEApplication(data, "ics")
        attachment.add_header(
            "Content-Disposition",
            "attachment",
            filename="uitnodiging.ics" if locale == "nl" else "invitation.ics",
        )
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        msg.attach(attachment)
    msg["From"] = formataddr(sender, charset="utf-8")
    msg["To"] = to
    msg["Subject"] = Header(rendered.subject, "utf-8").encode()
    msg["Message-ID"] = message_id
    msg["Date"] = formatdate(usegmt=True)
    msg["Content-Language"] = locale
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to us
    return msg
