"""A local stand-in for the GOV.UK Pay public API (https://docs.payments.service.gov.uk/).

Speaks Pay's real protocol on loopback (default 127.0.0.1:8103): create, look up and cancel
payments, refunds with `refund_amount_available`, the `Idempotency-Key` header, a hosted payment
page with buttons to succeed, fail or cancel, expiry after 90 minutes, and webhooks signed with
`Pay-Signature` and retried on Pay's ladder (60 s, 5 min, 1 h, 1 day, 2 days), compressed by
`webhook_retry_scale` for tests. Paths under `/_sim/` are the simulator's own test controls.
"""

from civic_simulators.govuk_pay.app import create_app
from civic_simulators.govuk_pay.settings import PaySimulatorSettings

__all__ = ["PaySimulatorSettings", "create_app"]
