from __future__ import annotations

from aiohttp import web

from services.intake.api import channels as api_channels
from services.intake.api import consumer, routes
from services.intake.api.contact import contact_responder
from services.intake.api.pages import add_pages
from services.intake.channels.mailbox import mailbox_watchers
from services.intake.channels.relay import relay_loop
from services.intake.domain import jobs
from services.intake.state import INTAKE, intake_context
from services.intake.store import collections
from shared.service import ConsumerSpec, ServiceSpec, build_app, every, setting
from shared.settings import ServiceSettings


async def _jobs(app: web.Application) -> None:
    await jobs.run_all(app[INTAKE])


async def _webhook_sweep(app: web.Application) -> None:
    if app[INTAKE].settings.whatsapp_on:
        await api_channels.sweep(app[INTAKE])


SPEC = ServiceSpec(
    name="intake",
    endpoints=routes.ENDPOINTS,
    indexes=collections.INDEXES,
    consumer=ConsumerSpec(
        subjects=["booking.appointment.>"],
        handler=consumer.timeline_handler,
        keyed_by_event=True,  # one timeline entry per event id
    ),
    contexts=[
        intake_context,
        contact_responder,
        relay_loop,
        mailbox_watchers,
        every("intake-jobs", _jobs, setting("jobs_interval_s")),
        every("whatsapp-sweep", _webhook_sweep, lambda app: 10.0),
    ],
    pages=add_pages,
    outbox=[collections.CASES, collections.NOTES, collections.MESSAGES, collections.ORGANISATIONS],
)


def create_app(settings: ServiceSettings) -> web.Application:
    return build_app(settings, SPEC)
