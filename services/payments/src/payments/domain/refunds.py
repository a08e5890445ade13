"""Refund rules: full or partial, never more than remains refundable."""

from __future__ import annotations

RefundStatus = str  # "submitted" → "success" | "error", as GOV.UK Pay reports them
COUNTED = frozenset({"submitted", "success"})


class RefundRefused(ValueError):
    """A refund that must not be made: nothing paid, nothing left, or more than remains."""


def check_refund(*, amount: int | None, available: int, payment_status: str) -> int:
    """The amount to refund (all that remains when `amount` is None), or RefundRefused."""
    if payment_status != "success":
        raise RefundRefused("only a successful payment can be refunded")
    if available <= 0:
        raise RefundRefused("nothing remains to refund")
    amount = available if amount is None else amount
    if amount <= 0:
        raise RefundRefused("a refund must be positive")
    if amount > available:
        raise RefundRefused(f"at most {available} pence remains refundable")
    return amount
