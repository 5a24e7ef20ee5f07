"""/readyz really asks the database and NATS: it turns unready when either stops and ready
again when it returns. This test runs its own FerretDB and nats-server so it can stop them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from deploy.stack import FERRETDB_BIN, Process, ferretdb, free_port, nats_server, running
from services.reporting.app import create_app
from services.reporting.settings import ReportingSettings
from tests.conftest import Keys

pytestmark = pytest.mark.skipif(not FERRETDB_BIN.exists(), reason="FerretDB is not built")


@pytest.fixture
def own_servers(tmp_path: Path) -> Iterator[tuple[Process, Process]]:
    mongo = ferretdb(tmp_path / "ferretdb", free_port())
    nats = nats_server(tmp_path / "nats", free_port())
    with running([mongo, nats]):
        yield mongo, nats


async def readiness(client: TestClient) -> tuple[int, dict[str, bool]]:  # type: ignore[type-arg]
    response = await client.get("/readyz")
    return response.status, (await response.json())["checks"]


async def until(client: TestClient, status: int) -> dict[str, bool]:  # type: ignore[type-arg]
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        got, checks = await readiness(client)
        if got == status:
            return checks
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"/readyz stayed {got}: {checks}")
        await asyncio.sleep(0.1)


async def test_readyz_follows_mongo_and_nats(
    own_servers: tuple[Process, Process], keys: Keys
) -> None:
    mongo, nats = own_servers
    settings = ReportingSettings.from_env(
        {
            "MONGODB_URI": mongo.url,
            "NATS_URL": nats.url,
            "JWKS_FILE": str(keys.jwks),
        }
    )
    client: TestClient = TestClient(TestServer(create_app(settings)))  # type: ignore[type-arg]
    await client.start_server()
    try:
        assert await readiness(client) == (200, {"mongo": True, "nats": True})

        await asyncio.to_thread(mongo.kill)
        assert await until(client, 503) == {"mongo": False, "nats": True}
        await asyncio.to_thread(_restart, mongo)
        assert await until(client, 200) == {"mongo": True, "nats": True}

        await asyncio.to_thread(nats.kill)
        assert await until(client, 503) == {"mongo": True, "nats": False}
        await asyncio.to_thread(_restart, nats)
        assert await until(client, 200) == {"mongo": True, "nats": True}
    finally:
        await client.close()


def _restart(process: Process) -> None:
    process.start()
    process.wait_ready(30)
