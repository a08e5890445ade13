"""cases' handlers keep their inbox identities: events applied before a deployment stay applied."""

from __future__ import annotations

import pytest
from cases.config import CasesSettings
from cases.entrypoints.consumers import build_handlers
from cases.service_layer.context import CasesContext
from civic_runtime.council import DEMO_COUNCIL_FILE, load_council

pytestmark = pytest.mark.unit

# The identities the inbox rows already written carry: one changed here makes its events look new.
IDENTITIES = {
    "cases.entrypoints.consumers.on_form_submitted",
    "cases.entrypoints.consumers.on_return_visit_scheduled",
    "cases.entrypoints.consumers.on_collection_completed",
    "cases.entrypoints.consumers.on_bin_not_presented",
    "cases.entrypoints.consumers.on_application_received",
    "cases.entrypoints.consumers.on_application_validated",
    "cases.entrypoints.consumers.on_application_invalid",
    "cases.entrypoints.consumers.on_consultation_started",
    "cases.entrypoints.consumers.on_decision_issued",
    "cases.entrypoints.consumers.on_application_withdrawn",
    "cases.entrypoints.consumers.on_payment_created",
    "cases.entrypoints.consumers.on_payment_succeeded",
    "cases.entrypoints.consumers.on_payment_failed",
    "cases.entrypoints.consumers.on_payment_refunded",
    "cases.entrypoints.consumers.on_notification_sent",
    "cases.entrypoints.consumers.on_notification_delivered",
    "cases.entrypoints.consumers.on_notification_failed",
}


def test_each_handler_keeps_its_inbox_identity() -> None:
    context = CasesContext(
        settings=CasesSettings(environment="test"),
        council=load_council(DEMO_COUNCIL_FILE, environment="test"),
    )
    assert {r.name for r in build_handlers(context).registrations} == IDENTITIES
