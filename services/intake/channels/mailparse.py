"""What an incoming e-mail says, for intake: pure, no I/O.

A mail becomes a report (or a reporter's reply) unless it was written by a machine:
auto-replies and other mail marked ``Auto-Submitted`` (RFC 3834), bounces and other
delivery reports (RFC 3464, ``multipart/report``), mailing-list and bulk mail, and mail
from the mailbox itself (a loop). Those are set aside, never turned into cases.

Attachments are not kept (a confidant asks for what they need in a conversation); their
names are listed so that the acknowledgement can say they were not kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Literal

from shared.text import Locale

# A reply quotes the whole thread; the text kept is capped like a report typed on the site.
MAX_TEXT = 5000
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_WROTE = re.compile(r"^(On .+ wrote|Op .+ schreef .+):\s*$", re.IGNORECASE)
_MACHINE_SENDERS = ("mailer-daemon", "postmaster", "no-reply", "noreply")


@dataclass(frozen=True)
class Mail:
    """An incoming mail, reduced to what intake keeps (the sender and text are sealed)."""

    verdict: Literal["person", "machine"]
    reason: str  # for a machine: which mark gave it away (logged; no content)
    sender: str  # the address, lower-case ("" when there is none)
    name: str | None
    subject: str
    text: str
    message_id: str | None
    refers_to: tuple[str, ...]  # In-Reply-To and References, nearest first
    locale: Locale | None
    dropped: tuple[str, ...]  # attachments not kept (their file names)


def parse(raw: bytes, mailbox_address: str) -> Mail:
    # policy.default parses into EmailMessage (get_body, iter_attachments).
    msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    name, sender = parseaddr(str(msg.get("From", "")))
    sender = sender.strip().lower()
    reason = _machine_mark(msg, sender, mailbox_address.lower())
    refers = _ids(str(msg.get("In-Reply-To", ""))) + tuple(
        reversed(_ids(str(msg.get("References", ""))))
    )
    text, dropped = _text_of(msg)
    language = str(msg.get("Content-Language", "")).strip().lower()
    message_ids = _ids(str(msg.get("Message-ID", "")))
    return Mail(
        verdict="machine" if reason else "person",
        reason=reason,
        sender=sender,
        name=name.strip() or None,
        subject=str(msg.get("Subject", "")).strip()[:200],
        text=_strip_quote(text)[:MAX_TEXT],
        message_id=message_ids[0] if message_ids else None,
        refers_to=tuple(dict.fromkeys(refers)),
        locale="en" if language.startswith("en") else "nl" if language.startswith("nl") else None,
        dropped=dropped,
    )


def _machine_mark(msg: Message, sender: str, own: str) -> str:
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return "auto_submitted"
    if msg.get_content_type() == "multipart/report":
        return "delivery_report"
    local = sender.split("@", 1)[0]
    if not sender or local in _MACHINE_SENDERS or str(msg.get("Return-Path", "")) == "<>":
        return "bounce"
    if str(msg.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list"):
        return "bulk"
    if msg.get("List-Id") or msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return "list_or_autoreply"
    loops = {a.lower() for _, a in getaddresses([str(v) for v in msg.get_all("X-Loop", [])])}
    if sender == own or own in loops:
        return "loop"
    return ""


def _ids(header: str) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(header))


def _text_of(msg: EmailMessage) -> tuple[str, tuple[str, ...]]:
    """The readable text of a mail (plain preferred over HTML) with any forwarded mails
    inside it, and the names of the attachments left out."""
    parts: list[str] = []
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        parts.append(_readable(body))
    dropped: list[str] = []
    for part in msg.iter_attachments():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            if isinstance(inner, EmailMessage):
                text, more = _text_of(inner)
                parts.append(
                    f"---------- {inner.get('Subject', '')} ({inner.get('From', '')}) ----------"
                    f"\n{text}"
                )
                dropped.extend(more)
            continue
        if part is body:
            continue
        dropped.append(str(part.get_filename() or part.get_content_type())[:100])
    return "\n\n".join(p.strip() for p in parts if p.strip()), tuple(dropped)


def _readable(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: keep what reads
        payload = part.get_payload(decode=True)
        content = payload.decode("latin-1") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    return html_text(content) if part.get_content_type() == "text/html" else content


def _strip_quote(text: str) -> str:
    """Drop the quoted earlier mail below a reply ("> ..." lines and the "wrote:" line)."""
    lines = text.replace("\r\n", "\n").split("\n")
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if end < len(lines) and end > 0 and _WROTE.match(lines[end - 1].strip()):
        end -= 1
    kept = "\n".join(lines[:end]).strip()
    return kept or text.strip()


class _Text(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(data)


def html_text(html: str) -> str:
    """The text of an HTML mail, with paragraphs kept apart (Python's own HTML parser)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = re.sub(r"[ \t\u00a0]+", " ", "".join(parser.out))
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()
