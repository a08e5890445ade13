"""Each service's /asyncapi.json lists every event type it consumes and produces, each with the
schemas of the record that carries it; and what a service declares it produces agrees with the
topic registry.

The apps are built but not started: the document needs neither Kafka nor PostgreSQL.
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from civic_events.base import Event
from civic_events.record_schemas import record_schemas
from civic_events.registry import EVENT_TYPES
from civic_events.topics import ALL_TOPICS
from civic_runtime.app import ServiceRuntime

sys.path.insert(0, str(Path(__file__).parents[1]))

from service_apps import SERVICES, create_service_app

pytestmark = pytest.mark.unit

TOPIC_PREFIX = "contract."


@functools.cache
def _app(service: str) -> Any:
    return create_service_app(
        service,
        database_url="postgresql+asyncpg://civic:civic@127.0.0.1:1/never-connected",
        topic_prefix=TOPIC_PREFIX,
        kafka_bootstrap_servers="127.0.0.1:1",
    )


def _runtime(service: str) -> ServiceRuntime:
    runtime: ServiceRuntime = _app(service).state.runtime
    return runtime


def _consumed(service: str) -> list[type[Event]]:
    return [registration.event_type for registration in _runtime(service).handlers.registrations]


async def _get(service: str, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


def _resolve(document: dict[str, Any], reference: str) -> Any:
    node: Any = document
    for part in reference.removeprefix("#/").split("/"):
        node = node[unquote(part).replace("~1", "/").replace("~0", "~")]
    return node


def _inline(schema: Any, resolve: Any) -> Any:
    """`schema` with every `$ref` replaced by what it points at."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(resolve(schema["$ref"]), resolve)
        return {key: _inline(value, resolve) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, resolve) for item in schema]
    return schema


def _value_inlined(model: type[Event]) -> dict[str, Any]:
    """The schema of the record's value from the contract, with its own definitions inlined."""
    value = record_schemas(model).value
    definitions = value.get("$defs", {})
    inlined: dict[str, Any] = _inline(value, lambda ref: definitions[ref.removeprefix("#/$defs/")])
    inlined.pop("$defs", None)
    del inlined["$schema"]
    return inlined


def _messages_of(document: dict[str, Any], action: str, model: type[Event]) -> list[Any]:
    """The messages of `model` in the operations that `action` on its topic."""
    found = []
    for operation in document["operations"].values():
        channel = _resolve(document, operation["channel"]["$ref"])
        if operation["action"] != action or channel["address"] != TOPIC_PREFIX + model.topic.name:
            continue
        for message_ref in operation["messages"]:
            message = _resolve(document, message_ref["$ref"])
            if "$ref" in message:
                message = _resolve(document, message["$ref"])
            if message["headers"]["properties"]["ce_type"] == {"const": model.ce_type}:
                found.append(message)
    return found


def _event_types(service: str) -> list[tuple[str, type[Event]]]:
    return [("receive", model) for model in _consumed(service)] + [
        ("send", model) for model in _runtime(service).produces
    ]


@pytest.mark.parametrize("service", SERVICES)
async def test_the_document_lists_every_event_type_consumed_and_produced_with_its_schemas(
    service: str,
) -> None:
    response = await _get(service, "/asyncapi.json")
    document = response.json()
    assert document["asyncapi"].startswith("3.")

    for action, model in _event_types(service):
        messages = _messages_of(document, action, model)
        assert len(messages) == 1, f"{service} does not {action} {model.__name__} once"
        (message,) = messages
        schemas = record_schemas(model)
        served = _inline(message["payload"], functools.partial(_resolve, document))
        assert served == _value_inlined(model), f"{model.__name__}'s payload is not its value"
        assert message["headers"] == schemas.headers
        assert message["bindings"]["kafka"]["key"] == schemas.key
        assert message["name"] == model.__name__


@pytest.mark.parametrize("service", SERVICES)
async def test_every_reference_in_the_document_resolves_and_its_page_renders(
    service: str,
) -> None:
    document = (await _get(service, "/asyncapi.json")).json()

    def references(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [ref for value in node.values() for ref in references(value)]
        if isinstance(node, list):
            return [ref for item in node for ref in references(item)]
        return []

    for reference in references(document):
        assert reference.startswith("#/")
        _resolve(document, reference)
    assert (await _get(service, "/asyncapi")).status_code == 200


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_produces_and_consumes_on_the_topics_the_registry_gives_it(service: str) -> None:
    produced = {model.topic for model in _runtime(service).produces}
    consumed = {model.topic for model in _consumed(service)}

    assert produced == {topic for topic in ALL_TOPICS if service in topic.producers}
    assert consumed == {topic for topic in ALL_TOPICS if service in topic.consumers}


def test_every_event_type_is_produced_by_exactly_one_service() -> None:
    producers = Counter(model for service in SERVICES for model in _runtime(service).produces)
    assert producers == Counter(EVENT_TYPES.values())
