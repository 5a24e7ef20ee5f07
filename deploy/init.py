"""Once per deployment, before the services: the stream (with the operator's replicas and
max age, NATS_STREAM_REPLICAS / NATS_STREAM_MAX_AGE_S) and every service's indexes.

    python -m deploy.init

The services would do both at start-up as well; doing it once in a Job means N replicas do
not race to create them, and a stream made here is never changed by them afterwards.
Reads the same settings as the services (MONGODB_URI, NATS_URL, NATS_STREAM ...).
"""

from __future__ import annotations

import asyncio
import sys

from shared.bus import Bus
from shared.db import Mongo
from shared.service import bus_config
from shared.settings import ServiceSettings, SettingsError


async def init() -> None:
    from services.booking.app import SPEC as booking
    from services.booking.settings import BookingSettings
    from services.intake.app import SPEC as intake
    from services.intake.settings import IntakeSettings
    from services.notify.app import SPEC as notify
    from services.notify.settings import NotifySettings
    from services.reporting.app import SPEC as reporting
    from services.reporting.settings import ReportingSettings

    pairs: list[tuple[type[ServiceSettings], object]] = [
        (IntakeSettings, intake),
        (BookingSettings, booking),
        (NotifySettings, notify),
        (ReportingSettings, reporting),
    ]
    first = True
    for settings_cls, spec in pairs:
        settings = settings_cls.from_env()
        mongo = Mongo(settings.mongodb_uri, settings.database_name)
        try:
            await mongo.ensure_indexes(getattr(spec, "indexes", {}))
        finally:
            await mongo.close()
        if first:
            bus = Bus(bus_config(settings), source="init")
            await bus.connect()  # creates the stream when it is missing
            await bus.close()
            first = False
        print(f"{settings_cls.service}: indexes ready", file=sys.stderr)
    print("stream and indexes ready", file=sys.stderr)


def main() -> None:
    try:
        asyncio.run(init())
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
