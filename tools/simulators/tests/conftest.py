"""Fixtures for the simulators' tests."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from simulator_receivers import IntakeReceiver, running_receiver


@pytest.fixture
async def intake_receiver() -> AsyncIterator[IntakeReceiver]:
    async with running_receiver() as receiver:
        yield receiver
