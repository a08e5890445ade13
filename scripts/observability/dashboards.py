"""Grafana dashboards as code: writes deploy/observability/grafana/dashboards/*.json.

    python scripts/observability/dashboards.py           # write the JSON files
    python scripts/observability/dashboards.py --check   # exit 1 if a file differs from this code

The JSON is committed (Grafana provisions it as is); this script keeps the five dashboards in one
style. Queries use the recording rules of deploy/observability/rules/recording.yml where one
exists, and only metric names the services serve (tests/contract/test_observability.py checks).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "deploy" / "observability" / "grafana" / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
TARGET_S = 1.0  # time to tell: the platform's promise


@dataclass
class Query:
    expr: str
    legend: str = ""


@dataclass
class Panel:
    title: str
    queries: list[Query]
    kind: str = "timeseries"  # or "stat"
    unit: str = "short"
    width: int = 12
    height: int = 8
    description: str = ""
    thresholds: Sequence[tuple[float | None, str]] = field(
        default_factory=lambda: [(None, "green"), (80, "red")]
    )
    mappings: list[dict[str, Any]] = field(default_factory=list)
    stack: bool = False


@dataclass
class Row:
    title: str


def q(expr: str, legend: str = "") -> Query:
    return Query(expr, legend)


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    steps = [{"color": color, "value": value} for value, color in panel.thresholds]
    custom: dict[str, Any] = {}
    if panel.kind == "timeseries":
        custom = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 10,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"mode": "normal" if panel.stack else "none", "group": "A"},
        }
    options: dict[str, Any]
    if panel.kind == "stat":
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "textMode": "auto",
            "justifyMode": "auto",
            "orientation": "auto",
        }
    else:
        options = {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {
            "defaults": {
                "unit": panel.unit,
                "custom": custom,
                "thresholds": {"mode": "absolute", "steps": steps},
                "mappings": panel.mappings,
                "color": {"mode": "thresholds" if panel.kind == "stat" else "palette-classic"},
            },
            "overrides": [],
        },
        "options": options,
        "targets": [
            {
                "refId": chr(ord("A") + n),
                "datasource": DATASOURCE,
                "expr": query.expr,
                "legendFormat": query.legend or "__auto",
                "range": True,
            }
            for n, query in enumerate(panel.queries)
        ],
    }


def dashboard(uid: str, title: str, description: str, items: list[Panel | Row]) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    x = y = row_height = 0
    for panel_id, item in enumerate(items, start=1):
        if isinstance(item, Row):
            y += row_height
            x = row_height = 0
            panels.append(
                {
                    "id": panel_id,
                    "type": "row",
                    "title": item.title,
                    "collapsed": False,
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                    "panels": [],
                }
            )
            y += 1
            continue
        if x + item.width > 24:
            y += row_height
            x = row_height = 0
        panels.append(_panel_json(item, panel_id, x, y))
        x += item.width
        row_height = max(row_height, item.height)
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["civic-events"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "schemaVersion": 39,
        "version": 1,
        "templating": {"list": []},
        "annotations": {"list": []},
        "links": [
            {
                "type": "dashboards",
                "tags": ["civic-events"],
                "asDropdown": True,
                "title": "Civic Events",
                "includeVars": False,
                "keepTime": True,
            }
        ],
        "panels": panels,
    }


UP_MAPPINGS = [
    {
        "type": "value",
        "options": {
            "0": {"text": "DOWN", "color": "red", "index": 0},
            "1": {"text": "UP", "color": "green", "index": 1},
        },
    }
]
GREEN_RED_AT_1 = [(None, "green"), (1, "red")]
ZERO_OK = [(None, "green"), (1, "orange")]


def runtime_panels(service: str) -> list[Panel | Row]:
    """The plumbing every service shares: consumption, dead letters, lag, the outbox."""
    s = f'service="{service}"'
    return [
        Row("Events in and out (runtime)"),
        Panel(
            "Events consumed by outcome",
            [
                q(
                    f"sum by (topic, outcome) (rate(civic_consumer_events_total{{{s}}}[$__rate_interval]))",
                    "{{topic}} {{outcome}}",
                )
            ],
            unit="ops",
            width=8,
        ),
        Panel(
            "Dead letters (last 10 min)",
            [
                q(
                    f"service_topic:civic_consumer_dead_lettered:increase10m{{{s}}}",
                    "{{topic}}.dlq",
                )
            ],
            width=8,
            thresholds=ZERO_OK,
        ),
        Panel(
            "Consumer lag (records behind)",
            [q(f"service_topic:civic_consumer_lag:sum{{{s}}}", "{{topic}}")],
            width=8,
        ),
        Panel(
            "Handler time p99",
            [
                q(
                    "histogram_quantile(0.99, sum by (topic, le) "
                    f"(rate(civic_consumer_handler_seconds_bucket{{{s}}}[$__rate_interval])))",
                    "{{topic}}",
                )
            ],
            unit="s",
            width=8,
        ),
        Panel(
            "Outbox: oldest unpublished event",
            [q(f"service:civic_outbox_oldest_age_seconds:max{{{s}}}", "oldest")],
            unit="s",
            width=8,
            thresholds=[(None, "green"), (30, "red")],
        ),
        Panel(
            "Outbox: pending and published",
            [
                q(f"sum(civic_outbox_pending{{{s}}})", "pending"),
                q(
                    f"sum(rate(civic_outbox_published_total{{{s}}}[$__rate_interval]))",
                    "published/s",
                ),
            ],
            width=8,
        ),
        Row("HTTP"),
        Panel(
            "Requests by route and status",
            [
                q(
                    "sum by (route, status) "
                    f"(rate(civic_http_requests_total{{{s}}}[$__rate_interval]))",
                    "{{route}} {{status}}",
                )
            ],
            unit="reqps",
        ),
        Panel(
            "Request latency p99 by route",
            [
                q(
                    "histogram_quantile(0.99, sum by (route, le) "
                    f"(rate(civic_http_request_seconds_bucket{{{s}}}[$__rate_interval])))",
                    "{{route}}",
                )
            ],
            unit="s",
        ),
    ]


def up_panel(service: str) -> Panel:
    return Panel(
        "Instances up",
        [q(f'sum(up{{job="civic-events",service="{service}"}})', "up")],
        kind="stat",
        width=4,
        height=4,
        thresholds=[(None, "red"), (1, "green")],
    )


def platform_overview() -> dict[str, Any]:
    return dashboard(
        "civic-platform-overview",
        "Civic Events — platform overview",
        "Is every resident being told, and how fast? Time to tell is from the back-office event "
        "or submission to the provider accepting the message (target 1 s).",
        [
            Row("Is every resident being told, and how fast?"),
            Panel(
                "Time to tell p50",
                [q("platform:civic_notify_time_to_tell_seconds:p50_5m", "p50")],
                kind="stat",
                unit="s",
                width=6,
                height=5,
                thresholds=GREEN_RED_AT_1,
            ),
            Panel(
                "Time to tell p99 (target 1 s)",
                [q("platform:civic_notify_time_to_tell_seconds:p99_5m", "p99")],
                kind="stat",
                unit="s",
                width=6,
                height=5,
                thresholds=GREEN_RED_AT_1,
            ),
            Panel(
                "Told within 1 s",
                [q("platform:civic_notify_told_within_target:ratio_5m", "within 1 s")],
                kind="stat",
                unit="percentunit",
                width=6,
                height=5,
                thresholds=[(None, "red"), (0.99, "green")],
            ),
            Panel(
                "Notifications failed (last hour)",
                [
                    q(
                        'sum(increase(civic_notify_notifications_total{outcome="failed"}[1h])) or vector(0)',
                        "failed",
                    )
                ],
                kind="stat",
                width=6,
                height=5,
                thresholds=ZERO_OK,
            ),
            Panel(
                "Time to tell by channel (p50 and p99)",
                [
                    q("channel:civic_notify_time_to_tell_seconds:p50_5m", "{{channel}} p50"),
                    q("channel:civic_notify_time_to_tell_seconds:p99_5m", "{{channel}} p99"),
                ],
                unit="s",
                thresholds=GREEN_RED_AT_1,
            ),
            Panel(
                "Notifications by channel and outcome",
                [
                    q(
                        "channel_outcome:civic_notify_notifications:rate5m",
                        "{{channel}} {{outcome}}",
                    )
                ],
                unit="ops",
            ),
            Row("What residents asked for, and what became of it"),
            Panel(
                "Submissions by form",
                [
                    q(
                        "sum by (form_id) (rate(civic_intake_submissions_total[$__rate_interval]))",
                        "{{form_id}}",
                    )
                ],
                unit="ops",
                width=8,
                stack=True,
            ),
            Panel(
                "Cases opened by type",
                [
                    q(
                        "sum by (case_type) (rate(civic_cases_opened_total[$__rate_interval]))",
                        "{{case_type}}",
                    )
                ],
                unit="ops",
                width=8,
                stack=True,
            ),
            Panel(
                "SLA breaches (last hour)",
                [
                    q(
                        "sum by (case_type, sla) (increase(civic_cases_sla_breaches_total[1h]))",
                        "{{case_type}} {{sla}}",
                    )
                ],
                width=8,
                thresholds=[(None, "green"), (5, "red")],
            ),
            Row("Is the plumbing keeping up?"),
            Panel(
                "Services up",
                [q('up{job="civic-events"}', "{{service}}")],
                kind="stat",
                width=6,
                mappings=UP_MAPPINGS,
                thresholds=[(None, "red"), (1, "green")],
            ),
            Panel(
                "Dead letters (last 10 min)",
                [
                    q(
                        "service_topic:civic_consumer_dead_lettered:increase10m",
                        "{{service}} {{topic}}.dlq",
                    )
                ],
                width=6,
                thresholds=ZERO_OK,
            ),
            Panel(
                "Consumer lag (records behind)",
                [q("service_topic:civic_consumer_lag:sum", "{{service}} {{topic}}")],
                width=6,
            ),
            Panel(
                "Outbox: oldest unpublished event",
                [q("service:civic_outbox_oldest_age_seconds:max", "{{service}}")],
                unit="s",
                width=6,
                thresholds=[(None, "green"), (30, "red")],
            ),
        ],
    )


def intake() -> dict[str, Any]:
    return dashboard(
        "civic-intake",
        "Civic Events — intake",
        "The front door: forms, Open311 and back-office webhooks, accepted durably.",
        [
            Row("Accepted"),
            up_panel("intake"),
            Panel(
                "Submissions (last hour)",
                [q("sum(increase(civic_intake_submissions_total[1h])) or vector(0)", "total")],
                kind="stat",
                width=4,
                height=4,
                thresholds=[(None, "blue")],
            ),
            Panel(
                "Back-office events (last hour)",
                [
                    q(
                        "sum(increase(civic_intake_backoffice_events_total[1h])) or vector(0)",
                        "total",
                    )
                ],
                kind="stat",
                width=4,
                height=4,
                thresholds=[(None, "blue")],
            ),
            Panel(
                "Submissions by form",
                [
                    q(
                        "sum by (form_id) (rate(civic_intake_submissions_total[$__rate_interval]))",
                        "{{form_id}}",
                    )
                ],
                unit="ops",
                stack=True,
            ),
            Panel(
                "Submissions by the resident's channel of choice",
                [
                    q(
                        "sum by (channel) (rate(civic_intake_submissions_total[$__rate_interval]))",
                        "{{channel}}",
                    )
                ],
                unit="ops",
                stack=True,
            ),
            Panel(
                "Back-office events by system and type",
                [
                    q(
                        "sum by (system, event_type) "
                        "(rate(civic_intake_backoffice_events_total[$__rate_interval]))",
                        "{{system}} {{event_type}}",
                    )
                ],
                unit="ops",
                width=24,
            ),
            *runtime_panels("intake"),
        ],
    )


def cases() -> dict[str, Any]:
    return dashboard(
        "civic-cases",
        "Civic Events — cases",
        "Case records: opened, moved through their states, and their service levels.",
        [
            Row("Cases"),
            up_panel("cases"),
            Panel(
                "SLA breaches (last 24 h)",
                [q("sum(increase(civic_cases_sla_breaches_total[24h])) or vector(0)", "total")],
                kind="stat",
                width=4,
                height=4,
                thresholds=[(None, "green"), (1, "orange"), (20, "red")],
            ),
            Panel(
                "Cases opened by type",
                [
                    q(
                        "sum by (case_type) (rate(civic_cases_opened_total[$__rate_interval]))",
                        "{{case_type}}",
                    )
                ],
                unit="ops",
                stack=True,
            ),
            Panel(
                "Status changes by status entered",
                [
                    q(
                        "sum by (case_type, new_status) "
                        "(rate(civic_cases_status_changes_total[$__rate_interval]))",
                        "{{case_type}} → {{new_status}}",
                    )
                ],
                unit="ops",
            ),
            Panel(
                "SLA breaches by type and SLA (last hour)",
                [
                    q(
                        "sum by (case_type, sla) (increase(civic_cases_sla_breaches_total[1h]))",
                        "{{case_type}} {{sla}}",
                    )
                ],
                width=24,
                thresholds=[(None, "green"), (5, "red")],
            ),
            *runtime_panels("cases"),
        ],
    )


def notify() -> dict[str, Any]:
    return dashboard(
        "civic-notify",
        "Civic Events — notify",
        "Residents told: time to tell by channel, outcomes, failures and fallbacks.",
        [
            Row("Time to tell"),
            up_panel("notify"),
            Panel(
                "p99 (target 1 s)",
                [q("platform:civic_notify_time_to_tell_seconds:p99_5m", "p99")],
                kind="stat",
                unit="s",
                width=4,
                height=4,
                thresholds=GREEN_RED_AT_1,
            ),
            Panel(
                "Told within 1 s",
                [q("platform:civic_notify_told_within_target:ratio_5m", "within 1 s")],
                kind="stat",
                unit="percentunit",
                width=4,
                height=4,
                thresholds=[(None, "red"), (0.99, "green")],
            ),
            Panel(
                "Time to tell by channel (p50 and p99)",
                [
                    q("channel:civic_notify_time_to_tell_seconds:p50_5m", "{{channel}} p50"),
                    q("channel:civic_notify_time_to_tell_seconds:p99_5m", "{{channel}} p99"),
                ],
                unit="s",
                thresholds=GREEN_RED_AT_1,
            ),
            Panel(
                "Messages handed to a provider, by time to tell",
                [
                    q(
                        "sum by (le) (rate(civic_notify_time_to_tell_seconds_bucket[$__rate_interval]))",
                        "≤ {{le}} s",
                    )
                ],
                unit="ops",
            ),
            Row("Outcomes"),
            Panel(
                "Notifications by channel and outcome",
                [
                    q(
                        "channel_outcome:civic_notify_notifications:rate5m",
                        "{{channel}} {{outcome}}",
                    )
                ],
                unit="ops",
            ),
            Panel(
                "Failure ratio by channel (alert at 5%)",
                [q("channel:civic_notify_failure:ratio_10m", "{{channel}}")],
                unit="percentunit",
                thresholds=[(None, "green"), (0.05, "red")],
            ),
            *runtime_panels("notify"),
        ],
    )


def payments() -> dict[str, Any]:
    return dashboard(
        "civic-payments",
        "Civic Events — payments",
        "Payments through GOV.UK Pay: outcomes, webhooks, reconciliation.",
        [
            Row("Payments"),
            up_panel("payments"),
            Panel(
                "Payments by outcome",
                [
                    q(
                        "sum by (outcome) (rate(civic_payments_outcomes_total[$__rate_interval]))",
                        "{{outcome}}",
                    )
                ],
                unit="ops",
                width=20,
                height=8,
            ),
            Panel(
                "Gateway webhooks by outcome",
                [
                    q(
                        "sum by (outcome) (rate(civic_payments_webhooks_total[$__rate_interval]))",
                        "{{outcome}}",
                    )
                ],
                unit="ops",
            ),
            Panel(
                "Reconciliation by result",
                [
                    q(
                        "sum by (result) (rate(civic_payments_reconciled_total[$__rate_interval]))",
                        "{{result}}",
                    )
                ],
                unit="ops",
            ),
            *runtime_panels("payments"),
        ],
    )


DASHBOARDS = {
    "platform-overview": platform_overview,
    "intake": intake,
    "cases": cases,
    "notify": notify,
    "payments": payments,
}


def render(name: str) -> str:
    return json.dumps(DASHBOARDS[name](), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    OUT.mkdir(parents=True, exist_ok=True)
    for name in DASHBOARDS:
        path = OUT / f"{name}.json"
        text = render(name)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path)
        else:
            path.write_text(text)
    if stale:
        print("out of date (run scripts/observability/dashboards.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
