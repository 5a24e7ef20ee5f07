from __future__ import annotations

from aiohttp import web

from services.reporting.api import activities as api_activities
from services.reporting.api import consumer
from services.reporting.api import invoices as api_invoices
from services.reporting.api import reports as api
from services.reporting.api import signals as api_signals
from services.reporting.api.pages import add_pages
from services.reporting.domain import schedule
from services.reporting.state import REPORTING, reporting_context
from services.reporting.store import collections
from shared.service import ConsumerSpec, ServiceSpec, build_app, every, setting
from shared.settings import ServiceSettings


async def _prune(app: web.Application) -> None:
    await consumer.prune_marks(app[REPORTING])


async def _schedule(app: web.Application) -> None:
    await schedule.run(app[REPORTING])


SPEC = ServiceSpec(
    name="reporting",
    endpoints=[
        *api.ENDPOINTS,
        *api_signals.ENDPOINTS,
        *api_invoices.ENDPOINTS,
        *api_activities.ENDPOINTS,
    ],
    indexes=collections.INDEXES,
    consumer=ConsumerSpec(
        subjects=["intake.case.>", "intake.org.>", "booking.appointment.>"],
        handler=consumer.projection_handler,
        keyed_by_event=True,  # folding an event twice changes nothing (projection.apply)
    ),
    contexts=[
        reporting_context,
        every("reporting-marks", _prune, lambda app: 3600.0),
        every("reporting-schedule", _schedule, setting("schedule_interval_s")),
    ],
    pages=add_pages,
    outbox=[collections.REPORTS, collections.SIGNALS, collections.CONTRACTS],
)


def create_app(settings: ServiceSettings) -> web.Application:
    return build_app(settings, SPEC)
