from __future__ import annotations

from aiohttp import web

from shared.service import ConsumerSpec, ServiceSpec, build_app
from shared.settings import ServiceSettings

from . import api, handlers, store
from .pages import add_pages
from .state import reporting_context

SPEC = ServiceSpec(
    name="reporting",
    endpoints=api.ENDPOINTS,
    indexes=store.INDEXES,
    consumer=ConsumerSpec(
        subjects=["intake.case.>", "booking.appointment.>"],
        handler=handlers.projection_handler,
        keyed_by_event=True,  # folding an event twice changes nothing (projection.apply)
    ),
    contexts=[reporting_context],
    pages=add_pages,
    outbox=[store.REPORTS, store.SIGNALS],
)


def create_app(settings: ServiceSettings) -> web.Application:
    return build_app(settings, SPEC)
