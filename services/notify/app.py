from __future__ import annotations

from aiohttp import web

from shared.service import ConsumerSpec, ServiceSpec, build_app
from shared.settings import ServiceSettings

from . import handlers, store

SPEC = ServiceSpec(
    name="notify",
    indexes=store.INDEXES,
    consumer=ConsumerSpec(
        subjects=["intake.case.>", "booking.appointment.>"], handler=handlers.outbox_handler
    ),
)


def create_app(settings: ServiceSettings) -> web.Application:
    return build_app(settings, SPEC)
