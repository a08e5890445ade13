"""deploy/k8s agrees with the code: every service deployed with its probes, every topic declared.

No cluster is needed: the manifests are parsed and checked against the settings classes and the
topic registry; when kubectl or kustomize is installed, each overlay is also rendered.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from cases.config import CasesSettings
from civic_events.topics import ALL_TOPICS
from civic_runtime.settings import ServiceSettings
from intake.config import IntakeSettings
from notify.config import NotifySettings
from payments.config import PaymentsSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = {"local": K8S / "overlays" / "local", "production": K8S / "overlays" / "production"}
PORTS = {"intake": 8001, "cases": 8002, "notify": 8003, "payments": 8004}
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "cases": CasesSettings,
    "notify": NotifySettings,
    "payments": PaymentsSettings,
}
SERVICES = list(PORTS)
MANIFESTS = sorted([*K8S.rglob("*.yaml"), *K8S.rglob("*.yml")])
KUSTOMIZATIONS = [
    path for path in MANIFESTS if path.name in ("kustomization.yaml", "kustomization.yml")
]
# A Kubernetes object name: a DNS subdomain.
OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def prefix(name: str) -> str:
    return f"{name.upper()}_"


def load(path: Path) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document is not None]


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    kustomization = load(BASE / "kustomization.yaml")[0]
    return [
        document for resource in kustomization["resources"] for document in load(BASE / resource)
    ]


def find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def container_port(container: dict[str, Any], port: int | str) -> int:
    """A probe's or a Service's target port, resolved by name when it is named."""
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    named = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    assert named, f"no container port named {port!r}"
    return int(named[0])


def main_container(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == name)


def literals(kustomization: dict[str, Any], generator: str, name: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for entry in kustomization.get(generator, []):
        if entry["name"] == name:
            values.update(literal.split("=", 1) for literal in entry.get("literals", []))
    return values


def referenced_files(kustomization: dict[str, Any]) -> list[str]:
    paths = [
        *kustomization.get("resources", []),
        *kustomization.get("components", []),
        *kustomization.get("crds", []),
        *[p for p in kustomization.get("patchesStrategicMerge", []) if "\n" not in p],
        *[p["path"] for p in kustomization.get("patches", []) if "path" in p],
        *[p["path"] for p in kustomization.get("patchesJson6902", []) if "path" in p],
    ]
    for generator in [
        *kustomization.get("configMapGenerator", []),
        *kustomization.get("secretGenerator", []),
    ]:
        paths += [file.split("=", 1)[-1] for file in generator.get("files", [])]
        paths += [*generator.get("envs", []), *([generator["env"]] if "env" in generator else [])]
    return [path for path in paths if "://" not in path and not path.startswith("github.com/")]


def test_there_are_manifests_to_check() -> None:
    assert BASE / "kustomization.yaml" in KUSTOMIZATIONS
    assert all(overlay / "kustomization.yaml" in KUSTOMIZATIONS for overlay in OVERLAYS.values())


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: str(path.relative_to(K8S)))
def test_every_manifest_parses(path: Path) -> None:
    documents = load(path)
    assert documents
    for document in documents:
        assert isinstance(document, dict)
        assert document.get("apiVersion") and document.get("kind")
        if document["kind"] != "Kustomization":
            assert OBJECT_NAME.match(document["metadata"]["name"]), document["metadata"]["name"]


@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda path: str(path.parent.relative_to(K8S)))
def test_each_kustomization_lists_only_files_that_exist(path: Path) -> None:
    for reference in referenced_files(load(path)[0]):
        target = (path.parent / reference).resolve()
        assert target.exists(), f"{path.relative_to(K8S)} lists {reference}, which does not exist"
        if target.is_dir():
            assert any((target / f).exists() for f in ("kustomization.yaml", "kustomization.yml"))


def test_every_base_manifest_is_listed_in_the_base_kustomization() -> None:
    listed = {
        (BASE / resource).resolve()
        for resource in load(BASE / "kustomization.yaml")[0]["resources"]
    }
    on_disk = {
        path.resolve() for path in BASE.glob("*.y*ml") if not path.name.startswith("kustomization")
    }
    assert on_disk == listed


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_deployment_probed_on_its_port(
    base: list[dict[str, Any]], name: str
) -> None:
    deployment = find(base, "Deployment", name)
    pod = deployment["spec"]["template"]["spec"]
    container = main_container(deployment, name)
    assert container["args"] == [name]
    assert PORTS[name] in [p["containerPort"] for p in container["ports"]]
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        http = container[probe]["httpGet"]
        assert http["path"] == path
        assert container_port(container, http["port"]) == PORTS[name]
    graceful_shutdown_s = SETTINGS[name].model_fields["graceful_shutdown_s"].default
    assert pod["terminationGracePeriodSeconds"] > graceful_shutdown_s
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert {"requests", "limits"} <= container["resources"].keys()


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_reads_its_database_url_from_its_secret(
    base: list[dict[str, Any]], name: str
) -> None:
    container = main_container(find(base, "Deployment", name), name)
    env = {variable["name"]: variable for variable in container.get("env", [])}
    secret = env[f"{prefix(name)}DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert secret["name"] == f"{name}-database"
    config_maps = [
        source["configMapRef"]["name"]
        for source in container["envFrom"]
        if "configMapRef" in source
    ]
    assert config_maps == [f"{name}-config"]


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_service_and_a_disruption_budget(
    base: list[dict[str, Any]], name: str
) -> None:
    deployment = find(base, "Deployment", name)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = find(base, "Service", name)
    assert service["spec"]["selector"].items() <= pod_labels.items()
    ports = {p["port"]: p.get("targetPort", p["port"]) for p in service["spec"]["ports"]}
    assert container_port(main_container(deployment, name), ports[PORTS[name]]) == PORTS[name]
    budget = find(base, "PodDisruptionBudget", name)
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("name", SERVICES)
def test_each_overlay_gives_settings_the_service_accepts(
    name: str, overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ConfigMap names only real settings (unknown ones are ignored silently) and validates."""
    environment = literals(
        load(BASE / "kustomization.yaml")[0], "configMapGenerator", f"{name}-config"
    )
    overlay_kustomization = load(OVERLAYS[overlay] / "kustomization.yaml")[0]
    environment.update(literals(overlay_kustomization, "configMapGenerator", f"{name}-config"))
    secret = literals(overlay_kustomization, "secretGenerator", f"{name}-database")
    fields = SETTINGS[name].model_fields
    unknown = {
        k
        for k in environment
        if k.startswith(prefix(name)) and k.removeprefix(prefix(name)).lower() not in fields
    }
    assert not unknown
    for key in list(os.environ):
        if key.startswith(prefix(name)):
            monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    if overlay == "production":
        assert not secret, (
            "production's database secrets are provided by the cluster, not kept here"
        )
        monkeypatch.setenv(
            f"{prefix(name)}DATABASE_URL", f"postgresql+asyncpg://{name}:vault@db:5432/{name}"
        )
    else:
        monkeypatch.setenv(f"{prefix(name)}DATABASE_URL", secret["url"])
    settings = SETTINGS[name]()
    assert settings.http_port == PORTS[name]
    assert settings.environment == ("production" if overlay == "production" else "development")


def test_a_kafka_topic_exists_for_every_registry_topic_and_its_dead_letter_twin(
    base: list[dict[str, Any]],
) -> None:
    declared = {
        document["spec"].get("topicName", document["metadata"]["name"]): document["spec"]
        for document in base
        if document["kind"] == "KafkaTopic"
    }
    for topic in ALL_TOPICS:
        for name in (topic.name, topic.dlq):
            assert name in declared, f"no KafkaTopic for {name}"
            assert declared[name]["partitions"] == topic.partitions == 12


@pytest.mark.parametrize("directory", [BASE, *OVERLAYS.values()], ids=lambda path: path.name)
def test_kustomize_renders(directory: Path) -> None:
    if kubectl := shutil.which("kubectl"):
        command = [kubectl, "kustomize", str(directory)]
    elif kustomize := shutil.which("kustomize"):
        command = [kustomize, "build", str(directory)]
    else:
        pytest.skip("neither kubectl nor kustomize is installed")
    rendered = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert rendered.returncode == 0, rendered.stderr
    documents = list(yaml.safe_load_all(rendered.stdout))
    for name in SERVICES:
        find(documents, "Deployment", name)
