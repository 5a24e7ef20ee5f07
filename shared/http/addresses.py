"""Who is knocking: the client's address, believed from ``X-Forwarded-For`` only when the
connection comes from one of our own proxies."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from ipaddress import ip_address, ip_network

from aiohttp import web

from shared.http.table import IPNetwork

log = logging.getLogger(__name__)


def client_address(request: web.Request, trusted: Sequence[IPNetwork]) -> str:
    """The client's address, as nginx's realip module finds it with ``real_ip_recursive``:
    ``X-Forwarded-For`` is believed only when the connection comes from one of our own
    proxies (``trusted``), and then read from the right, past every address that is one of
    ours; the first that is not is the client. Anything further left was written by the
    client and proves nothing. A connection from anywhere else (another container, a
    misrouted port) is its own peer address, whatever its headers say."""
    peer = request.remote or "unknown"
    if not _within(peer, trusted):
        return peer
    entries = [
        entry.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for entry in header.split(",")
        if entry.strip()
    ]
    for entry in reversed(entries):
        if not _within(entry, trusted):
            return entry[:64]
    return entries[0][:64] if entries else peer


def proxy_networks(text: str) -> tuple[IPNetwork, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` as networks; a ValueError names what is not one."""
    return tuple(ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _within(address: str, networks: Sequence[IPNetwork]) -> bool:
    try:
        found = ip_address(address)
    except ValueError:
        return False  # not an address at all: nobody of ours wrote it
    return any(found in network for network in networks)
