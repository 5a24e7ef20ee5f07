"""Request/reply between services over plain NATS, for the few questions asked at run time.

Personal data never rides the event stream; a service that needs some at the moment it acts
(notify, before it sends a mail) asks its owner here. Subjects start with ``rpc.``, outside
the stream's subjects, so nothing asked or answered is ever stored. Every request carries the
asking service's token; the responder checks it (role ``service``, a known ``sub``, its own
audience) before it looks anything up.

Request: ``{"token": "<JWT>", ...}``. Reply: ``{"ok": true, ...}`` or
``{"ok": false, "error": "<code>"}``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from opentelemetry.trace import SpanKind

from shared.auth import AuthError
from shared.bus import Bus
from shared.http import AuthConfig
from shared.tracing import carrier, context_of, tracer

log = logging.getLogger(__name__)

Answer = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class RpcError(Exception):
    """The question got no good answer; ``code`` says why (``unavailable`` when nobody
    answered in time, else the responder's error code)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def check(auth: AuthConfig, request: dict[str, Any], allowed: frozenset[str]) -> str | None:
    """The error code for a request whose token is not one of ``allowed`` services'."""
    try:
        who = auth.keys.verify(
            str(request.get("token", "")), audience=auth.audience, issuer=auth.issuer
        )
    except AuthError:
        return "unauthorized"
    if who.role != "service" or who.sub not in allowed:
        return "forbidden"
    return None


@contextlib.asynccontextmanager
async def responder(
    bus: Bus, subject: str, auth: AuthConfig, allowed: frozenset[str], answer: Answer
) -> AsyncIterator[None]:
    """Answer ``subject`` while the context is open; one instance of a queue group answers."""

    async def respond(msg: Msg) -> None:
        try:
            request = json.loads(msg.data)
            if not isinstance(request, dict):
                raise ValueError
        except ValueError:
            reply: dict[str, Any] = {"ok": False, "error": "bad_request"}
        else:
            refused = check(auth, request, allowed)
            if refused:
                reply = {"ok": False, "error": refused}
            else:
                try:
                    with tracer(bus.source).start_as_current_span(
                        f"answer {subject}",
                        context=context_of(msg.headers),
                        kind=SpanKind.SERVER,
                        attributes={"messaging.system": "nats", "rpc.method": subject},
                    ):
                        reply = await answer(request)
                except Exception:
                    log.exception("rpc answer failed", extra={"subject": subject})
                    reply = {"ok": False, "error": "internal"}
        await msg.respond(json.dumps(reply, default=str).encode())

    sub = await bus.nc.subscribe(bus.subject(subject), queue=subject, cb=respond)
    yield
    with contextlib.suppress(Exception):
        await sub.unsubscribe()


async def ask(
    bus: Bus, subject: str, token: str, wait_s: float = 2.0, **fields: Any
) -> dict[str, Any]:
    """Ask ``subject`` and return the good reply; raise ``RpcError`` otherwise."""
    payload = json.dumps({"token": token, **fields}).encode()
    try:
        msg = await bus.nc.request(bus.subject(subject), payload, timeout=wait_s, headers=carrier())
    except (NatsTimeout, NoRespondersError, TimeoutError):
        raise RpcError("unavailable") from None
    reply = json.loads(msg.data)
    if not isinstance(reply, dict) or not reply.get("ok"):
        raise RpcError(str(reply.get("error", "bad_reply")) if isinstance(reply, dict) else "bad")
    return reply
