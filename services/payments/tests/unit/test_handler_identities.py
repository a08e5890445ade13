"""payments' handlers keep their inbox identities: events applied before a deployment stay applied."""

from __future__ import annotations

import pytest
from payments.config import PaymentsSettings
from payments.entrypoints.consumers import build_handlers
from payments.service_layer.context import PaymentsContext
from payments_doubles import InMemoryPayGateway

pytestmark = pytest.mark.unit

# The identities the inbox rows already written carry: one changed here makes its events look new.
IDENTITIES = {
    "payments.entrypoints.consumers.build_handlers.<locals>.on_payment_requested",
    "payments.entrypoints.consumers.build_handlers.<locals>.on_case_status_changed",
    "payments.entrypoints.consumers.build_handlers.<locals>.on_case_closed",
    "payments.entrypoints.consumers.build_handlers.<locals>.on_resident_erased",
}


def test_each_handler_keeps_its_inbox_identity() -> None:
    context = PaymentsContext(
        settings=PaymentsSettings(environment="test"), gateway=InMemoryPayGateway()
    )
    assert {r.name for r in build_handlers(context).registrations} == IDENTITIES
