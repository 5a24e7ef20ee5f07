"""Mail into a real Dovecot the way mail really arrives: LMTP (as a mail server delivers) and
IMAP APPEND, in the shapes real mail programs write."""

from __future__ import annotations

import asyncio
import imaplib
import smtplib
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from deploy.stack.infra import Infra
from deploy.stack.mail import mailbox_user

PASSWORD = "mailbox-secret-1"


def add_mailbox(infra: Infra, address: str) -> None:
    assert infra.imap_data is not None, "these tests need the embedded Dovecot"
    mailbox_user(infra.imap_data, address, PASSWORD)


async def deliver(infra: Infra, to: str, raw: bytes, sender: str = "sender@example.nl") -> None:
    """LMTP, as Postfix or Exim hand mail to Dovecot."""

    def send() -> None:
        with smtplib.LMTP("127.0.0.1", infra.lmtp_port) as lmtp:
            lmtp.sendmail(sender, [to], raw)

    await asyncio.to_thread(send)


async def append(infra: Infra, to: str, raw: bytes) -> None:
    """IMAP APPEND, as a mail program files a message."""

    def put() -> None:
        imap = imaplib.IMAP4("127.0.0.1", infra.imap_port)
        try:
            imap.login(to, PASSWORD)
            imap.append("INBOX", None, None, raw)
        finally:
            imap.logout()

    await asyncio.to_thread(put)


async def count(infra: Infra, address: str, folder: str) -> int:
    def look() -> int:
        imap = imaplib.IMAP4("127.0.0.1", infra.imap_port)
        try:
            imap.login(address, PASSWORD)
            status, data = imap.select(folder, readonly=True)
            return int(data[0] or 0) if status == "OK" else -1
        finally:
            imap.logout()

    return await asyncio.to_thread(look)


def plain(
    sender: str,
    to: str,
    subject: str,
    text: str,
    *,
    in_reply_to: str | None = None,
    language: str | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid(domain="mail.example.nl")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if language:
        msg["Content-Language"] = language
    msg.set_content(text)
    return msg


def alternative(sender: str, to: str, text: str, html: str) -> EmailMessage:
    msg = plain(sender, to, "Melding", text)
    msg.add_alternative(html, subtype="html")
    return msg


def html_only(sender: str, to: str, html: str) -> EmailMessage:
    msg = plain(sender, to, "Melding", "")
    msg.set_content(html, subtype="html")
    return msg


def latin1_quoted_printable(sender: str, to: str, text: str) -> bytes:
    part = MIMEText(text, "plain", "iso-8859-1")  # quoted-printable for 8-bit text
    part["From"] = sender
    part["To"] = to
    part["Subject"] = "Melding"
    part["Message-ID"] = make_msgid(domain="mail.example.nl")
    part["Date"] = formatdate()
    raw = part.as_bytes()
    assert b"quoted-printable" in raw.lower() and b"=E9" in raw
    return raw


def forwarded(sender: str, to: str, note: str, inner: EmailMessage) -> bytes:
    outer = MIMEMultipart("mixed")
    outer["From"] = sender
    outer["To"] = to
    outer["Subject"] = f"Fwd: {inner['Subject']}"
    outer["Message-ID"] = make_msgid(domain="mail.example.nl")
    outer["Date"] = formatdate()
    outer.attach(MIMEText(note, "plain", "utf-8"))
    outer.attach(MIMEMessage(inner))
    return outer.as_bytes()


def with_attachment(sender: str, to: str, text: str, size: int) -> bytes:
    outer = MIMEMultipart("mixed")
    outer["From"] = sender
    outer["To"] = to
    outer["Subject"] = "Met bijlage"
    outer["Message-ID"] = make_msgid(domain="mail.example.nl")
    outer["Date"] = formatdate()
    outer.attach(MIMEText(text, "plain", "utf-8"))
    blob = MIMEApplication(b"\x00" * size, "octet-stream")
    blob.add_header("Content-Disposition", "attachment", filename="opname.bin")
    outer.attach(blob)
    return outer.as_bytes()


def bounce(to: str, original: EmailMessage) -> bytes:
    """A delivery status notification (RFC 3464), as Postfix returns it."""
    return (
        (
            "From: Mail Delivery System <MAILER-DAEMON@mail.example.nl>\r\n"
            f"To: {to}\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: {make_msgid(domain='mail.example.nl')}\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
            "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
            "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mail.example.nl\r\n\r\n"
            f"Final-Recipient: rfc822; {original['To']}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "--b1\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + original.as_bytes()
        + b"\r\n--b1--\r\n"
    )


def auto_reply(sender: str, to: str) -> bytes:
    msg = plain(sender, to, "Afwezig: Re: Melding", "Ik ben tot maandag afwezig.")
    msg["Auto-Submitted"] = "auto-replied"
    return msg.as_bytes()
