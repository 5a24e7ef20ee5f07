"""Notify against real servers: an aiosmtpd server of the test's own (so a test sees only
its mail and can stop it), intake and booking for the look-ups, NATS and FerretDB."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from aiosmtpd.smtp import SMTP, Envelope, Session

from deploy.stack.infra import Infra
from services.notify.state import NOTIFY, Notify
from shared.bus import Bus, BusConfig
from shared.event_schemas import CaseAssigned
from shared.events import Envelope as Event
from shared.events import new_event
from tests.conftest import Isolation, StartService
from tests.polling import eventually
from tests.scene import bearer as bearer  # (imported from here by other tests)
from tests.scene import book, make_anna, make_org
from tests.services.booking.conftest import next_weekday_at
from tests.services.intake.conftest import NAMED

Client = TestClient[web.Request, web.Application]
CASE_WORDS = ("Piet", "Jansen", "kleineert", "teamoverleg")  # from the report's text
ANNA = "anna@vertrouwenspersonen.example"
ORG_ADMIN = "hr@zorggroep-noord.example"


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())

    def attachments(self) -> list[EmailMessage]:
        return list(self.message.iter_attachments())


@dataclass
class Inbox:
    """A real SMTP server (aiosmtpd) on a port of its own, in the test's event loop."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # addresses answered "550"
    server: asyncio.Server | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    async def start(self) -> None:
        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SMTP(self, hostname="test-inbox", enable_SMTPUTF8=True), "127.0.0.1", self.port
        )

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    def with_subject(self, address: str, words: str) -> list[Received]:
        return [r for r in self.to(address) if words in str(r.message["Subject"])]


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    box = Inbox()
    await box.start()
    yield box
    await box.stop()
    # Whatever a test did, no mail carried a word of what the reporter wrote.
    for received in box.received:
        raw = received.message.as_string()
        assert not any(word in raw for word in CASE_WORDS), received.message["Subject"]


@pytest.fixture
async def bus(infra: Infra, isolation: Isolation) -> AsyncIterator[Bus]:
    """A bus of the test's own, to publish events as the other services would."""
    bus = Bus(BusConfig(infra.nats_url, isolation.stream, isolation.subject_prefix), source="test")
    await bus.connect()
    yield bus
    await bus.close()


@dataclass
class Suite:
    intake: Client
    booking: Client
    notify: Client
    org: dict[str, Any]
    admin: Callable[[str], dict[str, str]]
    start_notify: Callable[..., Any]

    async def stop_notify(self) -> None:
        await self.notify.close()

    async def restart_notify(self, **env: str) -> None:
        """Start notify again (after ``stop_notify``), with ``env`` on top of the test's."""
        self.notify = await self.start_notify(**env)

    def state(self) -> Notify:
        app = self.notify.app
        assert app is not None
        return app[NOTIFY]

    async def report(self, **fields: Any) -> dict[str, Any]:
        body = {**NAMED, "organisation": self.org["slug"], **fields}
        answer = await self.intake.post("/v1/cases", json=body)
        assert answer.status == 201, await answer.text()
        found: dict[str, Any] = await answer.json()
        return found

    async def book(self, case: dict[str, Any], days_ahead: int = 2, **extra: Any) -> Any:
        start = next_weekday_at(10, days_ahead)
        return await book(self.booking, bearer(case["token"]), start, **extra)

    async def deliveries(self, **query: str) -> list[dict[str, Any]]:
        answer = await self.notify.get(
            "/v1/deliveries", params={"limit": "1000", **query}, headers=self.admin("notify")
        )
        assert answer.status == 200, await answer.text()
        found: list[dict[str, Any]] = (await answer.json())["items"]
        return found


NOTIFY_ENV = {
    "NOTIFY_SWEEP_INTERVAL_S": "0.2",
    "NOTIFY_SEND_BACKOFF_S": "0.2,0.4",
    "NOTIFY_WEBHOOK_ALLOW_PRIVATE": "true",
    "NOTIFY_LEASE_S": "2",
    "NOTIFY_INTAKE_URL": "https://vertrouwd.example/",
    "NOTIFY_SENDER_NAME": "Vertrouwenspersonen Noord",
}


@pytest.fixture
async def suite(start_service: StartService, inbox: Inbox, token: Callable[..., str]) -> Suite:
    intake = await start_service("intake")
    booking = await start_service("booking")

    def admin(audience: str) -> dict[str, str]:
        return bearer(token("admin", audience))

    org = await make_org(intake, token, departments=["Zorg", "Staf"])
    for staff in (
        {
            "username": "anna",
            "role": "confidant",
            "display_name": "Anna de Boer",
            "confidant_id": "c-anna",
            "email": ANNA,
        },
        {
            "username": "hr-noord",
            "role": "org_admin",
            "display_name": "HR Noord",
            "org_id": org["id"],
            "email": ORG_ADMIN,
            "locale": "en",
        },
    ):
        created = await intake.post(
            "/v1/staff",
            headers=admin("intake"),
            json={**staff, "password": "a long enough password"},
        )
        assert created.status == 201, await created.text()
    await make_anna(booking, token, org["id"], modes=["online", "on_location"])

    async def start_notify(**env: str) -> Client:
        return await start_service(
            "notify", NOTIFY_SMTP_PORT=str(inbox.port), **{**NOTIFY_ENV, **env}
        )

    notify = await start_notify()
    return Suite(intake, booking, notify, org, admin, start_notify)


def assigned(org_id: str, n: int) -> list[Event]:
    """``n`` distinct case-assigned events for Anna: one mail each."""
    return [
        new_event(
            CaseAssigned,
            {"case_id": f"case-{i}", "confidant_id": "c-anna", "reason": "least_loaded"},
            source="intake",
            org_id=org_id,
        )
        for i in range(n)
    ]


async def quiet(notify: Client, bus: Bus | None = None) -> None:
    """Until notify has nothing left that could send: (with ``bus``) its consumer has taken
    and acknowledged every event in the stream, two sweeps ran since (whatever was due is
    queued), and nothing is queued or being sent. Whatever would come, has come."""
    assert notify.app is not None
    n = notify.app[NOTIFY]
    if bus is not None:

        async def caught_up() -> bool:
            info = await bus.js.consumer_info(bus.config.stream, "notify")
            return bool(info.num_pending == 0 and info.num_ack_pending == 0)

        await eventually(caught_up)
    start = n.sweeps

    async def idle() -> bool:
        return n.sweeps >= start + 2 and n.queue.empty() and not n.busy

    await eventually(idle)


async def settle(inbox: Inbox, count: int, notify: Client, within: float = 20.0) -> None:
    """Wait until ``count`` mails arrived and notify is quiet: nothing more may come."""

    async def arrived() -> bool:
        return len(inbox.received) >= count

    await eventually(arrived, within)
    await quiet(notify)
