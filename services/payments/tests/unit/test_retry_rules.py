"""The rule for paying again, and the return page's "Try again" button (no I/O)."""

from __future__ import annotations

import pytest
from payments.domain.payment import may_pay_again
from payments.entrypoints.pages import not_found_page, outcome_page, unavailable_page
from payments_factories import payment_row

ACTION = "/payments/return/t0k3n/retry"


@pytest.mark.parametrize(
    ("history", "closed", "allowed"),
    [
        ([("failed", "P0010")], False, True),
        ([("failed", "P0020"), ("failed", "P0030"), ("error", "P0050")], False, True),
        ([("created", None), ("failed", "P0010")], False, True),  # the live one is offered
        ([("failed", "P0010")], True, False),  # the case is closed
        ([("success", None), ("failed", "P0010")], False, False),  # paid
        ([("cancelled", "P0040")], False, False),  # stopped by the council
        ([("failed", "P0010"), ("cancelled", "P0040")], False, False),
    ],
)
def test_a_resident_may_pay_again_only_while_the_request_is_open(
    history: list[tuple[str, str | None]], closed: bool, allowed: bool
) -> None:
    assert may_pay_again(history=history, case_closed=closed) is allowed


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        ("failed", "P0010", "failed"),
        ("failed", "P0030", "cancelled"),
        ("failed", "P0020", "expired"),
    ],
)
def test_an_unsuccessful_payment_offers_try_again_when_allowed(
    status: str, code: str, outcome: str
) -> None:
    shown, page = outcome_page(payment_row(status, code), retry_action=ACTION)
    assert shown == outcome
    assert f'<form method="post" action="{ACTION}">' in page and "Try again" in page
    assert "You can try again" in page
    shown, page = outcome_page(payment_row(status, code))
    assert shown == outcome and "<form" not in page and "new link" in page


@pytest.mark.parametrize("status", ["success", "created", "started"])
def test_a_paid_or_pending_payment_never_offers_try_again(status: str) -> None:
    _, page = outcome_page(payment_row(status), retry_action=ACTION)
    assert "<form" not in page


def test_the_other_resident_pages() -> None:
    assert "Payment not found" in not_found_page()
    page = unavailable_page('/payments/return/"x/retry')
    assert 'action="/payments/return/&quot;x/retry"' in page and "not been charged" in page
