"""deploy/compose.yaml is a valid Compose file and agrees with the code.

Docker cannot run here, so the file is checked against the Compose Specification's JSON
schema (kept in deploy/schema/) and every service, port and variable against the settings
classes the services really read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest
import yaml

from deploy import frontdoor
from services.booking.settings import BookingSettings
from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from shared.settings import ServiceSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "booking": BookingSettings,
    "notify": NotifySettings,
    "reporting": ReportingSettings,
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads((DEPLOY / "schema" / "compose-spec.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_valid_against_the_compose_specification(
    compose: dict[str, Any], validator: jsonschema.protocols.Validator
) -> None:
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_can_fail(
    compose: dict[str, Any], validator: jsonschema.protocols.Validator
) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["intake"]["ports"] = "8081"  # must be a list
    broken["servces"] = {}
    assert len(list(validator.iter_errors(broken))) >= 2


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "use the mapping form of environment"
    return {k: str(v) for k, v in env.items()}


FRONT_CONF = frontdoor.COMPOSE_CONF.read_text()


def test_the_front_door_is_the_one_way_in_and_its_routing_current(
    compose: dict[str, Any],
) -> None:
    front = compose["services"]["front"]
    assert front["ports"] == ["8080:8080"]
    assert compose["configs"]["front"]["file"] == "./nginx/front.conf"
    # Written from deploy/frontdoor.py's ROUTES:
    #   python -m deploy.frontdoor > deploy/nginx/front.conf
    assert frontdoor.compose_conf() == FRONT_CONF
    suite_url = compose["x-service-env"]["SUITE_URL"]
    assert urlparse(suite_url).port == 8080


def test_every_service_runs_with_the_variables_its_code_reads(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(SETTINGS) <= set(services)
    for name, settings_cls in SETTINGS.items():
        service = services[name]
        assert service["command"] == ["python", "-m", f"services.{name}"]
        env = _env(service)
        unknown = set(env) - settings_cls.all_env_names()
        assert not unknown, f"{name} sets variables its code never reads: {unknown}"
        # The settings must load from exactly this environment: nothing required is missing.
        settings = settings_cls.from_env(env)
        assert settings.host == "0.0.0.0"
        assert "ports" not in service, f"{name}: no host port, so that --scale works"
        assert f"{name}:{settings.http_port}" in FRONT_CONF  # the front door reaches it
        assert f":{settings.http_port}/readyz" in " ".join(service["healthcheck"]["test"])
        for key in ("MONGODB_URI", "NATS_URL", "CALDAV_URL", "SMTP_HOST"):
            for value in env.get(key, "").split(","):
                if value:
                    host = value if key == "SMTP_HOST" else urlparse(value).hostname
                    assert host in services, f"{name}: {key} points at {host}, not here"
        assert "/keys:ro" in " ".join(service["volumes"])


def test_a_nats_cluster_of_three_and_a_stream_made_once_with_three_replicas(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    nats = [n for n in services if n.startswith("nats")]
    assert len(nats) == 3
    for name in nats:
        command = services[name]["command"]
        assert "-js" in command and "--cluster_name" in command
        routes = command[command.index("--routes") + 1].split(",")
        assert {urlparse(r).hostname for r in routes} == set(nats)
    init = services["init"]
    assert init["command"] == ["python", "-m", "deploy.init"]
    assert _env(init)["NATS_STREAM_REPLICAS"] == "3"
    every = set().union(*(c.all_env_names() for c in SETTINGS.values()))
    assert set(_env(init)) <= every, set(_env(init)) - every
    for name in SETTINGS:
        depends = services[name]["depends_on"]
        assert depends["init"]["condition"] == "service_completed_successfully"


def test_one_image_for_all_services(compose: dict[str, Any]) -> None:
    builds = {json.dumps(compose["services"][n]["build"], sort_keys=True) for n in SETTINGS}
    assert len(builds) == 1
    dockerfile = (
        DEPLOY.parent
        / json.loads(builds.pop())["context"].replace("..", ".")
        / compose["services"]["intake"]["build"]["dockerfile"]
    )
    assert dockerfile.exists()
