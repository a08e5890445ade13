"""Which round a property is on and which weekday that round collects."""

from __future__ import annotations

import hashlib
from typing import Any

ALL_BINS = ("refuse", "recycling", "garden", "food", "glass")


class HashRounds:
    """No district file: every UPRN not starting with 0 exists; its round is a hash of it."""

    def round_for(self, uprn: str) -> tuple[str, int] | None:
        if uprn.startswith("0"):
            return None
        digest = int(hashlib.sha256(uprn.encode()).hexdigest(), 16)
        weekday = digest % 5
        return f"R{weekday + 1}{digest % 7 + 1:02d}", weekday

    def bin_types(self, round_id: str) -> tuple[str, ...] | None:
        return ALL_BINS


class DistrictRounds:
    """The demo district's households and rounds; anything else is unknown."""

    def __init__(self, district: dict[str, Any]) -> None:
        self._rounds = {r["round_id"]: r for r in district["rounds"]}
        self._households = {h["uprn"]: h["round_id"] for h in district["households"]}

    def round_for(self, uprn: str) -> tuple[str, int] | None:
        round_id = self._households.get(uprn)
        if round_id is None:
            return None
        return round_id, int(self._rounds[round_id]["weekday"])

    def bin_types(self, round_id: str) -> tuple[str, ...] | None:
        found = self._rounds.get(round_id)
        return tuple(found["bin_types"]) if found else None
