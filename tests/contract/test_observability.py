"""deploy/observability agrees with itself and with the services: a valid Prometheus configuration,
alert rules that pass their unit tests, metric names that pass promtool's lint on the real
/metrics of each service, and dashboards that query only metrics that exist.

promtool comes from Debian's prometheus package (`scripts/infra/prometheus.sh install`); when it is
missing it is installed, and only if that cannot be done are the promtool tests skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from civic_runtime.metrics import RuntimeMetrics

sys.path.insert(0, str(Path(__file__).parents[1]))

from service_apps import SERVICES, create_service_app, started_service

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
DASHBOARDS = sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json"))

# The business metrics agreed for each service (the lead's shared contract), by base name.
BUSINESS_METRICS: dict[str, set[str]] = {
    "intake": {"civic_intake_submissions_total", "civic_intake_backoffice_events_total"},
    "cases": {
        "civic_cases_opened_total",
        "civic_cases_status_changes_total",
        "civic_cases_sla_breaches_total",
    },
    "notify": {
        "civic_notify_time_to_tell_seconds",
        "civic_notify_notifications_total",
        "civic_notify_recipient_limited_total",
    },
    "payments": {
        "civic_payments_outcomes_total",
        "civic_payments_webhooks_total",
        "civic_payments_reconciled_total",
    },
}
HTTP_METRICS = {"civic_http_requests_total", "civic_http_request_seconds"}
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def runtime_metric_names() -> set[str]:
    registry = RuntimeMetrics().registry
    names = set()
    for metric in registry.collect():
        names.add(metric.name + ("_total" if metric.type == "counter" else ""))
    return names | HTTP_METRICS


def recorded_names() -> set[str]:
    rules = yaml.safe_load((OBSERVABILITY / "rules" / "recording.yml").read_text())
    return {rule["record"] for group in rules["groups"] for rule in group["rules"]}


def known_metric_names() -> set[str]:
    names = runtime_metric_names() | recorded_names() | {"up"}
    for service_metrics in BUSINESS_METRICS.values():
        names |= service_metrics
    return names


@functools.cache
def find_or_install_promtool() -> tuple[str | None, str]:
    """promtool's path, installing Debian's package once if needed; else None and why."""
    found = shutil.which("promtool")
    if found is not None:
        return found, ""
    install = subprocess.run(
        [str(ROOT / "scripts" / "infra" / "prometheus.sh"), "install"],
        capture_output=True,
        text=True,
        timeout=280,
    )
    return shutil.which("promtool"), install.stderr.strip()[-300:]


def promtool() -> str:
    found, why = find_or_install_promtool()
    if found is None:
        pytest.skip(
            "promtool is not installed and scripts/infra/prometheus.sh install could not "
            f"install it: {why}"
        )
    return found


def run_promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


# --- Prometheus configuration and rules --------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.compose.yml"])
def test_the_prometheus_configuration_and_its_rules_are_valid(config: str) -> None:
    result = run_promtool("check", "config", str(OBSERVABILITY / config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 2 rule files found" in result.stdout


@pytest.mark.unit
@pytest.mark.parametrize(
    ("config", "hosts"),
    [("prometheus.yml", "127.0.0.1"), ("prometheus.compose.yml", "{service}")],
)
def test_prometheus_scrapes_each_service_on_its_port_with_a_service_label(
    config: str, hosts: str
) -> None:
    document = yaml.safe_load((OBSERVABILITY / config).read_text())
    (job,) = [job for job in document["scrape_configs"] if job["job_name"] == "civic-events"]
    targets = {static["labels"]["service"]: static["targets"] for static in job["static_configs"]}
    ports = {"intake": 8001, "cases": 8002, "notify": 8003, "payments": 8004}
    assert targets == {
        service: [f"{hosts.format(service=service)}:{port}"] for service, port in ports.items()
    }


@pytest.mark.unit
def test_every_alert_rule_passes_its_unit_tests() -> None:
    tests = sorted(str(path) for path in (OBSERVABILITY / "tests").glob("*.yml"))
    assert tests
    result = run_promtool("test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.unit
@pytest.mark.parametrize("rules_file", ["recording.yml", "alerts.yml"])
def test_the_rules_use_only_metrics_that_exist(rules_file: str) -> None:
    known = known_metric_names()
    rules = yaml.safe_load((OBSERVABILITY / "rules" / rules_file).read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            names = metric_names(rule["expr"])
            unknown = {name for name in names if base_name(name, known) not in known}
            assert not unknown, f"{unknown} in {rule['expr']!r}"


@pytest.mark.unit
def test_every_alert_has_a_firing_case_in_the_unit_tests() -> None:
    rules = yaml.safe_load((OBSERVABILITY / "rules" / "alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert alerts >= {
        "TimeToTellOverTarget",
        "DeadLettersGrowing",
        "ConsumerLagGrowing",
        "OutboxBacklogAgeing",
        "NotificationFailureRateHigh",
        "SlaBreachesRising",
        "ServiceDown",
    }
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in (OBSERVABILITY / "tests").glob("*.yml"):
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    assert firing == alerts
    assert quiet == alerts


# --- metric names on the services' real /metrics -----------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("service", SERVICES)
async def test_each_services_metrics_pass_promtools_lint_and_include_its_business_metrics(
    service: str, database_url: str, topic_prefix: str, infrastructure: Any
) -> None:
    async with started_service(
        service, database_url=database_url, topic_prefix=topic_prefix, infrastructure=infrastructure
    ) as client:
        await client.get("/healthz")  # so the HTTP metrics have a sample
        exposition = (await client.get("/metrics")).text

    result = run_promtool("check", "metrics", stdin=exposition)
    assert result.returncode == 0, result.stdout + result.stderr

    served = set(re.findall(r"^# TYPE (\S+) ", exposition, flags=re.MULTILINE))
    served |= {f"{name}_total" for name in served}  # TYPE names a counter without _total
    expected = BUSINESS_METRICS[service] | {
        "civic_consumer_lag",
        "civic_consumer_events_total",
        "civic_outbox_oldest_age_seconds",
        "civic_outbox_pending",
        "civic_http_requests_total",
    }
    assert expected <= served, expected - served


# --- Grafana dashboards ------------------------------------------------------------------------


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in dashboard.get("panels", []):
        found.append(panel)
        found.extend(panel.get("panels", []))  # collapsed rows hold their panels
    return found


def expressions(dashboard: dict[str, Any]) -> list[str]:
    exprs = [
        target["expr"]
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
        if target.get("expr")
    ]
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if variable.get("type") == "query" and isinstance(query, str):
            match = re.fullmatch(r"label_values\((.+),\s*\w+\)", query.strip())
            if match:
                exprs.append(match.group(1))
    return exprs


def as_promql(expr: str) -> str:
    """Grafana's variables replaced by values, so the expression parses as plain PromQL."""
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    expr = expr.replace("$__range", "1h")
    return re.sub(r"\$\{?\w+(?::\w+)?\}?", ".*", expr)


METRIC_TOKEN = re.compile(
    r"(?<![\w:\"'])([a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+|civic_[a-z0-9_]+|up)\b"
)


def metric_names(expr: str) -> set[str]:
    without_labels = re.sub(r"\{[^}]*\}", "{}", expr)
    without_strings = re.sub(r'"[^"]*"', '""', without_labels)
    return set(METRIC_TOKEN.findall(without_strings))


def base_name(name: str, known: set[str]) -> str:
    if name in known:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in known:
            return name.removesuffix(suffix)
    return name


@pytest.mark.unit
def test_there_is_a_platform_overview_and_a_dashboard_per_service() -> None:
    names = {path.stem for path in DASHBOARDS}
    assert names >= {"platform-overview", *SERVICES}


@pytest.mark.unit
@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.stem)
def test_each_dashboard_is_valid_json_with_unique_id_and_panels(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["title"]
    assert dashboard["schemaVersion"] >= 36
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    assert expressions(dashboard), "a dashboard with no query"
    for panel in panels(dashboard):
        if panel.get("type") != "row":
            assert panel.get("title"), panel
            assert panel.get("gridPos"), panel["title"]


@pytest.mark.unit
def test_dashboard_uids_are_unique() -> None:
    uids = [json.loads(path.read_text())["uid"] for path in DASHBOARDS]
    assert len(uids) == len(set(uids))


@pytest.mark.unit
@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.stem)
def test_each_dashboard_queries_only_metrics_that_exist(path: Path) -> None:
    known = known_metric_names()
    for expr in expressions(json.loads(path.read_text())):
        names = metric_names(expr)
        assert names, f"no metric in {expr!r}"
        unknown = {name for name in names if base_name(name, known) not in known}
        assert not unknown, f"{unknown} in {expr!r}"


@pytest.mark.unit
@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.stem)
def test_each_dashboard_query_parses_as_promql(path: Path, tmp_path: Path) -> None:
    # promtool parses each expression as a recording rule's.
    exprs = expressions(json.loads(path.read_text()))
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{n}", "expr": as_promql(expr)}
                    for n, expr in enumerate(exprs)
                ],
            }
        ]
    }
    rules_file = tmp_path / "dashboard.yml"
    rules_file.write_text(yaml.safe_dump(rules))
    result = run_promtool("check", "rules", str(rules_file))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.unit
def test_grafana_provisioning_points_at_prometheus_and_the_dashboards() -> None:
    provisioning = OBSERVABILITY / "grafana" / "provisioning"
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    assert source["type"] == "prometheus" and source["uid"] == "prometheus"
    providers = yaml.safe_load((provisioning / "dashboards" / "civic-events.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    for path in DASHBOARDS:
        for panel in panels(json.loads(path.read_text())):
            datasource = panel.get("datasource")
            if datasource is not None:
                assert datasource == {"type": "prometheus", "uid": "prometheus"}, panel["title"]


@pytest.mark.unit
def test_the_dashboards_are_what_their_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "observability" / "dashboards.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.unit
def test_compose_runs_prometheus_with_the_rules_and_grafana_with_the_provisioning() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

    def mounts(name: str) -> dict[str, Path]:
        found = {}
        for volume in services[name].get("volumes", []):
            source, target = str(volume).split(":")[:2]
            found[target] = (ROOT / source).resolve()
        return found

    prometheus = mounts("prometheus")
    assert prometheus["/etc/prometheus/prometheus.yml"] == OBSERVABILITY / "prometheus.compose.yml"
    assert prometheus["/etc/prometheus/rules"] == OBSERVABILITY / "rules"
    grafana = mounts("grafana")
    assert grafana["/etc/grafana/provisioning"] == OBSERVABILITY / "grafana" / "provisioning"
    assert grafana["/var/lib/grafana/dashboards"] == OBSERVABILITY / "grafana" / "dashboards"
    assert "127.0.0.1:3000:3000" in services["grafana"]["ports"]
    datasources = yaml.safe_load(
        (OBSERVABILITY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    assert datasources["datasources"][0]["url"] == "http://prometheus:9090"


# --- a real Prometheus scraping a live service -------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """`app` on a real loopback port (Prometheus scrapes over TCP), for the block's duration."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


@pytest.mark.integration
@pytest.mark.slow
async def test_a_real_prometheus_scrapes_a_live_service_and_evaluates_every_rule(
    database_url: str, topic_prefix: str, infrastructure: Any, tmp_path: Path, eventually: Any
) -> None:
    prometheus = shutil.which("prometheus") or (promtool() and shutil.which("prometheus"))
    assert prometheus, "promtool without prometheus: reinstall Debian's prometheus package"
    app = create_service_app(
        "intake",
        database_url=database_url,
        topic_prefix=topic_prefix,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
    )
    async with serving(app) as service_port:
        config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
        config["global"].update(scrape_interval="1s", evaluation_interval="1s")
        config["rule_files"] = [str(OBSERVABILITY / "rules" / "*.yml")]
        (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "civic-events"]
        job["static_configs"] = [
            {"targets": [f"127.0.0.1:{service_port}"], "labels": {"service": "intake"}}
        ]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        web = f"127.0.0.1:{free_port()}"
        process = await asyncio.create_subprocess_exec(
            prometheus,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address={web}",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with (
                httpx.AsyncClient(base_url=f"http://{web}", timeout=5) as api,
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{service_port}") as service,
            ):
                for contact, channel in (
                    ({"email": "ada@example.org"}, "email"),
                    ({"phone": "07911 123456"}, "sms"),
                ):
                    response = await service.post(
                        "/v1/forms/street-cleansing/submissions",
                        json={
                            "answers": {"problem": "broken_glass"},
                            "location": {"latitude": 51.359994, "longitude": -0.231726},
                            "contact": {"name": "A Resident", **contact},
                            "preferred_channel": channel,
                            "consent": True,
                        },
                    )
                    assert response.status_code == 202, response.text

                async def query(expr: str) -> list[dict[str, Any]]:
                    try:
                        answer = await api.get("/api/v1/query", params={"query": expr})
                    except httpx.TransportError:
                        return []  # not listening yet
                    result: list[dict[str, Any]] = answer.json()["data"]["result"]
                    return result

                async def scraped() -> bool:
                    submissions = await query(
                        'sum(civic_intake_submissions_total{service="intake"})'
                    )
                    return bool(submissions) and float(submissions[0]["value"][1]) == 2

                await eventually(scraped, timeout=30, interval=0.25)
                assert float((await query('up{service="intake"}'))[0]["value"][1]) == 1
                lag = await eventually(
                    lambda: query('service_topic:civic_consumer_lag:sum{service="intake"}'),
                    timeout=15,
                    interval=0.25,
                )
                assert {series["metric"]["topic"] for series in lag} == {
                    topic_prefix + "cases.lifecycle.v1",
                    topic_prefix + "residents.v1",
                }
                age = await eventually(
                    lambda: query('service:civic_outbox_oldest_age_seconds:max{service="intake"}'),
                    timeout=15,
                    interval=0.25,
                )
                assert float(age[0]["value"][1]) < 30

                # Every rule, recording and alerting, evaluates without error on real data.
                groups = (await api.get("/api/v1/rules")).json()["data"]["groups"]
                rules = [rule for group in groups for rule in group["rules"]]
                assert len(rules) == sum(
                    len(group["rules"])
                    for path in (OBSERVABILITY / "rules").glob("*.yml")
                    for group in yaml.safe_load(path.read_text())["groups"]
                )
                failing = {
                    rule.get("name"): rule.get("lastError")
                    for rule in rules
                    if rule.get("health") != "ok"
                }
                assert not failing
                alerts = (await api.get("/api/v1/alerts")).json()["data"]["alerts"]
                assert [alert for alert in alerts if alert["state"] == "firing"] == []
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=20)
