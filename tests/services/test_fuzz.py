"""Schema fuzzing: every operation of every service's own OpenAPI document, with bodies,
queries and path parameters that schemathesis derives from it (valid and invalid), sent
with a token of a role the route lets in. No answer may be a 5xx, and every answer must
match the document. The number of examples is bounded so that it runs in ``make test``
(``FUZZ_EXAMPLES`` raises it for a longer hunt)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from yarl import URL

from shared.auth import Role
from tests.services.world import SPECS, World

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
FIRST_CHOICE: tuple[Role, ...] = ("admin", "confidant", "org_admin", "employee")


Answer = tuple[int, dict[str, list[str]], bytes]
Send = Callable[[dict[str, Any]], Coroutine[Any, Any, Answer]]


def fuzz(
    document: dict[str, Any],
    base_url: str,
    tokens: dict[Role, dict[str, str]],
    send: Send,
    loop: asyncio.AbstractEventLoop,
) -> int:
    """Blocking (hypothesis drives it): run it in a thread. The requests go out on the
    test's own loop with aiohttp (the suite's requests stack is the one the CalDAV
    library brings, which schemathesis's own transport does not work with)."""
    schema = schemathesis.openapi.from_dict(document)
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        roles = (operation.definition.raw.get("description") or "").removeprefix("Roles: ")
        listed = [r for r in FIRST_CHOICE if r in roles.split(". ")[0].split(", ")]
        headers = tokens[listed[0]] if listed else {}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def probe(case: schemathesis.Case[Any]) -> None:
                nonlocal calls
                # (probe runs within this iteration, never later: the loop variable is safe)
                kwargs = case.as_transport_kwargs(base_url=base_url, headers=headers)  # noqa: B023
                future = asyncio.run_coroutine_threadsafe(send(kwargs), loop)
                status, answer_headers, content = future.result(timeout=60)
                calls += 1
                request = requests.Request(
                    kwargs["method"], kwargs["url"], headers=kwargs["headers"]
                ).prepare()
                response = schemathesis.Response(
                    status_code=status,
                    headers=answer_headers,
                    content=content,
                    request=request,
                    elapsed=0.0,
                    verify=False,
                )
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )

            try:
                probe()
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE:
                    raise
                # Nothing in this operation can be made invalid (no parameters, no body).
    return calls


def query_of(params: dict[str, Any]) -> list[tuple[str, str]]:
    """What schemathesis makes of a query (objects, nulls and lists among them, in its
    invalid cases) as a browser would send it: text."""
    pairs = []
    for key, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            text = item if isinstance(item, str) else json.dumps(item)
            pairs.append((key, text))
    return pairs


async def send(kwargs: dict[str, Any]) -> Answer:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            kwargs["method"],
            URL(kwargs["url"], encoded=True),
            params=query_of(kwargs.get("params") or {}) or None,
            headers=kwargs["headers"],
            data=kwargs.get("data"),
            json=kwargs.get("json"),
            timeout=aiohttp.ClientTimeout(total=30),
        ) as answer,
    ):
        headers: dict[str, list[str]] = {}
        for key, value in answer.headers.items():
            headers.setdefault(key, []).append(value)
        return answer.status, headers, await answer.read()


async def test_no_operation_answers_5xx_or_off_its_schema(world: World) -> None:
    total = 0
    for name in SPECS:
        client = world.clients[name]
        document = await (await client.get("/openapi.json")).json()
        tokens = {role: world.token(role, name, "own") for role in FIRST_CHOICE}
        base_url = str(client.make_url("")).rstrip("/")
        loop = asyncio.get_running_loop()
        total += await asyncio.to_thread(fuzz, document, base_url, tokens, send, loop)
    assert total > 300, total
