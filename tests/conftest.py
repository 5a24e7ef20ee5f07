"""Real servers for the whole suite, and isolation for each test.

The session starts FerretDB, nats-server, Radicale and the SMTP sink on free ports in a
temporary folder, with the same code as ``make run``. With ``MONGODB_URI`` / ``NATS_URL`` /
``CALDAV_URL`` / ``SMTP_HOST`` set, the suite uses those servers instead. Each test gets its
own database names, stream name and subject prefix, so tests cannot see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pymongo import AsyncMongoClient

from deploy.stack.infra import Infra, plan_infra, running
from shared import event_schemas  # noqa: F401  (registers the event schemas)
from shared.auth import Issuer, Role
from shared.devtokens import ensure_keys, load_issuer, secrets_env
from shared.settings import ServiceSettings

SERVICE_NAMES = ("intake", "booking", "notify", "reporting")


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    data = tmp_path_factory.mktemp("stack")
    plan = plan_infra(data, os.environ)
    with running(plan.processes):
        yield plan


@dataclass(frozen=True)
class Keys:
    directory: Path
    jwks: Path
    issuer: Issuer
    secrets_env: dict[str, str]


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    directory = tmp_path_factory.mktemp("keys")
    jwks = ensure_keys(directory)
    return Keys(directory, jwks, load_issuer(directory), secrets_env(directory))


@dataclass(frozen=True)
class Isolation:
    """Names that belong to one test only."""

    tag: str  # e.g. "t1a2b3c4d5"

    @property
    def stream(self) -> str:
        return self.tag.upper()

    @property
    def subject_prefix(self) -> str:
        return f"{self.tag}."

    def database(self, service: str) -> str:
        return f"{self.tag}_{service}"


@pytest.fixture
async def isolation(infra: Infra) -> AsyncIterator[Isolation]:
    iso = Isolation(f"t{uuid.uuid4().hex[:10]}")
    yield iso
    # Leave the shared servers as we found them.
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        for name in await client.list_database_names():
            if name.startswith(iso.tag):
                await client.drop_database(name)
    finally:
        await client.close()
    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream()
        try:
            await js.delete_stream(iso.stream)
        except nats.js.errors.NotFoundError:
            pass
    finally:
        await nc.close()


@pytest.fixture
def service_env(infra: Infra, keys: Keys, isolation: Isolation) -> dict[str, str]:
    """The environment a service of this test reads its settings from."""
    env = {
        "MONGODB_URI": infra.mongodb_uri,
        "NATS_URL": infra.nats_url,
        "NATS_STREAM": isolation.stream,
        "NATS_SUBJECT_PREFIX": isolation.subject_prefix,
        "JWKS_FILE": str(keys.jwks),
        "RETRY_BACKOFF": "0.05,0.1,0.2",
        "MAX_DELIVER": "3",
        # Every answer held to the one its route declares (shared.http.requests.answering).
        "CHECK_ANSWERS": "true",
        **keys.secrets_env,
        # Fast in tests: the cost of real settings is measured in bench/, not here.
        "INTAKE_ARGON2_TIME_COST": "1",
        "INTAKE_ARGON2_MEMORY_KIB": "8192",
        "INTAKE_FAILURE_DELAY_S": "0.01",
        # Tests run the calendar sync and writer themselves, when they mean to.
        "BOOKING_SYNC_INTERVAL_S": "3600",
        "BOOKING_WRITER_INTERVAL_S": "3600",
        # The organisations' mailboxes: the session's Dovecot (or the IMAP server set).
        "INTAKE_IMAP_HOST": infra.imap_host,
        "INTAKE_IMAP_PORT": str(infra.imap_port),
        "INTAKE_IMAP_TLS": str(infra.imap_tls).lower(),
        "INTAKE_MAILBOX_SCAN_S": "0.2",
        "INTAKE_RELAY_INTERVAL_S": "0.5",
    }
    for name in SERVICE_NAMES:
        env[f"{name.upper()}_MONGODB_DATABASE"] = isolation.database(name)
    return env


StartService = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]


@pytest.fixture
async def start_service(service_env: dict[str, str]) -> AsyncIterator[StartService]:
    """Start a service in-process on a real port against the real servers."""
    from services.booking.app import create_app as booking
    from services.booking.settings import BookingSettings
    from services.intake.app import create_app as intake
    from services.intake.settings import IntakeSettings
    from services.notify.app import create_app as notify
    from services.notify.settings import NotifySettings
    from services.reporting.app import create_app as reporting
    from services.reporting.settings import ReportingSettings

    factories: dict[str, tuple[type[ServiceSettings], Callable[[Any], web.Application]]] = {
        "intake": (IntakeSettings, intake),
        "booking": (BookingSettings, booking),
        "notify": (NotifySettings, notify),
        "reporting": (ReportingSettings, reporting),
    }
    clients: list[TestClient] = []  # type: ignore[type-arg]

    async def start(name: str, **env: str) -> TestClient:  # type: ignore[type-arg]
        settings_cls, create_app = factories[name]
        settings = settings_cls.from_env({**service_env, **env})
        client: TestClient = TestClient(TestServer(create_app(settings)))  # type: ignore[type-arg]
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in reversed(clients):
        await client.close()


@pytest.fixture
def token(keys: Keys) -> Callable[..., str]:
    """Issue a token: token("admin", "intake"), token("org_admin", "reporting", org_id="o1")."""

    def issue(role: Role, audience: str, **claims: Any) -> str:
        claims.setdefault("sub", f"test-{role}")
        return keys.issuer.issue(role=role, audience=audience, **claims)

    return issue
