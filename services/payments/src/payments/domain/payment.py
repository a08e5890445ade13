"""A payment's life as GOV.UK Pay tells it: states, which way they may move, and what they mean.

Pay's states: created → started → submitted → capturable → a final one (success, failed,
cancelled, error; `finished: true`). Webhooks arrive at least once and out of order, so a state
is applied only when it is further along than the one held: a late "started" never overwrites
"success", and nothing leaves a final state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

MAX_AMOUNT_PENCE = 10_000_000  # £100,000, GOV.UK Pay's ceiling

PaymentStatus = Literal[
    "created", "started", "submitted", "capturable", "success", "failed", "cancelled", "error"
]
FailedStatus = Literal["failed", "cancelled", "error"]

PROGRESS: dict[str, int] = {
    "created": 0,
    "started": 1,
    "submitted": 2,
    "capturable": 3,
    "success": 4,
    "failed": 4,
    "cancelled": 4,
    "error": 4,
}
FINAL = frozenset({"success", "failed", "cancelled", "error"})
UNSUCCESSFUL = frozenset({"failed", "cancelled", "error"})
# When the gateway gives no code, the one its state implies.
DEFAULT_FAILURE_CODES = {"failed": "P0010", "cancelled": "P0040", "error": "P0050"}
FAILURE_CODES = frozenset({"P0010", "P0020", "P0030", "P0040", "P0050"})


class InvalidAmount(ValueError):
    """An amount GOV.UK Pay would refuse: not whole pence, not positive, or over £100,000."""


def check_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(f"amount must be whole pence, not {type(amount).__name__}")
    if amount <= 0:
        raise InvalidAmount("amount must be positive")
    if amount > MAX_AMOUNT_PENCE:
        raise InvalidAmount(f"amount must be at most {MAX_AMOUNT_PENCE} pence (£100,000)")
    return amount


@dataclass(frozen=True)
class GatewayState:
    """A payment's state as the gateway reports it (in a webhook or a look-up)."""

    status: str
    finished: bool
    code: str | None = None
    message: str | None = None

    @property
    def known(self) -> bool:
        return self.status in PROGRESS


def advances(current: str, reported: GatewayState) -> bool:
    """Whether `reported` moves a payment on from `current`: forward only, never out of a final state."""
    if current in FINAL or not reported.known:
        return False
    return PROGRESS[reported.status] > PROGRESS[current]


def failure_code(state: GatewayState) -> str:
    if state.code in FAILURE_CODES:
        return state.code
    return DEFAULT_FAILURE_CODES.get(state.status, "P0050")


def is_live(status: str) -> bool:
    """A live payment blocks a new one for the same case and purpose (it may still be paid, or was)."""
    return status not in UNSUCCESSFUL


CANCELLED_BY_SERVICE = "P0040"


def may_pay_again(*, history: Iterable[tuple[str, str | None]], case_closed: bool) -> bool:
    """Whether a resident may start a new payment for one case and purpose.

    `history` is every payment made for it, as (status, failure code). Not once paid (a refund
    implies that too), nor once the council has stopped it: the case closed, or a payment
    cancelled by the service (which payments does only for a cancelled case).
    """
    if case_closed:
        return False
    return not any(status == "success" or code == CANCELLED_BY_SERVICE for status, code in history)
