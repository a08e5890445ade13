"""The official CloudEvents SDK reads what we write, and we read what it writes.

cloudevents 2.x keeps the 1.x API (``cloudevents.kafka``) as ``cloudevents.v1.kafka`` and adds
the new ``cloudevents.core.bindings.kafka``; both are exercised.
"""

import json
from datetime import datetime

import pytest
from civic_events.base import Event
from civic_events.envelope import decode, encode
from civic_events.registry import EVENT_TYPES
from cloudevents.core.bindings import kafka as core_kafka
from cloudevents.core.v1.event import CloudEvent as CoreCloudEvent
from cloudevents.v1.http import CloudEvent as V1CloudEvent
from cloudevents.v1.kafka import KafkaMessage, from_binary, to_binary
from event_factories import case_status_changed, example, payment_created

pytestmark = pytest.mark.unit

ALL_MODELS = sorted(EVENT_TYPES.values(), key=lambda model: model.ce_type)
HEADER_FIELDS = {"event_id", "source", "occurred_at", "subject"}


def _data(event: Event) -> dict[str, object]:
    return event.model_dump(mode="json", exclude=HEADER_FIELDS)


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_sdk_reads_our_record(model: type[Event]) -> None:
    event = example(model)
    record = encode(event)

    cloud_event = from_binary(KafkaMessage(dict(record.headers), record.key, record.value))

    assert cloud_event["specversion"] == "1.0"
    assert cloud_event["id"] == str(event.event_id)
    assert cloud_event["type"] == model.ce_type
    assert cloud_event["source"] == event.source
    assert cloud_event["subject"] == event.subject
    assert datetime.fromisoformat(cloud_event["time"]) == event.occurred_at
    assert cloud_event["datacontenttype"] == "application/json"
    assert cloud_event["partitionkey"] == event.subject.encode()
    assert cloud_event.get_data() == _data(event)


def test_core_sdk_reads_our_record() -> None:
    event = payment_created()
    record = encode(event)

    cloud_event = core_kafka.from_binary_event(
        core_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    )

    assert cloud_event.get_id() == str(event.event_id)
    assert cloud_event.get_type() == event.ce_type
    assert cloud_event.get_source() == event.source
    assert cloud_event.get_subject() == event.subject
    assert cloud_event.get_time() == event.occurred_at
    assert cloud_event.get_data() == _data(event)


def test_we_read_what_the_sdk_writes() -> None:
    event = case_status_changed()
    cloud_event = V1CloudEvent.create(
        {
            "id": str(event.event_id),
            "type": event.ce_type,
            "source": event.source,
            "subject": event.subject,
            "time": event.occurred_at.isoformat(),
            "datacontenttype": "application/json",
            "partitionkey": event.subject,
        },
        _data(event),
    )

    message = to_binary(cloud_event)

    assert message.key == event.subject
    assert decode(list(message.headers.items()), message.value) == event


def test_we_read_what_the_core_sdk_writes() -> None:
    event = payment_created()
    cloud_event = CoreCloudEvent(
        {
            "id": str(event.event_id),
            "type": event.ce_type,
            "source": event.source,
            "subject": event.subject,
            "time": event.occurred_at,
            "datacontenttype": "application/json",
        },
        _data(event),
    )

    message = core_kafka.to_binary_event(cloud_event, key_mapper=lambda ce: ce.get_subject())

    assert json.loads(message.value) == _data(event)
    assert decode(list(message.headers.items()), message.value) == event
