"""Webhooks to organisations: signed like Stripe's and Cal.com's.

The header ``Vertrouwd-Signature: t=<unix time>,v1=<hex>`` carries HMAC-SHA256 over
``"<t>.<body>"`` with the endpoint's secret. A receiver recomputes it, compares in constant
time and refuses a timestamp older than a few minutes (replay). Only events about the
organisation as a whole go out this way, never anything about a case.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import secrets
from datetime import datetime
from urllib.parse import urlsplit

import aiohttp

from services.notify.channels.mail import Permanent, Transient
from services.notify.domain.plan import ORG_EVENTS

HEADER = "Vertrouwd-Signature"
EVENT_TYPES = ORG_EVENTS
TOLERANCE_S = 300


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: float) -> bool:
    """What a receiver does (and the tests): check the signature and the timestamp."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_S:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def url_problem(url: str, allow_private: bool) -> str | None:
    """Why ``url`` cannot be a webhook endpoint, or None."""
    parts = urlsplit(url)
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        return "must be an https URL"
    if not parts.hostname or parts.username or parts.password:
        return "must name a host, without credentials"
    return None


async def _private(host: str) -> bool:
    """Whether ``host`` resolves to an address that is not on the public internet: a
    webhook must not reach the suite's own servers (SSRF)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return True
    return False


async def post(
    session: aiohttp.ClientSession,
    url: str,
    secret: str,
    body: bytes,
    event_id: str,
    *,
    limit_s: float,
    allow_private: bool,
    now: datetime,
) -> None:
    host = urlsplit(url).hostname or ""
    try:
        if not allow_private and await _private(host):
            raise Permanent("address not allowed")
        async with session.post(
            url,
            data=body,
            headers={
                "Content-Type": "application/json",
                HEADER: signature(secret, int(now.timestamp()), body),
                "Vertrouwd-Event-Id": event_id,
            },
            timeout=aiohttp.ClientTimeout(total=limit_s),
            allow_redirects=False,
        ) as response:
            if 200 <= response.status < 300:
                return
            if response.status == 410:  # the receiver says the endpoint is gone for good
                raise Permanent("410 gone")
            raise Transient(f"http {response.status}")
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise Transient(type(exc).__name__) from None
