"""Intake on real FerretDB and NATS: a running service, an admin, an organisation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nats
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from deploy.stack.infra import Infra
from services.intake.state import INTAKE, Intake
from tests.conftest import Isolation, StartService
from tests.scene import bearer as bearer  # (imported from here by other tests)
from tests.scene import make_org

Client = TestClient[web.Request, web.Application]
CONFIDANTS = ("c-anna", "c-bram")


def state(client: Client) -> Intake:
    app: web.Application | None = client.app
    assert app is not None
    return app[INTAKE]


@pytest.fixture
async def intake(start_service: StartService) -> Client:
    return await start_service("intake")


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token("admin", "intake"))


@pytest.fixture
async def org(intake: Client, token: Callable[..., str]) -> dict[str, Any]:
    return await make_org(intake, token, confidant_ids=CONFIDANTS, departments=["Zorg", "Staf"])


@pytest.fixture
def confidant(token: Callable[..., str], org: dict[str, Any]) -> Callable[[str], dict[str, str]]:
    """Headers of a confidant of the organisation: confidant("c-anna")."""

    def headers(confidant_id: str) -> dict[str, str]:
        return bearer(token("confidant", "intake", orgs=[org["id"]], sub=confidant_id))

    return headers


NAMED: dict[str, Any] = {
    "reporter_role": "employee",
    "category": "pesten",
    "anonymous": False,
    "contact": {
        "name": "Jan de Vries",
        "email": "jan.devries@example.nl",
        "phone": "+31 6 1234 5678",
        "preferred_channel": "email",
    },
    "meeting_mode": "walk",
    "department": "Zorg",
    "text": "Mijn leidinggevende Piet Jansen kleineert mij elke week in het teamoverleg.",
}


class Workspace:
    """What the confidant sees and does in the workspace (through the API), for the worlds
    of the channel tests: their cases, a case's messages, an answer."""

    intake: Client
    anna: dict[str, str]

    async def cases(self) -> list[dict[str, Any]]:
        body = await (await self.intake.get("/v1/cases", headers=self.anna)).json()
        return list(body["items"])

    async def messages(self, case_id: str) -> list[dict[str, Any]]:
        url = f"/v1/cases/{case_id}/messages"
        return list((await (await self.intake.get(url, headers=self.anna)).json())["items"])

    async def answer(self, case_id: str, text: str) -> None:
        said = await self.intake.post(
            f"/v1/cases/{case_id}/messages", headers=self.anna, json={"text": text}
        )
        assert said.status == 201, await said.text()


async def report(client: Client, org: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {**NAMED, "organisation": org["slug"], **fields}
    response = await client.post("/v1/cases", json=body)
    assert response.status == 201, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def stream_events(infra: Infra, isolation: Isolation) -> list[dict[str, Any]]:
    """Everything on this test's stream, read back raw."""
    import json

    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(f"{isolation.subject_prefix}>", stream=isolation.stream)
        found: list[dict[str, Any]] = []
        while True:
            try:
                batch = await sub.fetch(100, timeout=0.5)
            except (nats.errors.TimeoutError, TimeoutError):  # nats-py raises either
                return found
            found.extend(json.loads(m.data) for m in batch)
    finally:
        await nc.close()


@dataclass
class Desk:
    """What most intake tests start from: the running intake, its organisation, the
    headers of an admin and of its confidants, and the test's servers."""

    intake: Client
    org: dict[str, Any]
    admin: dict[str, str]
    confidant: Callable[[str], dict[str, str]]
    token: Callable[..., str]
    infra: Infra
    isolation: Isolation

    async def report(self, **fields: Any) -> dict[str, Any]:
        """A named report (``NAMED`` and ``fields``) to the organisation."""
        return await report(self.intake, self.org, **fields)

    async def events(self) -> list[dict[str, Any]]:
        return await stream_events(self.infra, self.isolation)


@pytest.fixture
def desk(
    intake: Client,
    org: dict[str, Any],
    admin: dict[str, str],
    confidant: Callable[[str], dict[str, str]],
    token: Callable[..., str],
    infra: Infra,
    isolation: Isolation,
) -> Desk:
    return Desk(intake, org, admin, confidant, token, infra, isolation)
