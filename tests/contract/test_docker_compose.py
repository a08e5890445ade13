"""docker-compose.yml runs the same stack as the local one: ports, databases, topics, scrape targets.

No Docker engine is needed: the file is parsed and checked against the code it runs (the settings
classes and the topic registry), so a renamed setting or a new topic cannot drift silently.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
PORTS = {"intake": 8001, "cases": 8002, "notify": 8003, "payments": 8004}
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "cases": CasesSettings,
    "notify": NotifySettings,
    "payments": PaymentsSettings,
}
SERVICES = list(PORTS)


def prefix(name: str) -> str:
    return f"{name.upper()}_"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def published_ports(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port, from the short ("[ip:]host:container") or the long syntax."""
    ports: dict[int, int] = {}
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports[int(entry["target"])] = int(entry.get("published", entry["target"]))
            continue
        parts = str(entry).split("/")[0].rsplit(":", 2)
        container = int(parts[-1])
        ports[container] = int(parts[-2]) if len(parts) > 1 else container
    return ports


def words(command: Any) -> str:
    return " ".join(command) if isinstance(command, list) else str(command)


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of the service's bind mounts."""
    mounts: dict[str, Path] = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            source, target = volume.get("source", ""), volume["target"]
        else:
            source, target = str(volume).split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = (ROOT / source).resolve()
    return mounts


def kafka_advertised(services: dict[str, dict[str, Any]]) -> set[str]:
    listeners = environment(services["kafka"])["KAFKA_ADVERTISED_LISTENERS"]
    return {listener.split("://", 1)[1] for listener in listeners.split(",")}


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_the_one_image_with_its_own_command(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    build = service["build"]
    assert (build if isinstance(build, str) else build["context"]) in (".", "./")
    command = service["command"]
    assert (shlex.split(command) if isinstance(command, str) else command) == [name]


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_listens_on_its_port(services: dict[str, dict[str, Any]], name: str) -> None:
    service, port = services[name], PORTS[name]
    assert published_ports(service).get(port) == port
    env = environment(service)
    assert env[f"{prefix(name)}HTTP_PORT"] == str(port)
    assert env[f"{prefix(name)}HTTP_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_uses_its_own_database(services: dict[str, dict[str, Any]], name: str) -> None:
    url = urlsplit(environment(services[name])[f"{prefix(name)}DATABASE_URL"])
    assert url.scheme == "postgresql+asyncpg"
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.path == f"/{name}"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_reaches_kafka_on_an_advertised_listener(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    bootstrap = environment(services[name])[f"{prefix(name)}KAFKA_BOOTSTRAP_SERVERS"].split(",")
    for server in bootstrap:
        assert server.split(":")[0] == "kafka"
        assert server in kafka_advertised(services)


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_starts_once_its_infrastructure_is_ready(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    depends_on = services[name]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["kafka"]["condition"] == "service_healthy"
    assert depends_on["kafka-init"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_healthcheck_asks_its_own_healthz(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    check = words(services[name]["healthcheck"]["test"])
    assert f":{PORTS[name]}/healthz" in check
    assert "urllib" in check  # the slim image has no curl


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_given_only_settings_it_has(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic-settings ignores unknown variables, so a misspelt one would be lost silently."""
    settings_class = SETTINGS[name]
    env = {
        key: value
        for key, value in environment(services[name]).items()
        if key.startswith(prefix(name))
    }
    fields = settings_class.model_fields
    unknown = {key for key in env if key.removeprefix(prefix(name)).lower() not in fields}
    assert not unknown
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = settings_class()
    assert settings.http_port == PORTS[name]
    assert settings.service_name == name


@pytest.mark.parametrize("name", SERVICES)
def test_code_defaults_agree_with_the_compose_stack(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [key for key in os.environ if key.startswith(prefix(name))]:
        monkeypatch.delenv(key)
    settings = SETTINGS[name]()
    assert settings.service_name == name
    assert name in services
    assert published_ports(services[name]).get(settings.http_port) == settings.http_port
    assert urlsplit(settings.database_url).path == f"/{name}"


def test_infrastructure_is_all_there(services: dict[str, dict[str, Any]]) -> None:
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert published_ports(services["kafka"]).get(9092) == 9092
    assert kafka_advertised(services) & {"127.0.0.1:9092", "localhost:9092"}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert published_ports(services["postgres"]).get(5432) == 5432
    assert services["prometheus"]["image"].startswith("prom/prometheus")
    assert published_ports(services["prometheus"]).get(9090) == 9090
    smtp_sinks = [name for name, service in services.items() if 1025 in published_ports(service)]
    assert smtp_sinks, "no SMTP sink on 1025"
    assert published_ports(services["jaeger"]).keys() >= {16686, 4318}
    assert environment(services["jaeger"]).get("COLLECTOR_OTLP_ENABLED") == "true"


def test_services_export_traces_to_jaeger_by_otlp_http(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in SERVICES:
        endpoint = urlsplit(environment(services[name])["OTEL_EXPORTER_OTLP_ENDPOINT"])
        assert (endpoint.hostname, endpoint.port) == ("jaeger", 4318)


def test_postgres_init_script_creates_every_service_database(
    services: dict[str, dict[str, Any]],
) -> None:
    scripts = [
        path
        for target, path in bind_mounts(services["postgres"]).items()
        if target.startswith("/docker-entrypoint-initdb.d")
    ]
    assert scripts, "no init script mounted into /docker-entrypoint-initdb.d"
    sql = "\n".join(
        file.read_text()
        for path in scripts
        for file in (sorted(path.glob("*.sql")) if path.is_dir() else [path])
    )
    created = set(re.findall(r'create\s+database\s+"?(\w+)"?', sql, flags=re.IGNORECASE))
    assert created >= set(SERVICES)


def test_kafka_init_creates_every_registry_topic_and_its_dead_letter_twin(
    services: dict[str, dict[str, Any]],
) -> None:
    init = services["kafka-init"]
    assert init["image"] == services["kafka"]["image"]
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    script = " ".join([words(init.get("entrypoint", "")), words(init.get("command", ""))])
    tokens = set(re.split(r"[\s\"'\\;]+", script))
    assert "kafka-topics.sh" in script
    assert {"--create", "--if-not-exists"} <= tokens
    bootstrap = re.search(r"--bootstrap-server[\s=]+(\S+)", script)
    assert bootstrap and bootstrap.group(1) in kafka_advertised(services)
    missing = {name for topic in ALL_TOPICS for name in (topic.name, topic.dlq)} - tokens
    assert not missing
    # One loop creates them all, so the registry must agree on one partition count.
    partitions = {str(topic.partitions) for topic in ALL_TOPICS}
    assert set(re.findall(r"--partitions[\s=]+(\d+)", script)) == partitions


def test_prometheus_scrapes_every_service(services: dict[str, dict[str, Any]]) -> None:
    config_file = bind_mounts(services["prometheus"])["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_file.read_text())
    scraped = {
        (target, job.get("metrics_path", "/metrics"))
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    for name, port in PORTS.items():
        assert (f"{name}:{port}", "/metrics") in scraped
