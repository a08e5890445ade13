"""notify's handlers keep their inbox identities: events applied before a deployment stay applied."""

from __future__ import annotations

import pytest
from notify.entrypoints.consumers import handlers

pytestmark = pytest.mark.unit

# The identities the inbox rows already written carry: one changed here makes its events look new.
IDENTITIES = {
    "notify.entrypoints.consumers.on_resident_upserted",
    "notify.entrypoints.consumers.on_contact_preferences_changed",
    "notify.entrypoints.consumers.on_contact_change_requested",
    "notify.entrypoints.consumers.on_resident_erased",
    "notify.entrypoints.consumers.on_case_opened",
    "notify.entrypoints.consumers.on_case_status_changed",
    "notify.entrypoints.consumers.on_case_closed",
    "notify.entrypoints.consumers.on_payment_created",
    "notify.entrypoints.consumers.on_payment_failed",
    "notify.entrypoints.consumers.on_consultation_started",
    "notify.entrypoints.consumers.on_service_disruption",
}


def test_each_handler_keeps_its_inbox_identity() -> None:
    assert {r.name for r in handlers.registrations} == IDENTITIES
