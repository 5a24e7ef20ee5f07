from __future__ import annotations

from aiohttp import web

from shared.service import ConsumerSpec, ServiceSpec, build_app
from shared.settings import ServiceSettings

from . import api, handlers, store
from .state import booking_context

SPEC = ServiceSpec(
    name="booking",
    endpoints=api.ENDPOINTS,
    indexes=store.INDEXES,
    consumer=ConsumerSpec(subjects=["intake.case.>"], handler=handlers.case_handler),
    contexts=[booking_context],
)


def create_app(settings: ServiceSettings) -> web.Application:
    return build_app(settings, SPEC)
