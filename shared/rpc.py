"""Request/reply between services over NATS (``nats.micro``), for the few questions asked at
run time.

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

from nats import micro
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.micro.request import Request
from opentelemetry.trace import SpanKind

from shared.auth import AuthError
from shared.bus import Bus
from shared.http import AuthConfig
from shared.tracing import carrier, context_of, tracer

log = logging.getLogger(__name__)

Answer = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
PROTOCOL_VERSION = "1.0.0"  # of the request and reply shapes below (semver, as micro asks)


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
    """Answer ``subject`` while the context is open, as a NATS micro service (the services
    protocol: ``nats micro ls`` finds it, with its stats): one instance of the queue group
    answers each request."""

    async def respond(request: Request) -> None:
        try:
            asked = json.loads(request.data)
            if not isinstance(asked, dict):
                raise ValueError
        except ValueError:
            reply: dict[str, Any] = {"ok": False, "error": "bad_request"}
        else:
            refused = check(auth, asked, allowed)
            if refused:
                reply = {"ok": False, "error": refused}
            else:
                try:
                    with tracer(bus.source).start_as_current_span(
                        f"answer {subject}",
                        context=context_of(request.headers),
                        kind=SpanKind.SERVER,
                        attributes={"messaging.system": "nats", "rpc.method": subject},
                    ):
                        reply = await answer(asked)
                except Exception:
                    log.exception("rpc answer failed", extra={"subject": subject})
                    reply = {"ok": False, "error": "internal"}
        await request.respond(json.dumps(reply, default=str).encode())

    service = await micro.add_service(
        bus.nc,
        name=subject.replace(".", "-"),  # rpc.intake.contact -> rpc-intake-contact
        version=PROTOCOL_VERSION,
        description=f"{bus.source}: request/reply on {subject}",
    )
    await service.add_endpoint(
        name=subject.rsplit(".", 1)[-1],
        subject=bus.subject(subject),
        queue_group=subject,
        handler=respond,
    )
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await service.stop()


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
