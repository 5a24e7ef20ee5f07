from __future__ import annotations

from aiohttp import web

from shared.service import ConsumerSpec, ServiceSpec, build_app
from shared.settings import ServiceSettings

from . import handlers, routes, store

SPEC = ServiceSpec(
    name="intake",
    endpoints=routes.ENDPOINTS,
    indexes=store.INDEXES,
    consumer=ConsumerSpec(subjects=["booking.appointment.>"], handler=handlers.timeline_handler),
)


def create_app(settings: ServiceSettings) -> web.Application:
    return build_app(settings, SPEC)
