"""A local stand-in for the WhatsApp Business Cloud API (Meta's Graph API), for the tests, the
benchmark and trying the channel without a Meta account: this machine cannot reach Meta.

It answers ``POST /{version}/{phone-number-id}/messages`` as the public documentation
describes, and checks every request against the documented shape: a bearer token, and
``{"messaging_product": "whatsapp", "recipient_type": "individual", "to": "<number>",
"type": "text", "text": {"body": "...", "preview_url": false}}``. A request of another shape
is answered as the Graph API answers it (400, error code 100) and kept in ``refused``.
It also makes the webhooks WhatsApp sends, signed as WhatsApp signs them.

    python -m deploy.whatsapp_standin --port 8090 --token dev-token
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEXT_KEYS = {"messaging_product", "recipient_type", "to", "type", "text"}


@dataclass
class GraphStandIn:
    token: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    # Numbers whose 24-hour customer-service window is closed: free text is refused (131047).
    window_closed: set[str] = field(default_factory=set)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self.messages)
        return app

    async def messages(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, 190, "Invalid OAuth access token.")
        if not request.match_info["phone_number_id"].isdigit():
            return self._error(400, 100, "Unsupported post request: unknown phone number id")
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, 100, "(#100) The request body is not JSON")
        problem = shape_problem(body)
        if problem:
            return self._error(400, 100, f"(#100) Invalid parameter: {problem}")
        if body["to"] in self.window_closed:
            return self._error(
                400, 131047, "Re-engagement message: more than 24 hours since the last reply"
            )
        wamid = f"wamid.{secrets.token_urlsafe(24)}"
        self.sent.append(
            {"phone_number_id": request.match_info["phone_number_id"], "id": wamid, **body}
        )
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            }
        )

    def _error(self, status: int, code: int, message: str) -> web.Response:
        self.refused.append((code, message))
        return web.json_response(
            {
                "error": {
                    "message": message,
                    "type": "OAuthException",
                    "code": code,
                    "fbtrace_id": secrets.token_hex(8),
                }
            },
            status=status,
        )


def shape_problem(body: Any) -> str:
    """What is wrong with a text message request, by the documentation ("" if nothing)."""
    if not isinstance(body, dict):
        return "the body is not an object"
    unknown = set(body) - TEXT_KEYS
    if unknown:
        return f"unknown fields {sorted(unknown)}"
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if body.get("recipient_type", "individual") != "individual":
        return "recipient_type must be individual"
    to = body.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit() or not 8 <= len(to) <= 16:
        return "to must be a phone number"
    if body.get("type") != "text":
        return "type must be text"
    text = body.get("text")
    if not isinstance(text, dict) or set(text) - {"body", "preview_url"}:
        return "text must be {body, preview_url}"
    if not isinstance(text.get("body"), str) or not 1 <= len(text["body"]) <= 4096:
        return "text.body must be 1 to 4096 characters"
    if not isinstance(text.get("preview_url", False), bool):
        return "text.preview_url must be a boolean"
    return ""


# -- webhooks, as WhatsApp sends them --------------------------------------------------------


def signed(app_secret: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    signature = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"}


def envelope(phone_number_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def incoming(
    phone_number_id: str,
    sender: str,
    name: str,
    type_: str = "text",
    text: str = "",
    wamid: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message webhook: ``type_`` text (with ``text``), image, or anything else."""
    message: dict[str, Any] = {
        "from": sender,
        "id": wamid or f"wamid.{secrets.token_urlsafe(24)}",
        "timestamp": str(int(time.time())),
        "type": type_,
    }
    if type_ == "text":
        message["text"] = {"body": text}
    elif type_ == "image":
        message["image"] = {
            "caption": text,
            "mime_type": "image/jpeg",
            "sha256": secrets.token_hex(32),
            "id": secrets.token_hex(8),
        }
    message.update(extra or {})
    return envelope(
        phone_number_id,
        {"contacts": [{"profile": {"name": name}, "wa_id": sender}], "messages": [message]},
    )


def status(
    phone_number_id: str, wamid: str, state: str, recipient: str, error_code: int | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if error_code is not None:
        entry["errors"] = [{"code": error_code, "title": "Message failed to send"}]
    return envelope(phone_number_id, {"statuses": [entry]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--token", default="dev-token")
    args = parser.parse_args()
    web.run_app(GraphStandIn(args.token).app(), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
