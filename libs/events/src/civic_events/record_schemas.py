"""The JSON Schemas of the Kafka record that carries an event: its key, headers and value.

Each is cut from the event's contract schema (``schemas.schema_for``) the way ``envelope.encode``
splits the event: the fields carried as CloudEvents attributes go to the ``ce_`` headers, the
rest is the JSON value, and the subject is also the key.
"""

from dataclasses import dataclass
from typing import Any

from civic_events.base import Event
from civic_events.envelope import ATTRIBUTE_HEADERS, CONTENT_TYPE, REQUIRED_HEADERS, SPECVERSION
from civic_events.schemas import schema_for

TRACE_CONTEXT = "W3C Trace Context of the request that caused the event."


@dataclass(frozen=True)
class RecordSchemas:
    key: dict[str, Any]
    headers: dict[str, Any]
    value: dict[str, Any]


def record_schemas(model: type[Event]) -> RecordSchemas:
    contract = schema_for(model)
    fields: dict[str, Any] = contract["properties"]
    headers = {
        "type": "object",
        "properties": {
            "ce_specversion": {"const": SPECVERSION},
            "ce_type": {"const": model.ce_type},
            **{header: fields[name] for name, header in ATTRIBUTE_HEADERS.items()},
            "content-type": {"const": CONTENT_TYPE},
            "traceparent": {"type": "string", "description": TRACE_CONTEXT},
            "tracestate": {"type": "string", "description": TRACE_CONTEXT},
        },
        "required": list(REQUIRED_HEADERS),
    }
    value = {
        **contract,
        "properties": {name: s for name, s in fields.items() if name not in ATTRIBUTE_HEADERS},
        "required": [name for name in contract["required"] if name not in ATTRIBUTE_HEADERS],
    }
    return RecordSchemas(key=fields["subject"], headers=headers, value=value)
