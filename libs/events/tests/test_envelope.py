import json

import pytest
from civic_events.base import Event
from civic_events.envelope import KafkaRecord, decode, encode, header
from civic_events.registry import EVENT_TYPES
from event_factories import OCCURRED_AT, case_status_changed, example

pytestmark = pytest.mark.unit

ALL_MODELS = sorted(EVENT_TYPES.values(), key=lambda model: model.ce_type)
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_every_event_type_survives_a_round_trip(model: type[Event]) -> None:
    event = example(model)
    assert type(event) is model

    record = encode(event)
    decoded = decode(record.headers, record.value)

    assert type(decoded) is model
    assert decoded == event


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_record_carries_attributes_as_headers_and_data_as_body(model: type[Event]) -> None:
    event = example(model)
    record = encode(event)

    assert record.topic == model.topic.name
    assert record.key == event.subject.encode()
    assert record.headers == [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(event.event_id).encode()),
        ("ce_source", event.source.encode()),
        ("ce_type", model.ce_type.encode()),
        ("ce_time", b"2026-03-02T09:15:07.123456Z"),
        ("ce_subject", event.subject.encode()),
        ("content-type", b"application/json"),
    ]
    body = json.loads(record.value)
    assert body == event.model_dump(
        mode="json", exclude={"event_id", "source", "occurred_at", "subject"}
    )
    assert body["schema_version"] == 1


def test_trace_context_travels_in_headers() -> None:
    record = encode(case_status_changed(), traceparent=TRACEPARENT, tracestate="congo=t61rcWkgMzE")
    assert header(record.headers, "traceparent") == TRACEPARENT
    assert header(record.headers, "tracestate") == "congo=t61rcWkgMzE"
    assert decode(record.headers, record.value) == case_status_changed(
        event_id=decode(record.headers, record.value).event_id
    )


def test_without_trace_context_no_trace_headers() -> None:
    names = [name for name, _ in encode(case_status_changed()).headers]
    assert "traceparent" not in names and "tracestate" not in names


def test_time_without_microseconds_is_still_rfc3339_utc() -> None:
    record = encode(case_status_changed(occurred_at=OCCURRED_AT.replace(microsecond=0)))
    assert header(record.headers, "ce_time") == "2026-03-02T09:15:07Z"


def test_header_values_may_arrive_as_str() -> None:
    event = case_status_changed()
    record = encode(event)
    as_text = [(name, value.decode()) for name, value in record.headers]
    assert decode(as_text, record.value) == event


def test_header_names_are_matched_case_insensitively() -> None:
    headers = [("CE_Type", b"x"), ("ce_type", b"y")]
    assert header(headers, "ce_type") == "x"


def test_header_helper() -> None:
    headers: list[tuple[str, bytes | str | None]] = [
        ("ce_id", b"abc"),
        ("ce_source", "intake"),
        ("ce_subject", None),
        ("ce_time", b"\xff"),
    ]
    assert header(headers, "ce_id") == "abc"
    assert header(headers, "ce_source") == "intake"
    assert header(headers, "ce_subject") is None
    assert header(headers, "missing") is None
    assert header(None, "ce_id") is None
    assert header(headers, "ce_time") == "\ufffd"  # never raises, even on bad bytes


def test_kafka_record_is_a_frozen_value() -> None:
    record = encode(case_status_changed())
    assert isinstance(record, KafkaRecord)
    with pytest.raises(AttributeError):
        record.topic = "other"  # type: ignore[misc]
