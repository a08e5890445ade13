import re

import pytest
from civic_events.base import Event
from civic_events.registry import EVENT_TYPES, events_for_topic
from civic_events.topics import ALL_TOPICS, Topic
from event_factories import FACTORIES

pytestmark = pytest.mark.unit

ALL_MODELS = sorted(EVENT_TYPES.values(), key=lambda model: model.ce_type)

# DESIGN.md: topic -> its event types.
DESIGN = {
    "intake.submission.v1": ["FormSubmitted"],
    "backoffice.waste.v1": [
        "CollectionCompleted", "CollectionMissed", "BinNotPresented",
        "ReturnVisitScheduled", "ServiceDisruption",
    ],
    "backoffice.planning.v1": [
        "ApplicationReceived", "ApplicationValidated", "ApplicationInvalid",
        "ConsultationStarted", "DecisionIssued", "ApplicationWithdrawn",
    ],
    "payments.v1": [
        "PaymentRequested", "PaymentCreated", "PaymentSucceeded", "PaymentFailed",
        "PaymentRefunded",
    ],
    "cases.lifecycle.v1": ["CaseOpened", "CaseStatusChanged", "CaseClosed", "CaseSlaBreached"],
    "residents.v1": [
        "ResidentUpserted", "ContactPreferencesChanged", "ContactChangeRequested",
        "ResidentErased",
    ],
    "notify.delivery.v1": ["NotificationSent", "NotificationDelivered", "NotificationFailed"],
}  # fmt: skip


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_every_model_is_on_a_known_topic(model: type[Event]) -> None:
    assert model.topic in ALL_TOPICS


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda topic: topic.name)
def test_every_topic_has_at_least_one_event_type(topic: Topic) -> None:
    assert events_for_topic(topic)


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda topic: topic.name)
def test_event_types_per_topic_match_the_design(topic: Topic) -> None:
    assert [model.__name__ for model in events_for_topic(topic)] == DESIGN[topic.name]


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_ce_type_names_family_event_and_version(model: type[Event]) -> None:
    family = model.__module__.rsplit(".", 1)[-1]
    assert model.ce_type == f"uk.gov.council.{family}.{model.__name__}.v1"
    assert EVENT_TYPES[model.ce_type] is model
    assert re.fullmatch(r"[a-z]+(\.[a-z]+)*\.[A-Z][A-Za-z]+\.v[0-9]+", model.ce_type)


def test_every_event_type_has_a_factory() -> None:
    assert set(FACTORIES) == set(EVENT_TYPES.values())
