"""An event too large for Kafka is refused when it is staged, never left for the relay."""

from datetime import date

import pytest
from civic_events.contact import Contact, Location
from civic_events.planning import ApplicationInvalid, ApplicationReceived
from civic_runtime.outbox import MAX_EVENT_BYTES, EventTooLarge, outbox_entry
from civic_runtime.problems import PROBLEM_JSON, install_problem_handlers
from fastapi import FastAPI
from fastapi.testclient import TestClient

pytestmark = pytest.mark.unit


def invalidated(reasons: int, length: int) -> ApplicationInvalid:
    # Each reason within the producer's limits; characters of 2 and 4 bytes in UTF-8 make a
    # hundred of them, together, over the cap.
    return ApplicationInvalid(
        source="planning-back-office",
        subject="26/00123/FUL",
        reasons=tuple("ŵ𝔀" * (length // 2) for _ in range(reasons)),
        response_due=date(2026, 3, 19),
    )


def test_an_event_within_the_cap_is_encoded() -> None:
    entry = outbox_entry(invalidated(reasons=10, length=10_000))
    assert len(entry.payload) < MAX_EVENT_BYTES


def test_an_event_over_the_cap_is_refused_naming_it() -> None:
    event = invalidated(reasons=100, length=10_000)
    with pytest.raises(EventTooLarge) as refused:
        outbox_entry(event)
    assert refused.value.event is event
    assert refused.value.size > MAX_EVENT_BYTES
    assert str(event.event_id) in str(refused.value)


def test_a_route_staging_too_large_an_event_answers_413_problem_json() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/applications")
    async def receive() -> None:
        outbox_entry(invalidated(reasons=100, length=10_000))

    response = TestClient(app).post("/applications")
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["limit"] == MAX_EVENT_BYTES


def test_the_cap_leaves_room_below_kafkas_default_limit() -> None:
    assert MAX_EVENT_BYTES <= 1024 * 1024 // 2
    # The largest a submission's contact and location may be is far below it.
    received = ApplicationReceived(
        source="planning-back-office",
        subject="26/00123/FUL",
        application_type="full",
        proposal="p" * 2000,
        site=Location(address="a" * 500),
        applicant=Contact(name="n" * 200, address="a" * 500),
        agent=Contact(name="n" * 200, address="a" * 500),
        received_on=date(2026, 3, 2),
    )
    assert len(outbox_entry(received).payload) < MAX_EVENT_BYTES // 50
