import json
from datetime import UTC, datetime

import pytest
from payments.domain.payment import (
    GatewayState,
    InvalidAmount,
    advances,
    check_amount,
    failure_code,
)
from payments.domain.refunds import RefundRefused, check_refund
from payments.domain.signatures import sign, signature_matches
from payments.entrypoints.pages import london_time, outcome_page, pounds
from payments.service_layer.webhooks import WebhookMessage
from payments_factories import payment_row

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("amount", [1, 3500, 10_000_000])
def test_amounts_in_whole_pence_up_to_100000_pounds_are_accepted(amount: int) -> None:
    assert check_amount(amount) == amount


@pytest.mark.parametrize("amount", [0, -1, 10_000_001, 35.0, "3500", True])
def test_other_amounts_are_refused(amount: object) -> None:
    with pytest.raises(InvalidAmount):
        check_amount(amount)


def state(status: str, code: str | None = None) -> GatewayState:
    return GatewayState(
        status=status, finished=status in {"success", "failed", "cancelled", "error"}, code=code
    )


@pytest.mark.parametrize(
    ("current", "reported", "moves"),
    [
        ("created", "started", True),
        ("created", "success", True),
        ("started", "submitted", True),
        ("submitted", "started", False),
        ("success", "started", False),
        ("success", "failed", False),
        ("failed", "success", False),
        ("started", "started", False),
        ("created", "teleported", False),
    ],
)
def test_states_only_move_forward_and_never_out_of_a_final_one(
    current: str, reported: str, moves: bool
) -> None:
    assert advances(current, state(reported)) is moves


def test_failure_codes_come_from_the_gateway_or_from_the_state() -> None:
    assert failure_code(state("failed", "P0020")) == "P0020"
    assert failure_code(state("failed")) == "P0010"
    assert failure_code(state("cancelled")) == "P0040"
    assert failure_code(state("error", "P9999")) == "P0050"


def test_refunds_are_full_or_partial_and_never_more_than_remains() -> None:
    assert check_refund(amount=None, available=2500, payment_status="success") == 2500
    assert check_refund(amount=1000, available=2500, payment_status="success") == 1000
    for amount, available, status in [
        (2501, 2500, "success"),
        (1, 0, "success"),
        (1, 10, "failed"),
    ]:
        with pytest.raises(RefundRefused):
            check_refund(amount=amount, available=available, payment_status=status)


def test_the_signature_is_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"webhook_message_id":"abc"}'
    good = sign(body, "secret")
    assert len(good) == 64
    assert signature_matches(body, good, "secret")
    assert signature_matches(body, good.upper(), "secret")
    assert not signature_matches(body, None, "secret")
    assert not signature_matches(body, "", "secret")
    assert not signature_matches(body + b" ", good, "secret")
    assert not signature_matches(body, sign(body, "other"), "secret")


def test_the_webhook_log_keeps_no_card_or_contact_details() -> None:
    body = json.dumps(
        {
            "webhook_message_id": "m1",
            "event_type": "card_payment_succeeded",
            "resource_id": "p1",
            "resource_type": "payment",
            "resource": {
                "payment_id": "p1",
                "amount": 100,
                "state": {"status": "success", "finished": True},
                "email": "resident@example.com",
                "card_details": {
                    "cardholder_name": "A Resident",
                    "last_digits_card_number": "4242",
                },
            },
        }
    ).encode()
    message = WebhookMessage.parse(body)
    assert message is not None and message.state() == GatewayState("success", True)
    logged = json.dumps(message.loggable())
    assert (
        "resident@example.com" not in logged and "4242" not in logged and "A Resident" not in logged
    )
    assert WebhookMessage.parse(b"[]") is None
    assert WebhookMessage.parse(b"not json") is None


def test_the_return_page_shows_pounds_and_london_time() -> None:
    assert pounds(3500) == "35.00" and pounds(10_000_000) == "100,000.00" and pounds(5) == "0.05"
    assert london_time(datetime(2026, 7, 1, 12, 5, tzinfo=UTC)) == "1 July 2026 at 1:05pm"
    assert london_time(datetime(2026, 12, 1, 12, 5, tzinfo=UTC)) == "1 December 2026 at 12:05pm"
    payment = payment_row("success", description="Bulky waste <collection>", return_token="t")
    outcome, page = outcome_page(payment)
    assert outcome == "paid" and "£35.00" in page and "1:05pm" in page
    assert "&lt;collection&gt;" in page
