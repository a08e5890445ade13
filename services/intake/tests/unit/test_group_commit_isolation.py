"""A group commit the database refuses is written again one submission at a time: only the
submission it refuses fails. In an outage every submission in it fails at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from intake.adapters.group_commit import GroupCommit

pytestmark = pytest.mark.unit


class Refused(Exception):
    """The database refusing one submission's data."""


class FakeDatabase:
    def __init__(self) -> None:
        self.committed: list[str] = []
        self.transactions = 0

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Any]:
        self.transactions += 1
        yield SimpleNamespace(session=None)

    async def draw(self, connection: Any, family: str, count: int) -> list[int]:
        return list(range(count))

    async def write(self, uow: Any, receipts: Sequence[Any]) -> None:
        if any("\x00" in receipt for receipt in receipts):
            raise Refused("invalid byte sequence for encoding UTF8: 0x00")
        self.committed.extend(receipts)


async def _submit(writer: GroupCommit, descriptions: list[str]) -> list[Any]:
    def build(description: str) -> Any:
        return lambda number: (None, description)

    return await asyncio.gather(
        *(writer.write("ENV", build(d)) for d in descriptions), return_exceptions=True
    )


async def test_only_the_refused_submission_fails() -> None:
    database = FakeDatabase()
    writer = GroupCommit(
        begin=database.begin,
        write=database.write,
        draw_numbers=database.draw,
        is_outage=lambda exc: not isinstance(exc, Refused),
    )
    writer.start()
    outcomes = await _submit(writer, ["a", "b", "nul\x00", "c"])
    await writer.stop()
    assert isinstance(outcomes[2], Refused)
    assert [outcome[1] for i, outcome in enumerate(outcomes) if i != 2] == ["a", "b", "c"]
    assert sorted(database.committed) == ["a", "b", "c"]


async def test_in_an_outage_every_submission_fails_without_a_retry_each() -> None:
    database = FakeDatabase()
    writer = GroupCommit(begin=database.begin, write=database.write, draw_numbers=database.draw)
    writer.start()
    outcomes = await _submit(writer, ["a", "b", "nul\x00", "c"])
    await writer.stop()
    assert all(isinstance(outcome, Refused) for outcome in outcomes)
    assert database.transactions == 1
