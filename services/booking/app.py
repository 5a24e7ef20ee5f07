from __future__ import annotations

from aiohttp import web

from services.booking.api import appointments as api_appointments
from services.booking.api import calendar as api_calendar
from services.booking.api import confidants as api_confidants
from services.booking.api import consumer
from services.booking.api import meetings as api_meetings
from services.booking.api import planning as api_planning
from services.booking.api import slots as api_slots
from services.booking.api.pages import add_pages
from services.booking.api.rpc import appointment_responder, confidants_responder
from services.booking.calendars.sync import sync_all
from services.booking.calendars.writer import write_pending
from services.booking.state import BOOKING, booking_context
from services.booking.store import collections
from services.booking.store.claims import release_orphan_claims
from shared.service import ConsumerSpec, ServiceSpec, build_app, every, setting
from shared.settings import ServiceSettings


async def _sync(app: web.Application) -> None:
    await sync_all(app[BOOKING])
    await release_orphan_claims(app[BOOKING])


async def _write(app: web.Application) -> None:
    await write_pending(app[BOOKING])


SPEC = ServiceSpec(
    name="booking",
    endpoints=[
        *api_confidants.ENDPOINTS,
        *api_slots.ENDPOINTS,
        *api_appointments.ENDPOINTS,
        *api_planning.ENDPOINTS,
        *api_meetings.ENDPOINTS,
        *api_calendar.ENDPOINTS,
    ],
    indexes=collections.INDEXES,
    consumer=ConsumerSpec(subjects=["intake.case.>"], handler=consumer.case_handler),
    pages=add_pages,
    outbox=[collections.APPOINTMENTS, collections.CONFIDANTS],
    contexts=[
        booking_context,
        appointment_responder,
        confidants_responder,
        every("calendar-sync", _sync, setting("sync_interval_s")),
        every("calendar-writer", _write, setting("writer_interval_s")),
    ],
)


def create_app(settings: ServiceSettings) -> web.Application:
    return build_app(settings, SPEC)
