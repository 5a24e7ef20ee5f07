from __future__ import annotations

from typing import cast

from aiohttp import web

from services.notify.api import consumer
from services.notify.api import deliveries as api
from services.notify.domain.deliver import deliver, recover
from services.notify.settings import NotifySettings
from services.notify.state import NOTIFY, notify_context
from services.notify.store import collections
from shared.service import SETTINGS, ConsumerSpec, ServiceSpec, build_app, every
from shared.settings import ServiceSettings


async def _sweep(app: web.Application) -> None:
    await recover(app[NOTIFY])  # due reminders, retries, sends a crash left half-done


def _interval(app: web.Application) -> float:
    return cast(NotifySettings, app[SETTINGS]).sweep_interval_s


SPEC = ServiceSpec(
    name="notify",
    endpoints=api.ENDPOINTS,
    indexes=collections.INDEXES,
    consumer=ConsumerSpec(
        subjects=["intake.case.>", "booking.appointment.>", "booking.calendar.>", "reporting.>"],
        handler=consumer.delivery_handler,
        keyed_by_event=True,  # deliveries are keyed by the event id
    ),
    contexts=[notify_context(deliver, recover), every("notify-sweep", _sweep, _interval)],
)


def create_app(settings: ServiceSettings) -> web.Application:
    return build_app(settings, SPEC)
