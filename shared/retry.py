"""Waiting at start-up for a server that does not answer yet (a JetStream cluster electing
its leaders, a database coming back): a short outage is no reason for a service to exit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
TRIES = 20  # about a minute: waits of 0.5, 1, 1.5 ... up to 3 s


async def patiently(
    step: Callable[[], Awaitable[T]],
    errors: tuple[type[BaseException], ...],
    what: str,
    tries: int = TRIES,
) -> T:
    """``step()``, tried again on ``errors`` with a growing wait; the last error is raised."""
    for attempt in range(tries):
        try:
            return await step()
        except errors:
            if attempt == tries - 1:
                raise
            log.warning(f"{what} is not answering yet", extra={"attempt": attempt + 1})
            await asyncio.sleep(min(0.5 * (attempt + 1), 3.0))
    raise AssertionError("unreachable")  # the last attempt returns or raises
