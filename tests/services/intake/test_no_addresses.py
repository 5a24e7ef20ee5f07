"""No client address in intake's logs or database: a reporter's address beside the moment a
case was opened would say who reported. The rate limits count by a keyed hash instead."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.services.intake.conftest import Client, state

ADDRESS = "203.0.113.77"  # sent as X-Forwarded-For, which intake is told to trust


def contains(value: Any, needle: str) -> bool:
    if isinstance(value, dict):
        return any(contains(k, needle) or contains(v, needle) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains(v, needle) for v in value)
    return needle in str(value)


async def test_reporting_coming_back_and_logging_in_leave_no_address(
    start_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    intake: Client = await start_service("intake", INTAKE_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8")
    admin_token = state(intake).issuer.issue(role="admin", audience="intake", sub="office")
    made = await intake.post(
        "/v1/orgs",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"name": "Zorggroep Noord", "slug": "zorggroep-noord", "confidant_ids": ["c-anna"]},
    )
    assert made.status == 201, await made.text()
    via = {"X-Forwarded-For": f"{ADDRESS}, 10.0.0.1"}
    for path, body in [
        ("/v1/cases", {"organisation": "zorggroep-noord", "category": "pesten", "anonymous": True}),
        ("/v1/cases/access", {"case_code": "WRONG-CODE-0000-0000"}),
        ("/v1/auth/token", {"username": "nobody", "password": "not a password"}),
        ("/o/zorggroep-noord", None),
    ]:
        answer = await (
            intake.post(path, json=body, headers=via) if body else intake.get(path, headers=via)
        )
        assert answer.status < 500, await answer.text()

    db = state(intake).db
    counters = await db["throttle"].find().to_list(100)
    assert counters, "the rate limits counted these requests"
    for name in await db.list_collection_names():
        for doc in await db[name].find().to_list(10_000):
            assert not contains(doc, ADDRESS), f"{name} holds the client's address: {doc}"
            assert not contains(doc, "127.0.0.1"), f"{name} holds the client's address: {doc}"
    # The logs, down to DEBUG and the database driver's (which name the database server's
    # address, 127.0.0.1 here, so only the client's own address is looked for).
    logged = [record.getMessage() for record in caplog.records]
    assert logged
    assert not [line for line in logged if ADDRESS in line]
