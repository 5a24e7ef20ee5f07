"""Who may see what, held to the route table: every route of every service, called with
every role, with tokens of the organisation and case it is about and of another one.

- no token: 401; a role the table does not list: 403, whether the id exists or not;
- a listed role of another organisation or case: the same answer (403 or 404) as for an id
  that was never there, and never a word of the other organisation's data;
- a listed role of the right organisation or case: let through (what follows is the
  handler's business: 200, 409, 422 ...).
"""

from __future__ import annotations

import secrets

from shared.auth import ROLES
from shared.http import Endpoint, openapi_path
from shared.service import WHOAMI
from tests.services.world import SPECS, Client, World


def made_up(name: str) -> str:
    return secrets.token_hex(12) if name != "org_id" else f"org-{secrets.token_hex(6)}"


def url(endpoint: Endpoint, values: dict[str, str]) -> str:
    path = openapi_path(endpoint.path)
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def params(endpoint: Endpoint) -> list[str]:
    path = openapi_path(endpoint.path)
    return [seg.split("}")[0] for seg in path.split("{")[1:]]


async def call(
    client: Client, endpoint: Endpoint, path: str, headers: dict[str, str]
) -> tuple[int, str]:
    body: dict[str, str] | None = {} if endpoint.method in ("POST", "PUT", "PATCH") else None
    async with client.request(endpoint.method, path, headers=headers, json=body) as answer:
        return answer.status, await answer.text()


def routes() -> list[tuple[str, Endpoint]]:
    found = [(name, e) for name, spec in SPECS.items() for e in spec.endpoints]
    return found + [(name, WHOAMI) for name in SPECS]


async def test_every_route_answers_as_the_table_says(world: World) -> None:
    checked = 0
    for service, endpoint in routes():
        if endpoint.roles is None:
            continue
        client = world.clients[service]
        names = params(endpoint)
        real = url(endpoint, world.ids)
        fake = url(endpoint, {n: made_up(n) for n in names})
        where = f"{endpoint.method} {endpoint.path} ({service})"
        status, _ = await call(client, endpoint, real, {})
        assert status == 401, f"{where}: no token got {status}"
        for role in ROLES:
            if role in endpoint.roles:
                continue
            for path in (real, fake):
                status, text = await call(client, endpoint, path, world.token(role, service, "own"))
                assert status == 403, f"{where}: {role}, not in the table, got {status}: {text}"
        for role in endpoint.roles:
            if role in ("admin", "service"):
                continue
            status, text = await call(client, endpoint, real, world.token(role, service, "other"))
            for secret in world.secrets():
                assert secret not in text, f"{where}: {role} of another organisation read {text}"
            if endpoint.scope in ("org", "case", "own") and names:
                again, _ = await call(client, endpoint, fake, world.token(role, service, "other"))
                assert status in (403, 404), f"{where}: {role} of another org got {status}"
                assert status == again, (
                    f"{where}: {role} of another org tells existing ({status}) from made-up "
                    f"({again})"
                )
            checked += 1
    assert checked > 60


async def test_every_listed_role_is_let_through_for_its_own(world: World) -> None:
    # Last, since some of these calls change things (a cancel, a publish, a delete).
    order = sorted(routes(), key=lambda r: r[1].method == "DELETE")
    for service, endpoint in order:
        for role in endpoint.roles or ():
            status, text = await call(
                world.clients[service],
                endpoint,
                url(endpoint, world.ids),
                world.token(role, service, "own"),
            )
            where = f"{endpoint.method} {endpoint.path} ({service}) as {role}"
            assert status not in (401, 403, 500), f"{where}: {status} {text}"
            if endpoint.method != "DELETE" and params(endpoint) not in ([], ["delivery_id"]):
                assert status != 404, f"{where}: its own resource was not found: {text}"
