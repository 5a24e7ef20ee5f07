from __future__ import annotations

from aiohttp import web

from services.notify.api import consumer
from services.notify.api import deliveries as api
from services.notify.domain.deliver import deliver, recover
from services.notify.state import NOTIFY, notify_context
from services.notify.store import collections
from shared.service import ConsumerSpec, ServiceSpec, build_app, every, setting
from shared.settings import ServiceSettings


async def _sweep(app: web.Application) -> None:
    await recover(app[NOTIFY])  # due reminders, retries, sends a crash left half-done


SPEC = ServiceSpec(
    name="notify",
    endpoints=api.ENDPOINTS,
    indexes=collections.INDEXES,
    consumer=ConsumerSpec(
        subjects=["intake.case.>", "booking.appointment.>", "booking.calendar.>", "reporting.>"],
        handler=consumer.delivery_handler,
        keyed_by_event=True,  # deliveries are keyed by the event id
    ),
    contexts=[
        notify_context(deliver, recover),
        every("notify-sweep", _sweep, setting("sweep_interval_s")),
    ],
)


def create_app(settings: ServiceSettings) -> web.Application:
    return build_app(settings, SPEC)
