import uuid
from datetime import UTC, datetime

import pytest
from civic_events.payments import PaymentCreated
from notify.domain import purposes

pytestmark = pytest.mark.unit


def test_a_payment_link_is_urgent_and_says_the_amount_and_deadline_in_london_time() -> None:
    resident = uuid.uuid4()
    event = PaymentCreated(
        source="payments",
        subject="BLK-2026-000001",
        payment_request_id=uuid.uuid4(),
        payment_id="p1",
        resident_id=resident,
        amount=3550,
        next_url="https://card.payments.service.gov.uk/secure/x",
        expires_at=datetime(2026, 7, 1, 13, 30, tzinfo=UTC),
    )
    request = purposes.payment_link(event, resident)
    assert request.urgent and request.caused_by == event.event_id
    assert request.personalisation["amount"] == "£35.50"
    assert request.personalisation["pay_by"] == "Wednesday 1 July 2026, 2:30pm"


def test_the_status_link_carries_the_cases_services_expiring_token() -> None:
    import hashlib
    import hmac

    expires = datetime(2027, 2, 26, tzinfo=UTC)
    link = purposes.status_page_url(
        base_url="https://c.example/v1/status/", reference="R-1", secret="s", expires_at=expires
    )
    stamp = int(expires.timestamp())
    signature = hmac.new(b"s", f"R-1.{stamp}".encode(), hashlib.sha256).hexdigest()
    assert link == f"https://c.example/v1/status/R-1#token={stamp}.{signature}"
    assert purposes.pounds(123456) == "£1,234.56"


def test_the_broadcast_progress_bar() -> None:
    from notify.entrypoints.cli import progress_bar

    bar = progress_bar({"recipients": 4, "handled": 1, "status": "sending"}, width=8)
    assert bar == "[##......] 1/4 sending"


def test_round_data_is_read_from_the_contractors_csv() -> None:
    from notify.service_layer.broadcasts import read_rounds_csv

    rows = read_rounds_csv(["uprn,round,collection_day\n", "100023,R-1,Tuesday\n"])
    assert rows == [{"uprn": "100023", "round_id": "R-1", "collection_day": "Tuesday"}]
    with pytest.raises(ValueError, match="line 2"):
        read_rounds_csv(["uprn,round\n", "not-a-uprn,R-1\n"])
