import pytest
from civic_events import topics
from civic_events.topics import (
    ALL_TOPICS,
    BACKOFFICE_PLANNING,
    BACKOFFICE_WASTE,
    CASES_LIFECYCLE,
    INTAKE_SUBMISSION,
    NOTIFY_DELIVERY,
    PAYMENTS,
    RESIDENTS,
    SERVICES,
    Topic,
    all_topic_names,
)

pytestmark = pytest.mark.unit

# The table in DESIGN.md: topic -> (producers, consumers).
DESIGN = {
    "intake.submission.v1": ({"intake"}, {"cases"}),
    "backoffice.waste.v1": ({"intake"}, {"cases", "notify"}),
    # Beyond the table: notify hears of consultations to tell residents subscribed nearby.
    "backoffice.planning.v1": ({"intake"}, {"cases", "notify"}),
    "payments.v1": ({"cases", "payments"}, {"cases", "notify", "payments"}),
    # Beyond the DESIGN.md table: intake keeps a projection of case statuses for Open311.
    "cases.lifecycle.v1": ({"cases"}, {"intake", "notify", "payments"}),
    # Beyond the DESIGN.md table: intake and payments hear of erasures (ResidentErased).
    "residents.v1": ({"cases"}, {"intake", "notify", "payments"}),
    "notify.delivery.v1": ({"notify"}, {"cases"}),
}


def test_constants_have_the_agreed_names() -> None:
    assert INTAKE_SUBMISSION.name == "intake.submission.v1"
    assert BACKOFFICE_WASTE.name == "backoffice.waste.v1"
    assert BACKOFFICE_PLANNING.name == "backoffice.planning.v1"
    assert PAYMENTS.name == "payments.v1"
    assert CASES_LIFECYCLE.name == "cases.lifecycle.v1"
    assert RESIDENTS.name == "residents.v1"
    assert NOTIFY_DELIVERY.name == "notify.delivery.v1"
    assert SERVICES == ("intake", "cases", "notify", "payments")


def test_every_topic_constant_is_in_all_topics() -> None:
    constants = {value for value in vars(topics).values() if isinstance(value, Topic)}
    assert constants == set(ALL_TOPICS)
    assert len({topic.name for topic in ALL_TOPICS}) == len(ALL_TOPICS)


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda topic: topic.name)
def test_every_topic_has_a_producer_and_a_consumer_among_the_services(topic: Topic) -> None:
    assert topic.producers & set(SERVICES), f"{topic.name} has no producer"
    assert topic.consumers & set(SERVICES), f"{topic.name} has no consumer"
    assert topic.producers <= set(SERVICES) and topic.consumers <= set(SERVICES)


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda topic: topic.name)
def test_producers_and_consumers_match_the_design(topic: Topic) -> None:
    assert (set(topic.producers), set(topic.consumers)) == DESIGN[topic.name]


def test_topics_match_the_design_exactly() -> None:
    assert [topic.name for topic in ALL_TOPICS] == list(DESIGN)


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda topic: topic.name)
def test_dead_letter_twin_and_partitions(topic: Topic) -> None:
    assert topic.dlq == f"{topic.name}.dlq"
    assert topic.partitions == 12


def test_all_topic_names() -> None:
    assert all_topic_names(include_dlq=False) == list(DESIGN)
    with_dlq = all_topic_names()
    assert len(with_dlq) == 2 * len(DESIGN)
    assert with_dlq[:2] == ["intake.submission.v1", "intake.submission.v1.dlq"]
    assert set(with_dlq) == set(DESIGN) | {f"{name}.dlq" for name in DESIGN}


def test_main_prints_one_topic_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    topics.main()
    assert capsys.readouterr().out.splitlines() == all_topic_names()
