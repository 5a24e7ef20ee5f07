"""python -m deploy.init (the Kubernetes Job, compose's "init"): the stream from the
settings and every service's indexes, on the real servers."""

from __future__ import annotations

import nats
import pytest

from deploy.init import init
from deploy.stack.infra import Infra
from tests.conftest import Isolation


async def test_init_makes_the_stream_and_every_index(
    service_env: dict[str, str],
    infra: Infra,
    isolation: Isolation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pymongo import AsyncMongoClient

    for key, value in {**service_env, "NATS_STREAM_MAX_AGE_S": "604800"}.items():
        monkeypatch.setenv(key, value)
    await init()
    nc = await nats.connect(infra.nats_url)
    try:
        config = (await nc.jetstream().stream_info(isolation.stream)).config
        assert config.max_age == 604800 and config.num_replicas == 1
        assert f"{isolation.subject_prefix}booking.>" in (config.subjects or [])
    finally:
        await nc.close()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        signals = client[isolation.database("reporting")]["signals"]
        names = [i["name"] async for i in await signals.list_indexes()]
        assert "org_id_1" in names
        sends = client[isolation.database("notify")]["send_claims"]
        assert "at_1" in [i["name"] async for i in await sends.list_indexes()]
    finally:
        await client.close()
