"""intake's handlers keep their inbox identities: events applied before a deployment stay applied."""

from __future__ import annotations

import pytest
from intake.entrypoints.consumers import handlers

pytestmark = pytest.mark.unit

# The identities the inbox rows already written carry: one changed here makes its events look new.
IDENTITIES = {
    "intake.entrypoints.consumers.on_case_opened",
    "intake.entrypoints.consumers.on_case_status_changed",
    "intake.entrypoints.consumers.on_case_closed",
    "intake.entrypoints.consumers.on_resident_erased",
}


def test_each_handler_keeps_its_inbox_identity() -> None:
    assert {r.name for r in handlers.registrations} == IDENTITIES
