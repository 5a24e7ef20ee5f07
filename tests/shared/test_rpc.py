"""Request/reply on nats.micro: answered with the asker's token checked, found by the NATS
services protocol (discovery and stats), and refused cleanly."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from shared.auth import KeySet
from shared.http import AuthConfig
from shared.rpc import RpcError, ask, responder
from tests.conftest import Keys
from tests.shared.test_bus import BusFactory, make_bus, mongo

__all__ = ["make_bus", "mongo"]  # fixtures used here


async def test_answered_discovered_and_refused(
    make_bus: BusFactory, keys: Keys, token: Callable[..., str]
) -> None:
    bus = await make_bus()
    auth = AuthConfig(KeySet.from_file(keys.jwks), audience="intake", issuer="vertrouwd")
    asked: list[dict[str, Any]] = []

    async def answer(request: dict[str, Any]) -> dict[str, Any]:
        asked.append(request)
        return {"ok": True, "contact": {"locale": "nl"}}

    notify = keys.issuer.issue(sub="notify", role="service", audience="intake")
    async with responder(bus, "rpc.intake.contact", auth, frozenset({"notify"}), answer):
        reply = await ask(bus, "rpc.intake.contact", notify, case_id="c1", channel="email")
        assert reply == {"ok": True, "contact": {"locale": "nl"}}
        assert asked[0]["case_id"] == "c1"

        # The services protocol finds it, with its endpoint and what it has answered.
        info = json.loads((await bus.nc.request("$SRV.INFO.rpc-intake-contact", b"")).data)
        assert info["name"] == "rpc-intake-contact"
        [endpoint] = info["endpoints"]
        assert endpoint["subject"] == bus.subject("rpc.intake.contact")
        stats = json.loads((await bus.nc.request("$SRV.STATS.rpc-intake-contact", b"")).data)
        assert stats["endpoints"][0]["num_requests"] >= 1

        # Another service, a staff token, a forged one: refused, and the answer not asked.
        booking = keys.issuer.issue(sub="booking", role="service", audience="intake")
        for wrong, code in [
            (booking, "forbidden"),
            (token("admin", "intake"), "forbidden"),
            ("not-a-token", "unauthorized"),
        ]:
            with pytest.raises(RpcError) as refused:
                await ask(bus, "rpc.intake.contact", wrong, case_id="c1", channel="email")
            assert refused.value.code == code
        assert len(asked) == 1
        garbage = await bus.nc.request(bus.subject("rpc.intake.contact"), b"[1, 2")
        assert json.loads(garbage.data) == {"ok": False, "error": "bad_request"}

    # Stopped with the context: nobody answers any more.
    with pytest.raises(RpcError) as gone:
        await ask(bus, "rpc.intake.contact", notify, wait_s=0.5, case_id="c1", channel="email")
    assert gone.value.code == "unavailable"
