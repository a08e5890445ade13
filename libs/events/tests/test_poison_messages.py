import json

import pytest
from civic_events.envelope import (
    EventSchemaError,
    KafkaRecord,
    PoisonMessage,
    UndecodableMessage,
    UnknownEventType,
    decode,
    encode,
)
from event_factories import payment_requested

pytestmark = pytest.mark.unit


def _record() -> KafkaRecord:
    return encode(payment_requested())


def _replace(headers: list[tuple[str, bytes]], name: str, value: bytes | None) -> list:
    kept = [(key, raw) for key, raw in headers if key != name]
    return kept if value is None else [*kept, (name, value)]


def _body_with(**changes: object) -> bytes:
    body = json.loads(_record().value)
    body.update(changes)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "name", ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject"]
)
def test_missing_cloudevents_header(name: str) -> None:
    record = _record()
    with pytest.raises(UndecodableMessage, match=name) as caught:
        decode(_replace(record.headers, name, None), record.value)
    assert caught.value.reason == "missing_header"


def test_no_headers_at_all() -> None:
    with pytest.raises(UndecodableMessage) as caught:
        decode(None, _record().value)
    assert caught.value.reason == "missing_header"


def test_wrong_specversion() -> None:
    record = _record()
    with pytest.raises(UndecodableMessage) as caught:
        decode(_replace(record.headers, "ce_specversion", b"0.3"), record.value)
    assert caught.value.reason == "unsupported_specversion"


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        (b"text/plain", "unsupported_content_type"),
        (b"application/avro", "unsupported_content_type"),
        (b"application/cloudevents+json", "structured_mode"),
    ],
)
def test_wrong_content_type(content_type: bytes, reason: str) -> None:
    record = _record()
    with pytest.raises(UndecodableMessage) as caught:
        decode(_replace(record.headers, "content-type", content_type), record.value)
    assert caught.value.reason == reason


def test_content_type_parameters_and_absence_are_accepted() -> None:
    record = _record()
    with_charset = _replace(record.headers, "content-type", b"application/json; charset=utf-8")
    assert decode(with_charset, record.value) == decode(record.headers, record.value)
    assert decode(_replace(record.headers, "content-type", None), record.value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty_body"),
        (b"", "empty_body"),
        (b"{not json", "invalid_json"),
        (b"\xff\xfe\x00", "invalid_json"),
        (b"[1, 2]", "body_not_object"),
    ],
)
def test_body_that_is_not_a_json_object(value: bytes | None, reason: str) -> None:
    with pytest.raises(UndecodableMessage) as caught:
        decode(_record().headers, value)
    assert caught.value.reason == reason


def test_header_that_is_not_utf8() -> None:
    record = _record()
    with pytest.raises(UndecodableMessage) as caught:
        decode(_replace(record.headers, "ce_subject", b"\xff\xfe"), record.value)
    assert caught.value.reason == "invalid_header"


def test_unknown_event_type() -> None:
    record = _record()
    headers = _replace(record.headers, "ce_type", b"uk.gov.council.cases.CaseReopened.v1")
    with pytest.raises(UnknownEventType) as caught:
        decode(headers, record.value)
    assert caught.value.reason == "unknown_event_type"
    assert caught.value.ce_type == "uk.gov.council.cases.CaseReopened.v1"


def test_a_later_version_of_a_known_type_is_unknown() -> None:
    record = _record()
    headers = _replace(record.headers, "ce_type", b"uk.gov.council.payments.PaymentRequested.v2")
    with pytest.raises(UnknownEventType):
        decode(headers, record.value)


def test_body_failing_validation_names_the_field() -> None:
    with pytest.raises(EventSchemaError, match="amount") as caught:
        decode(_record().headers, _body_with(amount=-500))
    assert caught.value.reason == "schema_error"
    assert caught.value.fields == ("amount",)
    assert caught.value.ce_type == "uk.gov.council.payments.PaymentRequested.v1"


def test_missing_required_field_is_a_schema_error() -> None:
    body = json.loads(_record().value)
    del body["description"]
    with pytest.raises(EventSchemaError, match="description"):
        decode(_record().headers, json.dumps(body).encode())


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [("ce_id", b"not-a-uuid", "event_id"), ("ce_time", b"2026-03-02T09:15:07", "occurred_at")],
)
def test_bad_attribute_is_a_schema_error_naming_the_field(
    name: str, value: bytes, field: str
) -> None:
    record = _record()
    with pytest.raises(EventSchemaError, match=field) as caught:
        decode(_replace(record.headers, name, value), record.value)
    assert caught.value.fields == (field,)


def test_unknown_body_fields_are_not_poison() -> None:
    event = decode(_record().headers, _body_with(added_later="ignored by old consumers"))
    assert event == payment_requested(event_id=event.event_id)


def test_every_poison_is_a_poison_message_with_a_reason() -> None:
    for kind in (UndecodableMessage, UnknownEventType, EventSchemaError):
        assert issubclass(kind, PoisonMessage)
    with pytest.raises(PoisonMessage) as caught:
        decode([], b"{}")
    assert caught.value.reason
