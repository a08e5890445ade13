"""The checked-in schemas are the contract: a model change must be re-exported, and may
only add optional fields (see the README on evolving events)."""

import json
from pathlib import Path

import pytest
from civic_events.registry import EVENT_TYPES
from civic_events.schemas import (
    SCHEMA_DIR,
    breaking_changes,
    check_schemas,
    export_schemas,
    main,
    render,
    write_schemas,
)

pytestmark = pytest.mark.unit

FRESH = export_schemas()


def _checked_in(ce_type: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{ce_type}.json").read_text(encoding="utf-8"))


def test_one_schema_file_per_event_type() -> None:
    assert sorted(path.stem for path in SCHEMA_DIR.glob("*.json")) == sorted(EVENT_TYPES)


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_checked_in_schema_equals_a_fresh_export(ce_type: str) -> None:
    path = SCHEMA_DIR / f"{ce_type}.json"
    assert path.read_text(encoding="utf-8") == render(FRESH[ce_type]), (
        f"{path.name} is stale: run `uv run python -m civic_events.schemas export`"
    )


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_current_model_does_not_break_checked_in_schema(ce_type: str) -> None:
    assert breaking_changes(_checked_in(ce_type), FRESH[ce_type]) == []


def test_schema_metadata() -> None:
    schema = FRESH["uk.gov.council.payments.PaymentCreated.v1"]
    assert schema["x-topic"] == "payments.v1"
    assert schema["x-ce-type"] == "uk.gov.council.payments.PaymentCreated.v1"
    assert "next_url" in schema["required"]


def test_export_is_deterministic() -> None:
    assert [render(s) for s in export_schemas().values()] == [render(s) for s in FRESH.values()]
    assert all(render(s).endswith("}\n") for s in FRESH.values())


def test_check_reports_stale_removed_and_missing_files(tmp_path: Path) -> None:
    assert main(["export", "--dir", str(tmp_path)]) == 0
    assert check_schemas(tmp_path) == []

    opened = tmp_path / "uk.gov.council.cases.CaseOpened.v1.json"
    schema = json.loads(opened.read_text())
    del schema["properties"]["sla_due_at"]  # the model now has a field the file lacks
    opened.write_text(render(schema))
    (tmp_path / "uk.gov.council.cases.CaseReopened.v1.json").write_text("{}\n")
    (tmp_path / "uk.gov.council.notify.NotificationSent.v1.json").unlink()

    problems = check_schemas(tmp_path)

    assert problems == [
        "uk.gov.council.cases.CaseOpened.v1: schema changed compatibly; run export",
        "uk.gov.council.notify.NotificationSent.v1: not exported yet; run export",
        "uk.gov.council.cases.CaseReopened.v1: event type removed; that breaks its consumers",
    ]
    assert main(["check", "--dir", str(tmp_path)]) == 1


def test_check_reports_a_breaking_change(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    path = tmp_path / "uk.gov.council.cases.CaseStatusChanged.v1.json"
    schema = json.loads(path.read_text())
    schema["properties"]["escalated"] = {"type": "boolean"}  # the model has since dropped it
    path.write_text(render(schema))

    assert check_schemas(tmp_path) == [
        "uk.gov.council.cases.CaseStatusChanged.v1: breaking change: "
        "escalated: property removed or renamed"
    ]
