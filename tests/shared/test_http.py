"""The HTTP conventions, through a real app on real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from services.intake.settings import IntakeSettings
from shared.http import Endpoint, read_body, require
from shared.service import ServiceSpec, build_app


class Greeting(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    times: int = Field(ge=1, le=3)


async def greet(request: web.Request) -> web.Response:
    body = await read_body(request, Greeting)
    return web.json_response({"greeting": " ".join([f"hoi {body.name}"] * body.times)})


async def explode(request: web.Request) -> web.Response:
    raise RuntimeError("secret internals: mongodb://user:pw@db")


async def org_only(request: web.Request) -> web.Response:
    who = require(request, ["org_admin", "admin"], org_id=request.match_info["org_id"])
    return web.json_response({"role": who.role})


class Said(TypedDict):
    greeting: str


class Counted(TypedDict):
    count: int  # what /v1/miscounted says it answers, which it does not


async def miscounted(request: web.Request) -> web.Response:
    return web.json_response({"count": "many"})


METRICS_TOKEN = "scrape-0123456789"
SPEC = ServiceSpec(
    name="intake",
    endpoints=[
        Endpoint("POST", "/v1/greet", greet, "Greet.", body=Greeting, response=Said),
        Endpoint("GET", "/v1/miscounted", miscounted, "Says one thing.", response=Counted),
        Endpoint("GET", "/v1/explode", explode, "Fail."),
        Endpoint("GET", "/v1/orgs/{org_id}/thing", org_only, "Org-scoped.", roles=["org_admin"]),
    ],
)


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    settings = IntakeSettings.from_env(
        {**service_env, "INTAKE_MAX_BODY_BYTES": "2048", "METRICS_TOKEN": METRICS_TOKEN}
    )
    client: TestClient = TestClient(TestServer(build_app(settings, SPEC)))  # type: ignore[type-arg]
    await client.start_server()
    yield client
    await client.close()


def assert_error(body: dict[str, object], code: str) -> dict[str, object]:
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"code", "message", "fields"} and error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


async def test_healthz_and_readyz(client: TestClient) -> None:  # type: ignore[type-arg]
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {
        "status": "ready",
        "checks": {"mongo": True, "nats": True},
        "notes": {},
    }


async def test_404_405_shape(client: TestClient) -> None:  # type: ignore[type-arg]
    missing = await client.get("/v1/nothing-here")
    assert missing.status == 404
    assert_error(await missing.json(), "not_found")
    wrong = await client.delete("/v1/greet")
    assert wrong.status == 405 and "POST" in wrong.headers["Allow"]
    assert_error(await wrong.json(), "method_not_allowed")


async def test_422_names_the_fields(client: TestClient) -> None:  # type: ignore[type-arg]
    response = await client.post("/v1/greet", json={"name": "", "times": 9, "extra": 1})
    assert response.status == 422
    error = assert_error(await response.json(), "invalid")
    fields = error["fields"]
    assert isinstance(fields, dict) and set(fields) == {"name", "times"}


async def test_malformed_json_and_wrong_type(client: TestClient) -> None:  # type: ignore[type-arg]
    bad = await client.post(
        "/v1/greet", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad.status == 400
    assert_error(await bad.json(), "malformed_json")
    form = await client.post("/v1/greet", data={"name": "x"})
    assert form.status == 415
    assert_error(await form.json(), "unsupported_media_type")


async def test_oversized_body(client: TestClient) -> None:  # type: ignore[type-arg]
    response = await client.post("/v1/greet", json={"name": "x" * 5000, "times": 1})
    assert response.status == 413
    assert_error(await response.json(), "payload_too_large")


async def test_success(client: TestClient) -> None:  # type: ignore[type-arg]
    response = await client.post("/v1/greet", json={"name": "Sam", "times": 2})
    assert response.status == 200 and await response.json() == {"greeting": "hoi Sam hoi Sam"}


async def test_unexpected_exception_is_500_without_internals(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    response = await client.get("/v1/explode", headers={"X-Request-Id": "req-42"})
    assert response.status == 500
    error = assert_error(await response.json(), "internal")
    assert "secret" not in str(error) and "req-42" in str(error["message"])
    assert response.headers["X-Request-Id"] == "req-42"


async def test_request_id_is_made_when_missing_or_unsafe(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    made = await client.get("/healthz")
    assert len(made.headers["X-Request-Id"]) == 32
    unsafe = await client.get("/healthz", headers={"X-Request-Id": "a b\tc<script>"})
    assert unsafe.headers["X-Request-Id"] != "a b\tc<script>"


async def test_auth_and_org_scoping(
    client: TestClient,  # type: ignore[type-arg]
    token: Callable[..., str],
) -> None:
    url = "/v1/orgs/o1/thing"
    none = await client.get(url)
    assert none.status == 401 and "Bearer" in none.headers["WWW-Authenticate"]
    assert_error(await none.json(), "unauthorized")
    garbage = await client.get(url, headers={"Authorization": "Bearer x.y.z"})
    assert garbage.status == 401
    other_service = token("admin", "booking")
    assert (
        await client.get(url, headers={"Authorization": f"Bearer {other_service}"})
    ).status == 401
    mine = token("org_admin", "intake", org_id="o1")
    ok = await client.get(url, headers={"Authorization": f"Bearer {mine}"})
    assert ok.status == 200 and (await ok.json()) == {"role": "org_admin"}
    theirs = token("org_admin", "intake", org_id="o2")
    denied = await client.get(url, headers={"Authorization": f"Bearer {theirs}"})
    assert denied.status == 403
    assert_error(await denied.json(), "forbidden")
    employee = token("employee", "intake", org_id="o1", case_id="c1")
    assert (await client.get(url, headers={"Authorization": f"Bearer {employee}"})).status == 403


async def test_metrics_count_requests_by_route(client: TestClient) -> None:  # type: ignore[type-arg]
    await client.get("/v1/orgs/o9/thing")
    scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    text = await scraped.text()
    assert (
        'http_requests_total{method="GET",route="/v1/orgs/{org_id}/thing",status="401"} 1.0' in text
    )


async def test_openapi_lists_every_route(client: TestClient) -> None:  # type: ignore[type-arg]
    doc = await (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert {
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/v1/whoami",
        "/v1/greet",
        "/v1/orgs/{org_id}/thing",
    } <= set(doc["paths"])
    greet_op = doc["paths"]["/v1/greet"]["post"]
    assert (
        greet_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        == "#/components/schemas/Greeting"
    )
    assert "Greeting" in doc["components"]["schemas"]


def test_answers_are_documented_and_two_shapes_of_one_name_are_refused() -> None:
    from pydantic import BaseModel

    from shared.http import Endpoint
    from shared.http.openapi import openapi_document
    from shared.listing import Listed

    class Thing(TypedDict):
        id: str

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({})

    listed = Endpoint("GET", "/v1/things", handler, "Things.", response=Listed[Thing])
    document = openapi_document("test", [listed])
    answer = document["paths"]["/v1/things"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Listed_Thing"
    }
    assert set(document["components"]["schemas"]["Listed_Thing"]["properties"]) == {
        "items",
        "next",
    }

    class Other(BaseModel):  # another shape, named as the answer's item
        name: str

    Other.__name__ = "Thing"
    clash = Endpoint("POST", "/v1/things", handler, "A thing.", body=Other)
    with pytest.raises(ValueError, match="two schemas are named Thing"):
        openapi_document("test", [listed, clash])


async def test_an_answer_that_is_not_what_its_route_declares_fails_loudly(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    # (the services run so in the tests: CHECK_ANSWERS, from tests/conftest.py)
    said = await client.post("/v1/greet", json={"name": "Anna", "times": 1})
    assert said.status == 200  # as declared
    wrong = await client.get("/v1/miscounted")
    assert wrong.status == 500  # an int was declared, a text was answered
