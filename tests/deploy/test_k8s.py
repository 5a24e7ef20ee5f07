"""deploy/k8s holds valid Kubernetes manifests that agree with the code.

No cluster runs here, so every manifest is validated offline against the Kubernetes API
schemas that the kubernetes-validate package ships (strict: no unknown fields), and every
variable the manifests set is one that the service it reaches really reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

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
