"""What notify's handlers share at run time, built once at start-up; the send workers."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from services.notify.channels.mail import Mailer
from services.notify.channels.render import Templates
from services.notify.settings import NotifySettings
from services.notify.store.documents import Delivery
from shared.crypto import DataKeys, FieldCipher
from shared.outbox import DocumentWriter
from shared.service import BUS, LOCKS, MONGO, SETTINGS

log = logging.getLogger(__name__)
ENDED_KEPT = 100_000


@dataclass
class Notify(DocumentWriter):
    settings: NotifySettings
    templates: Templates
    mailer: Mailer
    cipher: FieldCipher
    http: aiohttp.ClientSession
    zone: ZoneInfo
    # Work for the send workers: (delivery id, whether this process planned it just now).
    queue: asyncio.Queue[tuple[str, bool] | None] = field(default_factory=asyncio.Queue)
    # Queued or being sent here: the sweep does not queue these again.
    busy: set[str] = field(default_factory=set)
    sweeps: int = 0  # sweeps done by this process (for tests to wait for one, not sleep)
    # Deliveries planned here just now, handed to the worker without a second read.
    fresh: dict[str, Delivery] = field(default_factory=dict)
    # Recently ended here: the sweep need not ask the database about these.
    ended: OrderedDict[str, str] = field(default_factory=OrderedDict)
    # When this process last dropped old send claims (an hourly chore, not every sweep).
    sends_pruned_at: datetime | None = None

    def remember_ended(self, delivery_id: str, status: str) -> None:
        self.ended[delivery_id] = status
        while len(self.ended) > ENDED_KEPT:
            self.ended.popitem(last=False)

    def token(self) -> str:
        # Read each time: a re-issued token file is picked up without a restart.
        return self.settings.service_token_file.read_text().strip()

    def recipient_hash(self, address: str) -> str:
        """A keyed hash of an address, for the delivery log: it proves which address a mail
        went to when you have the address, and cannot be reversed by a list of addresses."""
        key = self.cipher.keys.hash_key
        return hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]

    def enqueue(self, delivery_ids: Iterable[str], *, planned_here: bool = False) -> None:
        for delivery_id in delivery_ids:
            if delivery_id not in self.busy:
                self.busy.add(delivery_id)
                self.queue.put_nowait((delivery_id, planned_here))

    def enqueue_fresh(self, docs: Iterable[Delivery]) -> None:
        for doc in docs:
            self.fresh[doc["_id"]] = doc
            self.enqueue([doc["_id"]], planned_here=True)


NOTIFY = web.AppKey("notify", Notify)


def notify_context(
    deliver: Callable[[Notify, str, bool], Awaitable[None]],
    recover: Callable[[Notify], Awaitable[int]],
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """Notify's state and its send workers. On the way out the workers finish the send in
    hand and take no new one; what is left stays pending in the database for the next
    start."""

    @contextlib.asynccontextmanager
    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = cast(NotifySettings, app[SETTINGS])
        keys = await asyncio.to_thread(DataKeys.load, settings.data_keys_file)
        async with aiohttp.ClientSession() as http:
            notify = Notify(
                db=app[MONGO].db,
                bus=app[BUS],
                locks=app[LOCKS],
                settings=settings,
                templates=Templates(
                    settings.sender_name, {"nl": settings.footer_nl, "en": settings.footer_en}
                ),
                mailer=Mailer(
                    settings.smtp(),
                    connections=settings.workers,
                ),
                cipher=FieldCipher(keys),
                http=http,
                zone=ZoneInfo(settings.timezone),
            )
            app[NOTIFY] = notify
            stopping = asyncio.Event()

            async def work() -> None:
                while True:
                    item = await notify.queue.get()
                    if item is None or stopping.is_set():
                        return
                    delivery_id, planned_here = item
                    try:
                        await deliver(notify, delivery_id, planned_here)
                    except Exception:
                        # Left as it was: the sweep finds it again after its lease.
                        log.exception("delivery failed", extra={"delivery_id": delivery_id})
                    finally:
                        notify.busy.discard(delivery_id)
                        notify.fresh.pop(delivery_id, None)

            workers = [asyncio.create_task(work()) for _ in range(settings.workers)]
            await recover(notify)  # what an earlier run left pending or half-sent
            yield
            stopping.set()
            for _ in workers:
                notify.queue.put_nowait(None)
            _, pending = await asyncio.wait(workers, timeout=settings.smtp_timeout_s + 5)
            for task in pending:
                task.cancel()
            await notify.mailer.close()

    return context
