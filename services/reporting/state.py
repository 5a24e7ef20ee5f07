"""What reporting's handlers share at run time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

from aiohttp import web

from services.reporting.settings import ReportingSettings
from shared.outbox import DocumentWriter
from shared.service import BUS, LOCKS, MONGO, SETTINGS


@dataclass
class Reporting(DocumentWriter):
    settings: ReportingSettings


REPORTING = web.AppKey("reporting", Reporting)


@contextlib.asynccontextmanager
async def reporting_context(app: web.Application) -> AsyncIterator[None]:
    app[REPORTING] = Reporting(
        db=app[MONGO].db,
        bus=app[BUS],
        locks=app[LOCKS],
        settings=cast(ReportingSettings, app[SETTINGS]),
    )
    yield
