import uuid
from datetime import date

import pytest
from civic_events.contact import Coordinates
from civic_events.payments import PaymentFailed
from civic_events.planning import ConsultationStarted
from notify.domain import purposes
from notify.domain.neighbourhood import (
    DEFAULT_PLANNING_ALERT_RADIUS_METRES,
    Point,
    box_around,
    distance_metres,
    within_radius,
)

pytestmark = pytest.mark.unit

GUILDFORD = Point(51.2362, -0.5704)


def north_of(point: Point, metres: float) -> Point:
    return Point(point.latitude + metres / 111_195.0, point.longitude)


def test_distances_match_known_figures() -> None:
    # One degree of latitude on the mean-radius sphere is 111.195 km.
    assert distance_metres(Point(51.0, 0.0), Point(52.0, 0.0)) == pytest.approx(111_195, rel=1e-4)
    # One degree of longitude at 60° is half of one at the equator.
    assert distance_metres(Point(60.0, 0.0), Point(60.0, 1.0)) == pytest.approx(55_597, rel=1e-3)
    assert distance_metres(GUILDFORD, GUILDFORD) == 0


def test_the_default_radius_is_500_metres_and_a_residents_own_radius_wins() -> None:
    assert DEFAULT_PLANNING_ALERT_RADIUS_METRES == 500
    assert within_radius(north_of(GUILDFORD, 490), GUILDFORD, None) == pytest.approx(490, rel=1e-3)
    assert within_radius(north_of(GUILDFORD, 510), GUILDFORD, None) is None
    assert within_radius(north_of(GUILDFORD, 510), GUILDFORD, 1000) is not None
    assert within_radius(north_of(GUILDFORD, 90), GUILDFORD, 50) is None


def test_the_box_holds_every_point_within_the_distance() -> None:
    box = box_around(GUILDFORD, 5000)
    for bearing_point in (
        north_of(GUILDFORD, 4999),
        north_of(GUILDFORD, -4999),
        Point(GUILDFORD.latitude, GUILDFORD.longitude + 0.0715),  # ~4,990 m east
        Point(GUILDFORD.latitude, GUILDFORD.longitude - 0.0715),
    ):
        assert distance_metres(GUILDFORD, bearing_point) < 5000
        assert box.min_latitude <= bearing_point.latitude <= box.max_latitude
        assert box.min_longitude <= bearing_point.longitude <= box.max_longitude
    assert not box.min_latitude <= north_of(GUILDFORD, 5100).latitude <= box.max_latitude


def test_a_neighbours_alert_carries_the_application_and_the_consultations_end() -> None:
    event = ConsultationStarted(
        source="bops",
        subject="26/00123/FUL",
        starts_on=date(2026, 11, 30),
        ends_on=date(2026, 12, 21),
        site_coordinates=Coordinates(latitude=51.2362, longitude=-0.5704),
    )
    resident = uuid.uuid4()
    request = purposes.planning_nearby(event, resident, distance_metres=349)
    assert (request.purpose, request.category, request.subject) == (
        "planning_nearby",
        "planning_alerts",
        "26/00123/FUL",
    )
    assert request.personalisation == {
        "application_reference": "26/00123/FUL",
        "distance": "about 350 metres",
        "consultation_ends_on": "Monday 21 December 2026",
    }
    assert "reference" not in request.personalisation  # so no status link is made for it
    assert request.triggered_at == event.occurred_at


def _failed(code: str) -> PaymentFailed:
    return PaymentFailed(
        source="payments",
        subject="BLK-2026-000001",
        payment_request_id=uuid.uuid4(),
        payment_id="p1",
        amount=3550,
        state="cancelled" if code in ("P0030", "P0040") else "failed",
        failure_code=code,  # type: ignore[arg-type]
    )


def test_a_payment_reminder_gives_the_reason_in_plain_english() -> None:
    resident = uuid.uuid4()
    request = purposes.payment_failed(_failed("P0020"), resident)
    assert request is not None and not request.urgent
    assert request.personalisation["failure_reason"] == "the time allowed to pay ran out"
    assert request.personalisation["amount"] == "£35.50"
    assert purposes.payment_failed(_failed("P0010"), resident) is not None


def test_no_reminder_when_the_council_cancelled_the_payment_itself() -> None:
    assert purposes.payment_failed(_failed("P0040"), uuid.uuid4()) is None
