"""WhatsApp Business Cloud API: what its webhooks say (pure), and sending a text back.

The shapes are those of Meta's public documentation: a webhook POST is
``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
"value": {"metadata": {"phone_number_id"}, "contacts": [...], "messages": [...],
"statuses": [...]}}]}]}``, signed with the app secret in ``X-Hub-Signature-256``
(``sha256=<hex HMAC-SHA256 of the raw body>``). Sending is ``POST
{base}/{phone-number-id}/messages`` with a bearer token.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import aiohttp

from shared.smtp import Permanent, Transient
from shared.wire import Json

# Outside the 24-hour customer-service window only templates may be sent; these errors will
# not go away by trying again (Meta's error codes).
_FINAL_ERRORS = frozenset({131026, 131047, 131051, 131052, 131053, 100, 131009})
STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}
MEDIA = frozenset({"image", "audio", "video", "document", "sticker", "location", "contacts"})


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


@dataclass(frozen=True)
class Incoming:
    phone_number_id: str  # which of our numbers it was sent to: which organisation
    wamid: str
    sender: str  # wa_id
    name: str | None
    kind: Literal["text", "media", "other"]
    text: str
    media_type: str = ""


@dataclass(frozen=True)
class Status:
    wamid: str
    status: str
    error_code: int | None


class BadPayload(ValueError):
    """Not the documented webhook shape."""


def read(payload: Any) -> tuple[list[Incoming], list[Status]]:
    """The messages and delivery statuses in one webhook payload."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise BadPayload("not a WhatsApp Business Account webhook")
    messages: list[Incoming] = []
    statuses: list[Status] = []
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            if change.get("field") != "messages":
                continue  # account updates, templates...: not ours to act on
            value = _dict(change.get("value"))
            number_id = str(_dict(value.get("metadata")).get("phone_number_id", ""))
            names = {
                str(c.get("wa_id")): _dict(c.get("profile")).get("name")
                for c in map(_dict, _list(value.get("contacts")))
            }
            for m in map(_dict, _list(value.get("messages"))):
                messages.append(_message(number_id, m, names))
            for s in map(_dict, _list(value.get("statuses"))):
                errors = [_dict(e) for e in _list(s.get("errors"))]
                code = errors[0].get("code") if errors else None
                statuses.append(
                    Status(
                        wamid=_text(s.get("id"), "status id"),
                        status=_text(s.get("status"), "status"),
                        error_code=code if isinstance(code, int) else None,
                    )
                )
    return messages, statuses


def _message(number_id: str, m: Json, names: Json) -> Incoming:
    if not number_id:
        raise BadPayload("metadata.phone_number_id missing")
    sender = _text(m.get("from"), "from")
    type_ = str(m.get("type", ""))
    name = names.get(sender)
    wamid = _text(m.get("id"), "message id")
    shown = name[:100] if isinstance(name, str) and name.strip() else None

    def incoming(kind: Literal["text", "media", "other"], text: str, media: str = "") -> Incoming:
        return Incoming(number_id, wamid, sender, shown, kind, text, media)

    if type_ == "text":
        return incoming("text", _text(_dict(m.get("text")).get("body"), "text.body")[:5000])
    if type_ in MEDIA:
        caption = _dict(m.get(type_)).get("caption")
        return incoming("media", caption[:5000] if isinstance(caption, str) else "", type_)
    return incoming("other", "", type_[:40])


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPayload("a list was expected")
    return value


def _dict(value: Any) -> Json:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadPayload("an object was expected")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or (len(value) > 256 and what != "text.body"):
        raise BadPayload(f"{what} missing or not text")
    return value


class WhatsApp:
    """The Cloud API client: the same code path in tests (against a stand-in) and in use."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, token_file: Path | None) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token_file = token_file

    async def send_text(self, phone_number_id: str, to: str, text: str) -> str:
        """Send ``text``; returns the wamid of the message sent."""
        if self.token_file is None:
            raise Transient("WhatsApp is not configured")
        token = self.token_file.read_text().strip()  # read each time: rotation needs no restart
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": False, "body": text[:4096]},
        }
        try:
            async with self.http.post(
                f"{self.base_url}/{phone_number_id}/messages",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=aiohttp.ClientTimeout(total=15),
            ) as response:
                answer = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Transient(f"whatsapp: {type(exc).__name__}") from None
        if status == 200:
            try:
                return str(answer["messages"][0]["id"])
            except (KeyError, IndexError, TypeError):
                raise Transient("whatsapp: an answer without a message id") from None
        code = _dict(answer.get("error") if isinstance(answer, dict) else None).get("code")
        error = f"whatsapp {status} code {code}"
        if code in _FINAL_ERRORS or (400 <= status < 500 and status not in (401, 408, 429)):
            raise Permanent(error)
        raise Transient(error)
