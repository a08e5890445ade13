import json
import logging

import pytest
from civic_runtime.telemetry import case_reference, configure_logging, redact

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("resident jane.doe+bins@example.co.uk asked", "jane.doe"),
        ("call 07700 900123 tomorrow", "900123"),
        ("call +447700900123 tomorrow", "7700900123"),
        ("lives at GU21 6BB", "6BB"),
    ],
)
def test_contact_details_are_redacted(text: str, leak: str) -> None:
    assert leak not in redact(text)


def test_case_references_survive_redaction() -> None:
    assert redact("case WST-2026-004211 moved to booked") == "case WST-2026-004211 moved to booked"


def test_logs_are_json_with_case_reference_and_without_personal_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service_name="cases", level="INFO", json=True)
    token = case_reference.set("WST-2026-004211")
    try:
        logging.getLogger("test").info("emailed %s", "jane@example.org")
    finally:
        case_reference.reset(token)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["case_reference"] == "WST-2026-004211"
    assert record["service"] == "cases"
    assert record["level"] == "INFO"
    assert "jane@example.org" not in line
