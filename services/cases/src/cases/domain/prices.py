"""What chargeable services cost, in integer pence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Charge:
    amount: int  # pence
    description: str


# Bulky waste: a base price for up to 3 items, then per extra item.
BULKY_WASTE_BASE_PENCE = 3_500
BULKY_WASTE_EXTRA_ITEM_PENCE = 1_000
BULKY_WASTE_BASE_ITEMS = 3
NEW_BIN_PENCE = {"refuse": 2_500, "recycling": 2_500, "garden": 4_000, "food": 1_000}
NEW_BIN_DEFAULT_PENCE = 2_500


def _count(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, list) and value:
        return len(value)
    return default


def charge_for(case_type: str, answers: dict[str, object]) -> Charge | None:
    if case_type == "bulky_waste":
        items = _count(answers.get("item_count", answers.get("items")), 1)
        extra = max(0, items - BULKY_WASTE_BASE_ITEMS)
        amount = BULKY_WASTE_BASE_PENCE + extra * BULKY_WASTE_EXTRA_ITEM_PENCE
        return Charge(amount, f"Bulky waste collection ({items} item{'s' if items > 1 else ''})")
    if case_type == "new_bin":
        bin_type = answers.get("bin_type")
        amount = (
            NEW_BIN_PENCE.get(bin_type, NEW_BIN_DEFAULT_PENCE)
            if isinstance(bin_type, str)
            else NEW_BIN_DEFAULT_PENCE
        )
        return Charge(amount, "New or replacement bin")
    return None
