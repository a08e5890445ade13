"""The service's AsyncAPI document: its Kafka channels, with a message for each event type it
consumes or produces on each, and that event's schemas from the event contract.

FastStream lists the channels but cannot see the event types: one raw subscriber takes all the
service's topics (the runtime decodes the CloudEvents itself), and a topic carries several event
types, told apart by the `ce_type` header. So each channel's messages are filled in here, one
per declared event type on its topic, from the schemas of the record that carries it.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from civic_events.base import Event
from civic_events.record_schemas import record_schemas
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.utils import ref
from faststream.specification.asyncapi.v3_0_0.schema import (
    ApplicationSchema,
    Components,
    Message,
    Reference,
)
from faststream.specification.asyncapi.v3_0_0.schema.operations import Action

PYDANTIC_REFS = "#/$defs/"
# As FastStream writes its channel bindings.
KAFKA_BINDING_VERSION = "0.4.0"


def asyncapi_document(
    broker: KafkaBroker,
    *,
    title: str,
    description: str,
    consumes: Sequence[type[Event]],
    produces: Sequence[type[Event]],
    topic_prefix: str = "",
) -> ApplicationSchema:
    """FastStream's AsyncAPI 3 document of `broker`: on each channel it receives from, a message
    per event type in `consumes` on that topic; on each it sends to, one per type in `produces`."""
    document = AsyncAPI(broker, title=title, description=description).to_specification()
    assert isinstance(document, ApplicationSchema), "the AsyncAPI 3 document"
    channel_ids = {
        ref("channels", channel_id)["$ref"]: channel_id for channel_id in document.channels
    }
    messages: dict[str, Message] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for operation in document.operations.values():
        assert isinstance(operation.channel, Reference)
        channel_id = channel_ids[operation.channel.ref]
        channel = document.channels[channel_id]
        topic = (channel.address or "").removeprefix(topic_prefix)
        declared = consumes if operation.action is Action.RECEIVE else produces
        on_topic = [model for model in declared if model.topic.name == topic]
        channel.messages = {
            model.ce_type: Reference(**ref("components", "messages", model.ce_type))
            for model in on_topic
        }
        operation.messages = [
            Reference(**ref("channels", channel_id, "messages", model.ce_type))
            for model in on_topic
        ]
        for model in on_topic:
            messages[model.ce_type] = _message(model, schemas)
    # FastStream's own messages (an empty payload for the raw subscriber) are no longer used.
    components = document.components or Components()
    components.messages = messages
    components.schemas = schemas
    document.components = components
    return document


def _message(model: type[Event], schemas: dict[str, dict[str, Any]]) -> Message:
    """The message of `model`; its value's schema goes to `schemas`, under its `ce_type`."""
    record = record_schemas(model)
    value = _hoist_definitions(record.value, schemas)
    # The document states the dialect for all its schemas.
    value.pop("$schema", None)
    schemas[model.ce_type] = value
    return Message.model_validate(
        {
            "name": model.__name__,
            "title": model.__name__,
            "summary": inspect.cleandoc(model.__doc__ or "").split("\n", 1)[0] or None,
            "contentType": "application/json",
            "headers": record.headers,
            "payload": ref("components", "schemas", model.ce_type),
            "bindings": {"kafka": {"key": record.key, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
    )


def _hoist_definitions(
    schema: dict[str, Any], schemas: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """`schema` with its pydantic `$defs` moved to `schemas` and its references pointed there:
    a `#/$defs/...` reference inside the document would point at the document's root."""
    schema = _point_at_components(schema)
    for name, definition in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two event schemas define {name!r} differently")
    return schema


def _point_at_components(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                ref("components", "schemas", value.removeprefix(PYDANTIC_REFS))["$ref"]
                if key == "$ref" and isinstance(value, str) and value.startswith(PYDANTIC_REFS)
                else _point_at_components(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_point_at_components(item) for item in node]
    return node
