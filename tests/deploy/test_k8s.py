"""deploy/k8s holds valid Kubernetes manifests that agree with the code.

No cluster runs here, so every manifest is validated offline against the Kubernetes API
schemas that the kubernetes-validate package ships (strict: no unknown fields), and every
variable the manifests set is one that the service it reaches really reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from deploy import frontdoor
from services.booking.settings import BookingSettings
from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from shared.settings import ServiceSettings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
VERSION = "1.31.0"
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "booking": BookingSettings,
    "notify": NotifySettings,
    "reporting": ReportingSettings,
}
EVERY_SERVICE = set().union(*(s.all_env_names() for s in SETTINGS.values()))


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name.endswith("-values.yaml") or path.name == "kustomization.yaml":
            continue
        found += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return found


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in documents() if d["kind"] == kind}


@pytest.mark.parametrize(
    ("name", "doc"), documents(), ids=[f"{n}:{d['kind']}" for n, d in documents()]
)
def test_every_manifest_is_valid_kubernetes(name: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert set(kustomization["resources"]) == {name for name, _ in documents()}


def test_each_service_runs_twice_with_probes_resources_and_a_budget() -> None:
    deployments, budgets = of_kind("Deployment"), of_kind("PodDisruptionBudget")
    assert set(deployments) == set(SETTINGS) == set(budgets) == set(of_kind("Service"))
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        assert spec["replicas"] >= 2, name
        [container] = spec["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", f"services.{name}"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert budgets[name]["spec"]["minAvailable"] == 1
        labels = spec["template"]["metadata"]["labels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_every_variable_set_is_read_by_the_code() -> None:
    config = of_kind("ConfigMap")["vertrouwd-config"]["data"]
    unknown = set(config) - EVERY_SERVICE
    assert not unknown, f"the ConfigMap sets what no service reads: {unknown}"
    secret = of_kind("Secret")["vertrouwd-keys"]["stringData"]
    for name, deployment in of_kind("Deployment").items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        reads = SETTINGS[name].all_env_names()
        for variable in container.get("env", []):
            assert variable["name"] in reads, f"{name} does not read {variable['name']}"
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secret, f"{name}: no key {ref['key']} in the Secret"
        mounted = {m["mountPath"] for m in container["volumeMounts"]}
        files = [v["value"] for v in container.get("env", []) if v["name"].endswith("_FILE")]
        files.append(config["JWKS_FILE"])
        for file in files:
            assert any(file.startswith(f"{m}/") for m in mounted), f"{name}: {file} not mounted"
            assert file.rsplit("/", 1)[-1] in secret, f"{name}: {file} is not in the Secret"
    [job] = of_kind("Job").values()
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "deploy.init"]
    for variable in container["env"]:
        assert variable["name"] in EVERY_SERVICE, variable["name"]


def test_the_stream_is_made_with_three_replicas_in_a_cluster() -> None:
    assert of_kind("ConfigMap")["vertrouwd-config"]["data"]["NATS_STREAM_REPLICAS"] == "3"
    nats = yaml.safe_load((K8S / "nats-values.yaml").read_text())
    assert nats["config"]["cluster"] == {"enabled": True, "replicas": 3}
    assert nats["config"]["jetstream"]["enabled"] is True
    mongo = yaml.safe_load((K8S / "mongodb-values.yaml").read_text())
    assert mongo["architecture"] == "replicaset" and mongo["replicaCount"] >= 3


def _match(p: dict[str, Any], path: str, rewrite: str | None) -> tuple[int, str] | None:
    """How well one Ingress path matches ``path`` (higher wins), and the path it arrives
    with: Exact and Prefix as the Ingress API defines them (Prefix by whole path elements),
    ingress-nginx's regular expressions with the Ingress's rewrite."""
    if p["pathType"] == "ImplementationSpecific":
        found = re.match(p["path"], path)
        if not (found and rewrite):
            return None
        return len(p["path"]), found.expand(re.sub(r"\$(\d)", r"\\\1", rewrite))
    if p["pathType"] == "Exact":
        return (len(p["path"]) + 1000, path) if path == p["path"] else None  # before prefixes
    want = [e for e in p["path"].split("/") if e]
    return (
        (len(p["path"]), path) if [e for e in path.split("/") if e][: len(want)] == want else None
    )


def _k8s_route(ingresses: dict[str, dict[str, Any]], path: str) -> tuple[str, str] | None:
    """Where Kubernetes sends ``path``: (service, the path it arrives with)."""
    best: tuple[int, str, str] | None = None
    for ingress in ingresses.values():
        rewrite = ingress["metadata"]["annotations"].get(
            "nginx.ingress.kubernetes.io/rewrite-target"
        )
        for rule in ingress["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                found = _match(p, path, rewrite)
                if found and (best is None or found[0] > best[0]):
                    best = (found[0], p["backend"]["service"]["name"], found[1])
    return None if best is None else (best[1], best[2])


def test_the_ingress_routes_as_the_front_door_does() -> None:
    # Written from deploy/frontdoor.py's ROUTES: python -m deploy.frontdoor k8s > …/ingress.yaml
    assert frontdoor.K8S_INGRESS.read_text() == frontdoor.k8s_ingress()
    ingresses = of_kind("Ingress")
    ports = {
        name: service["spec"]["ports"][0]["port"] for name, service in of_kind("Service").items()
    }
    for ingress in ingresses.values():
        for rule in ingress["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                backend = p["backend"]["service"]
                assert backend["port"]["number"] == ports[backend["name"]], p
    # Every page, file and API path reaches the service nginx sends it to, as that service
    # expects it (the API without its /api/<service> prefix).
    samples = [path for _, path, _ in frontdoor.ROUTES] + [
        "/o/zorggroep-noord",
        "/staff/cases/VP-2026-ABC123",
        "/static/common/site.css",
        *(f"/static/{s}/x.js" for s in frontdoor.SERVICES),
        *(f"/api/{s}/v1/things?x=1" for s in frontdoor.SERVICES),
    ]
    for path in samples:
        service = frontdoor.route_of(path)
        assert service is not None, path
        arrives = path.removeprefix(f"/api/{service}") if path.startswith("/api/") else path
        assert _k8s_route(ingresses, path) == (service, arrives), path
    assert _k8s_route(ingresses, "/nergens") is None
