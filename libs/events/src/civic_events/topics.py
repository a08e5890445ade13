"""Kafka topics: names, who produces and who consumes each, and their dead-letter twins.

Run ``python -m civic_events.topics`` to print every topic name and its ``.dlq``, one a line.
"""

from dataclasses import dataclass

SERVICES = ("intake", "cases", "notify", "payments")

DEFAULT_PARTITIONS = 12


@dataclass(frozen=True)
class Topic:
    name: str
    producers: frozenset[str]
    consumers: frozenset[str]
    partitions: int = DEFAULT_PARTITIONS

    @property
    def dlq(self) -> str:
        """The dead-letter topic for messages no consumer of this topic could process."""
        return f"{self.name}.dlq"


INTAKE_SUBMISSION = Topic(
    name="intake.submission.v1",
    producers=frozenset({"intake"}),
    consumers=frozenset({"cases"}),
)
BACKOFFICE_WASTE = Topic(
    name="backoffice.waste.v1",
    producers=frozenset({"intake"}),
    consumers=frozenset({"cases", "notify"}),
)
BACKOFFICE_PLANNING = Topic(
    name="backoffice.planning.v1",
    producers=frozenset({"intake"}),
    # notify: ConsultationStarted, to tell residents subscribed to applications near their home
    consumers=frozenset({"cases", "notify"}),
)
PAYMENTS = Topic(
    name="payments.v1",
    producers=frozenset({"cases", "payments"}),
    consumers=frozenset({"cases", "notify", "payments"}),
)
CASES_LIFECYCLE = Topic(
    name="cases.lifecycle.v1",
    producers=frozenset({"cases"}),
    consumers=frozenset({"intake", "notify", "payments"}),  # intake: Open311 statuses
)
RESIDENTS = Topic(
    name="residents.v1",
    producers=frozenset({"cases"}),
    # intake and payments: ResidentErased, to forget what they keep of the resident's cases
    consumers=frozenset({"intake", "notify", "payments"}),
)
NOTIFY_DELIVERY = Topic(
    name="notify.delivery.v1",
    producers=frozenset({"notify"}),
    consumers=frozenset({"cases"}),
)

ALL_TOPICS: tuple[Topic, ...] = (
    INTAKE_SUBMISSION,
    BACKOFFICE_WASTE,
    BACKOFFICE_PLANNING,
    PAYMENTS,
    CASES_LIFECYCLE,
    RESIDENTS,
    NOTIFY_DELIVERY,
)


def all_topic_names(include_dlq: bool = True) -> list[str]:
    """Every topic name, each followed by its dead-letter twin unless ``include_dlq`` is false."""
    names: list[str] = []
    for topic in ALL_TOPICS:
        names.append(topic.name)
        if include_dlq:
            names.append(topic.dlq)
    return names


def main() -> None:
    for name in all_topic_names():
        print(name)


if __name__ == "__main__":
    main()
