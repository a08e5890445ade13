"""CloudEvents 1.0 over Kafka, binary content mode.

Attributes travel as ``ce_`` headers, the event's data as the JSON value, the subject as the
key. ``encode`` builds the record a producer sends; ``decode`` turns a consumed record back
into its typed event or raises a ``PoisonMessage`` saying why it never will be one.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from civic_events.base import Event
from civic_events.limits import RECEIVED
from civic_events.registry import EVENT_TYPES

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

# The model fields carried as CloudEvents attributes rather than in the body.
ATTRIBUTE_HEADERS: dict[str, str] = {
    "event_id": "ce_id",
    "source": "ce_source",
    "occurred_at": "ce_time",
    "subject": "ce_subject",
}
REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject")

HeaderValue = bytes | str | None
Headers = Sequence[tuple[str, HeaderValue]]


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class PoisonMessage(Exception):
    """A record that can never become an event, however often it is retried: dead-letter it."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class UndecodableMessage(PoisonMessage):
    """Not a CloudEvent we can read: missing headers, wrong specversion or content-type, not JSON."""


class UnknownEventType(PoisonMessage):
    """A CloudEvent whose type is not in this version of the contract."""

    def __init__(self, ce_type: str) -> None:
        super().__init__(f"unknown event type {ce_type!r}", reason="unknown_event_type")
        self.ce_type = ce_type


class EventSchemaError(PoisonMessage):
    """A known event type whose data does not match its model."""

    def __init__(self, ce_type: str, error: ValidationError) -> None:
        self.ce_type = ce_type
        self.fields = tuple(
            ".".join(str(part) for part in e["loc"]) or "body" for e in error.errors()
        )
        details = "; ".join(
            f"{field}: {e['msg']}" for field, e in zip(self.fields, error.errors(), strict=True)
        )
        super().__init__(f"{ce_type} does not match its schema: {details}", reason="schema_error")


def encode(
    event: Event, *, traceparent: str | None = None, tracestate: str | None = None
) -> KafkaRecord:
    headers = [
        ("ce_specversion", SPECVERSION.encode()),
        ("ce_id", str(event.event_id).encode()),
        ("ce_source", event.source.encode()),
        ("ce_type", event.ce_type.encode()),
        ("ce_time", _rfc3339(event.occurred_at).encode()),
        ("ce_subject", event.subject.encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    if tracestate:
        headers.append(("tracestate", tracestate.encode()))
    value = event.model_dump_json(exclude=set(ATTRIBUTE_HEADERS))
    return KafkaRecord(
        topic=event.topic.name, key=event.key.encode(), value=value.encode(), headers=headers
    )


def decode(headers: Headers | None, value: bytes | None) -> Event:
    attributes = _attributes(headers)
    content_type = attributes.get("content-type")
    if content_type is not None:
        _check_content_type(content_type)
    missing = [name for name in REQUIRED_HEADERS if not attributes.get(name)]
    if missing:
        raise UndecodableMessage(
            f"missing CloudEvents headers: {', '.join(missing)}", reason="missing_header"
        )
    if attributes["ce_specversion"] != SPECVERSION:
        raise UndecodableMessage(
            f"unsupported CloudEvents specversion {attributes['ce_specversion']!r}",
            reason="unsupported_specversion",
        )
    ce_type = attributes["ce_type"]
    model = EVENT_TYPES.get(ce_type)
    if model is None:
        raise UnknownEventType(ce_type)
    fields = _body(value)
    # Headers win over any same-named body keys: they are what the binding defines.
    fields.update({name: attributes[ce] for name, ce in ATTRIBUTE_HEADERS.items()})
    try:
        return model.model_validate(fields, context=RECEIVED)
    except ValidationError as exc:
        raise EventSchemaError(ce_type, exc) from exc


def header(headers: Headers | None, name: str) -> str | None:
    """The first header called ``name`` (any case) as text, or None.

    Never raises, so it is safe in error paths: bytes that are not UTF-8 come back with
    replacement characters (``decode`` itself rejects them).
    """
    for key, raw in headers or ():
        if key.lower() == name.lower() and raw is not None:
            return raw if isinstance(raw, str) else bytes(raw).decode("utf-8", "replace")
    return None


def _attributes(headers: Headers | None) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for key, raw in headers or ():
        name = key.lower()
        if raw is None or name in attributes:
            continue
        if not (name.startswith("ce_") or name == "content-type"):
            continue
        try:
            attributes[name] = raw if isinstance(raw, str) else bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UndecodableMessage(f"header {key} is not UTF-8", reason="invalid_header") from exc
    return attributes


def _check_content_type(content_type: str) -> None:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type.startswith("application/cloudevents"):
        raise UndecodableMessage(
            "structured-mode CloudEvents are not accepted; send binary mode",
            reason="structured_mode",
        )
    if media_type != CONTENT_TYPE:
        raise UndecodableMessage(
            f"content-type {content_type!r} is not {CONTENT_TYPE}",
            reason="unsupported_content_type",
        )


def _body(value: bytes | None) -> dict[str, Any]:
    if not value:
        raise UndecodableMessage("the message has no body", reason="empty_body")
    try:
        body = json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise UndecodableMessage(f"the body is not JSON: {exc}", reason="invalid_json") from exc
    if not isinstance(body, dict):
        raise UndecodableMessage("the body is not a JSON object", reason="body_not_object")
    return body


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"
