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
RED_GREEN_AT_1 = [(None, "red"), (1, "green")]
OUTBOX_AGE_OK = [(None, "green"), (30, "red")]


# Query builders: one spelling for each PromQL shape the dashboards use.
def rate_by(metric: str, *labels: str, selector: str = "") -> str:
    return f"sum by ({', '.join(labels)}) (rate({metric}{selector}[$__rate_interval]))"


def p99_by(histogram: str, label: str, selector: str = "") -> str:
    return (
        f"histogram_quantile(0.99, sum by ({label}, le) "
        f"(rate({histogram}_bucket{selector}[$__rate_interval])))"
    )


def total_over(metric: str, window: str) -> str:
    """A counter's increase over the window, 0 (not 'no data') before the first event."""
    return f"sum(increase({metric}[{window}])) or vector(0)"


def legend_of(*labels: str) -> str:
    return " ".join(f"{{{{{label}}}}}" for label in labels)


# Panel builders for panels that stand on more than one dashboard.
def rate_panel(
    title: str,
    metric: str,
    *labels: str,
    unit: str = "ops",
    width: int = 12,
    stack: bool = False,
) -> Panel:
    """Events per second of a counter, one series per combination of the labels."""
    return Panel(
        title,
        [q(rate_by(metric, *labels), legend_of(*labels))],
        unit=unit,
        width=width,
        stack=stack,
    )


def total_stat(
    title: str,
    metric: str,
    window: str,
    thresholds: Sequence[tuple[float | None, str]],
) -> Panel:
    return Panel(
        title,
        [q(total_over(metric, window), "total")],
        kind="stat",
        width=4,
        height=4,
        thresholds=thresholds,
    )


def time_to_tell_stat(title: str, quantile: str, *, width: int, height: int) -> Panel:
    return Panel(
        title,
        [q(f"platform:civic_notify_time_to_tell_seconds:{quantile}_5m", quantile)],
        kind="stat",
        unit="s",
        width=width,
        height=height,
        thresholds=GREEN_RED_AT_1,
    )


def told_within_target_stat(*, width: int, height: int) -> Panel:
    return Panel(
        "Told within 1 s",
        [q("platform:civic_notify_told_within_target:ratio_5m", "within 1 s")],
        kind="stat",
        unit="percentunit",
        width=width,
        height=height,
        thresholds=[(None, "red"), (0.99, "green")],
    )


def time_to_tell_by_channel() -> Panel:
    return Panel(
        "Time to tell by channel (p50 and p99)",
        [
            q("channel:civic_notify_time_to_tell_seconds:p50_5m", "{{channel}} p50"),
            q("channel:civic_notify_time_to_tell_seconds:p99_5m", "{{channel}} p99"),
        ],
        unit="s",
        thresholds=GREEN_RED_AT_1,
    )


def notifications_by_outcome() -> Panel:
    return Panel(
        "Notifications by channel and outcome",
        [q("channel_outcome:civic_notify_notifications:rate5m", "{{channel}} {{outcome}}")],
        unit="ops",
    )


def submissions_by_form(*, width: int = 12) -> Panel:
    return rate_panel(
        "Submissions by form", "civic_intake_submissions_total", "form_id", width=width, stack=True
    )


def cases_opened_by_type(*, width: int = 12) -> Panel:
    return rate_panel(
        "Cases opened by type", "civic_cases_opened_total", "case_type", width=width, stack=True
    )


def sla_breaches_last_hour(title: str, *, width: int) -> Panel:
    return Panel(
        title,
        [
            q(
                "sum by (case_type, sla) (increase(civic_cases_sla_breaches_total[1h]))",
                "{{case_type}} {{sla}}",
            )
        ],
        width=width,
        thresholds=[(None, "green"), (5, "red")],
    )


def dead_letters(*, selector: str, legend: str, width: int) -> Panel:
    return Panel(
        "Dead letters (last 10 min)",
        [q(f"service_topic:civic_consumer_dead_lettered:increase10m{selector}", legend)],
        width=width,
        thresholds=ZERO_OK,
    )


def consumer_lag(*, selector: str, legend: str, width: int) -> Panel:
    return Panel(
        "Consumer lag (records behind)",
        [q(f"service_topic:civic_consumer_lag:sum{selector}", legend)],
        width=width,
    )


def outbox_oldest(*, selector: str, legend: str, width: int) -> Panel:
    return Panel(
        "Outbox: oldest unpublished event",
        [q(f"service:civic_outbox_oldest_age_seconds:max{selector}", legend)],
        unit="s",
        width=width,
        thresholds=OUTBOX_AGE_OK,
    )


def runtime_panels(service: str) -> list[Panel | Row]:
    """The plumbing every service shares: consumption, dead letters, lag, the outbox."""
    s = f'{{service="{service}"}}'
    return [
        Row("Events in and out (runtime)"),
        Panel(
            "Events consumed by outcome",
            [
                q(
                    rate_by("civic_consumer_events_total", "topic", "outcome", selector=s),
                    legend_of("topic", "outcome"),
                )
            ],
            unit="ops",
            width=8,
        ),
        dead_letters(selector=s, legend="{{topic}}.dlq", width=8),
        consumer_lag(selector=s, legend="{{topic}}", width=8),
        Panel(
            "Handler time p99",
            [q(p99_by("civic_consumer_handler_seconds", "topic", selector=s), "{{topic}}")],
            unit="s",
            width=8,
        ),
        outbox_oldest(selector=s, legend="oldest", width=8),
        Panel(
            "Outbox: pending and published",
            [
                q(f"sum(civic_outbox_pending{s})", "pending"),
                q(
                    f"sum(rate(civic_outbox_published_total{s}[$__rate_interval]))",
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
                    rate_by("civic_http_requests_total", "route", "status", selector=s),
                    legend_of("route", "status"),
                )
            ],
            unit="reqps",
        ),
        Panel(
            "Request latency p99 by route",
            [q(p99_by("civic_http_request_seconds", "route", selector=s), "{{route}}")],
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
        thresholds=RED_GREEN_AT_1,
    )


def platform_overview() -> dict[str, Any]:
    return dashboard(
        "civic-platform-overview",
        "Civic Events — platform overview",
        "Is every resident being told, and how fast? Time to tell is from the back-office event "
        "or submission to the provider accepting the message (target 1 s).",
        [
            Row("Is every resident being told, and how fast?"),
            time_to_tell_stat("Time to tell p50", "p50", width=6, height=5),
            time_to_tell_stat("Time to tell p99 (target 1 s)", "p99", width=6, height=5),
            told_within_target_stat(width=6, height=5),
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
            time_to_tell_by_channel(),
            notifications_by_outcome(),
            Row("What residents asked for, and what became of it"),
            submissions_by_form(width=8),
            cases_opened_by_type(width=8),
            sla_breaches_last_hour("SLA breaches (last hour)", width=8),
            Row("Is the plumbing keeping up?"),
            Panel(
                "Services up",
                [q('up{job="civic-events"}', "{{service}}")],
                kind="stat",
                width=6,
                mappings=UP_MAPPINGS,
                thresholds=RED_GREEN_AT_1,
            ),
            dead_letters(selector="", legend="{{service}} {{topic}}.dlq", width=6),
            consumer_lag(selector="", legend="{{service}} {{topic}}", width=6),
            outbox_oldest(selector="", legend="{{service}}", width=6),
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
            total_stat(
                "Submissions (last hour)",
                "civic_intake_submissions_total",
                "1h",
                [(None, "blue")],
            ),
            total_stat(
                "Back-office events (last hour)",
                "civic_intake_backoffice_events_total",
                "1h",
                [(None, "blue")],
            ),
            submissions_by_form(),
            rate_panel(
                "Submissions by the resident's channel of choice",
                "civic_intake_submissions_total",
                "channel",
                stack=True,
            ),
            rate_panel(
                "Back-office events by system and type",
                "civic_intake_backoffice_events_total",
                "system",
                "event_type",
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
            total_stat(
                "SLA breaches (last 24 h)",
                "civic_cases_sla_breaches_total",
                "24h",
                [(None, "green"), (1, "orange"), (20, "red")],
            ),
            cases_opened_by_type(),
            Panel(
                "Status changes by status entered",
                [
                    q(
                        rate_by("civic_cases_status_changes_total", "case_type", "new_status"),
                        "{{case_type}} → {{new_status}}",
                    )
                ],
                unit="ops",
            ),
            sla_breaches_last_hour("SLA breaches by type and SLA (last hour)", width=24),
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
            time_to_tell_stat("p99 (target 1 s)", "p99", width=4, height=4),
            told_within_target_stat(width=4, height=4),
            time_to_tell_by_channel(),
            Panel(
                "Messages handed to a provider, by time to tell",
                [q(rate_by("civic_notify_time_to_tell_seconds_bucket", "le"), "≤ {{le}} s")],
                unit="ops",
            ),
            Row("Outcomes"),
            notifications_by_outcome(),
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
            rate_panel("Payments by outcome", "civic_payments_outcomes_total", "outcome", width=20),
            rate_panel("Gateway webhooks by outcome", "civic_payments_webhooks_total", "outcome"),
            rate_panel("Reconciliation by result", "civic_payments_reconciled_total", "result"),
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
