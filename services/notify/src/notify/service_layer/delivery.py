"""Delivering one claimed notification: render it for the resident, hand it to its provider, and
record what came of it, never sending it twice.

A claimed message is `sending` under a lease, committed before the provider is called. A process
that dies between the hand-over and its record leaves the row `sending`; when its lease runs out,
the next claimant asks the provider by our reference (the notification id) whether it took the
message, and records it instead of sending again. A provider that cannot be asked (SMTP) is not
sent to again: the message is recorded as a technical failure with the reason.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from civic_runtime.outbox import outbox_entry
from civic_runtime.uow import UnitOfWork
from opentelemetry.trace import SpanContext
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters import claims, delivery_states, residents
from notify.adapters.claims import Claimed, HandedOver
from notify.adapters.providers.base import (
    DeliveryProvider,
    OutcomeUnknown,
    OutgoingMessage,
    PermanentFailure,
    ProviderReceipt,
    TemporaryFailure,
)
from notify.adapters.tracing import failed, provider_span, stored_span_context, within
from notify.domain import retry
from notify.domain.preferences import Preferences, first_name
from notify.domain.purposes import status_page_url
from notify.domain.recipient_limits import RecipientLimits
from notify.domain.templates import MissingPersonalisation, TemplateContent
from notify.service_layer import recipient_limits, templates
from notify.service_layer.outcomes import (
    apply_provider_status,
    count_sent,
    fall_back,
    finish_failed,
    sent_event,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchPolicy:
    batch_size: int = 50
    concurrency: int = 20
    poll_interval_s: float = 0.2
    sending_lease_s: float = 60.0
    temporary_failure_max_attempts: int = 6
    temporary_failure_backoff_s: float = 30.0
    reconcile_after_s: float = 900.0
    # Hand-overs are recorded together: the first waits this long for others to join it (one
    # transaction, one relay pass, instead of one each for messages handed over moments apart).
    record_together_s: float = 0.025
    status_page_base_url: str = "http://127.0.0.1:8002/v1/status"
    status_link_secret: str = "development-only-status-link-secret"  # noqa: S105
    status_link_ttl_days: int = 90
    recipient_limits: RecipientLimits = field(default_factory=RecipientLimits)

    @property
    def reconcile_every_s(self) -> float:
        """How often an idle dispatcher looks for messages to reconcile: a small share of how
        long they wait for a receipt first (30 s by default), not on every idle pass (five a
        second: a transaction each, a tenth of a core's idle time, for messages 15 min old)."""
        return max(self.poll_interval_s, self.reconcile_after_s / 30)


class Outcome(NamedTuple):
    """A hand-over to record."""

    row: Mapping[str, Any]
    receipt: ProviderReceipt
    template_version: int | None
    accepted_at: datetime | None  # None: found on recovery, the moment unknown
    # The provider call's span (or, found on recovery, the stored context): the trace that
    # NotificationSent carries.
    span_context: SpanContext | None


@dataclass
class Prepared:
    """What a batch's messages need, read in the transaction that claimed them."""

    residents: dict[uuid.UUID, Preferences] = field(default_factory=dict)
    templates: dict[tuple[str, str], tuple[TemplateContent, int] | None] = field(
        default_factory=dict
    )

    async def add(self, session: AsyncSession, row: Mapping[str, Any], prefs: Preferences) -> None:
        """One message claimed at its creation, its resident already read."""
        key = (row["template_name"], row["channel"])
        if key not in self.templates:
            self.templates[key] = await templates.resolve(
                session=session, name=key[0], channel=key[1]
            )
        if not row.get("destination"):  # else not the resident's details on record
            self.residents[row["resident_id"]] = prefs


async def prepare(session: AsyncSession, items: Sequence[Claimed]) -> Prepared:
    """The residents' preferences and the templates a batch needs."""
    prepared = Prepared()
    prepared.residents.update(
        await residents.load_many(
            session=session, resident_ids={i.row["resident_id"] for i in items}
        )
    )
    for key in {(i.row["template_name"], i.row["channel"]) for i in items}:
        prepared.templates[key] = await templates.resolve(
            session=session, name=key[0], channel=key[1]
        )
    return prepared


class Delivery:
    """Hands claimed messages to their providers and records the outcomes."""

    def __init__(
        self,
        *,
        unit_of_work: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
        providers: Mapping[str, Sequence[DeliveryProvider]],
        policy: DispatchPolicy,
        clock: Callable[[], datetime],
        sending_slots: AbstractAsyncContextManager[Any],
        wake: Callable[[], None],
    ) -> None:
        self._uow = unit_of_work
        self._providers = providers  # by channel, in failover order
        self.by_name = {p.name: p for chain in providers.values() for p in chain}
        self.policy = policy
        self._clock = clock
        self._slots = sending_slots  # at most this many provider calls at once
        self._wake = wake

    async def deliver(self, item: Claimed) -> None:
        """Deliver one claimed message (the batch path, for one)."""
        async with self._uow() as uow:
            prepared = await prepare(uow.session, [item])
        outcome = await self.attempt(item, prepared)
        if outcome is not None:
            await self.record_sent_many([outcome])

    async def attempt(self, item: Claimed, prepared: Prepared) -> Outcome | None:
        """Hand one message over; the outcome to record, or None when already dealt with."""
        # What is recorded here (failures, lookups) joins the trace the message was asked for in.
        with within(stored_span_context(item.row)):
            return await self._attempt_traced(item, prepared)

    async def _attempt_traced(self, item: Claimed, prepared: Prepared) -> Outcome | None:
        row = item.row
        provider = self.by_name.get(row["provider"] or "")
        if provider is None:
            await self._permanent(row, f"no provider configured for {row['channel']}")
            return None
        if item.recovering:
            if not provider.supports_lookup:
                await self._finish_failed(
                    row,
                    "technical-failure",
                    f"outcome unknown: {provider.name} cannot be asked; not resent",
                )
                return None
            try:
                found = await provider.find(str(row["id"]))
            except Exception as exc:
                await self._unknown(row, f"lookup failed: {exc}")
                return None
            if found is not None:
                logger.info("notification %s was already taken by %s", row["id"], provider.name)
                return Outcome(row, found, row["template_version"], None, stored_span_context(row))

        prefs = prepared.residents.get(row["resident_id"])
        if row.get("destination") and not (prefs is not None and prefs.erased):
            prefs = Preferences.of_destination(row["destination"])
        resolved = prepared.templates.get((row["template_name"], row["channel"]))
        if prefs is None or prefs.erased:
            await self._finish_failed(
                row, "permanent-failure", "resident erased or unknown", cancel=True
            )
            return None
        if resolved is None:
            await self._finish_failed(
                row, "technical-failure", f"no {row['channel']} template for {row['template_name']}"
            )
            return None
        content, version = resolved
        try:
            message = _message(row, prefs, content.render(self._personalise(row, prefs)))
        except MissingPersonalisation as exc:
            await self._finish_failed(row, "technical-failure", f"missing placeholder {exc}")
            return None
        if message is None:
            await self._permanent(row, f"no {row['channel']} contact details")
            return None
        refused = await self._count_for_recipient(row, message)
        if refused is not None:
            await self._finish_failed(row, "technical-failure", refused, recipient_limited=True)
            return None
        failure: PermanentFailure | TemporaryFailure | OutcomeUnknown | None = None
        async with self._slots:
            with provider_span(row, provider) as span:
                try:
                    receipt = await provider.send(message)
                except (PermanentFailure, TemporaryFailure, OutcomeUnknown) as exc:
                    failed(span, exc)
                    failure = exc
        accepted_at = self._clock()
        # The failure's event, like NotificationSent, carries the provider call's trace.
        with within(span.get_span_context()):
            if isinstance(failure, PermanentFailure):
                await self._permanent(row, str(failure))
            elif isinstance(failure, TemporaryFailure):
                await self._temporary(row, str(failure))
            elif isinstance(failure, OutcomeUnknown):
                await self._unknown(row, str(failure))
            else:
                return Outcome(row, receipt, version, accepted_at, span.get_span_context())
        return None

    def _personalise(self, row: Mapping[str, Any], prefs: Preferences) -> dict[str, str]:
        values = dict(row["personalisation"])
        values["first_name"] = first_name(prefs.first_name)
        if "reference" in values:
            values["status_page_url"] = status_page_url(
                base_url=self.policy.status_page_base_url,
                reference=values["reference"],
                secret=self.policy.status_link_secret,
                expires_at=self._clock() + timedelta(days=self.policy.status_link_ttl_days),
            )
        return values

    async def record_sent_many(self, outcomes: list[Outcome]) -> None:
        """Record a batch's hand-overs: one UPDATE of the rows still ours, one statement staging
        their NotificationSent events."""
        now = self._clock()
        by_id = {outcome.row["id"]: outcome for outcome in outcomes}
        async with self._uow() as uow:
            recorded = await claims.record_handed_over(
                session=uow.session,
                handed=[
                    HandedOver(
                        notification_id=notification_id,
                        attempts=o.row["attempts"],
                        provider_reference=o.receipt.provider_reference,
                        template_version=o.template_version,
                    )
                    for notification_id, o in by_id.items()
                ],
                now=now,
            )
            ours = [by_id[row["id"]]._replace(row=row) for row in recorded]
            # Each event carries the trace of its own provider call.
            sent = []
            for o in ours:
                with within(o.span_context):
                    sent.append(outbox_entry(sent_event(o.row, o.receipt, o.template_version)))
            await uow.stage_many(sent)
            for outcome in ours:
                count_sent(uow, outcome.row, accepted_at=outcome.accepted_at or now)

    async def _permanent(self, row: Mapping[str, Any], detail: str) -> None:
        async with self._uow() as uow:
            current = await _still_sending(uow, row)
            if current is None:
                return
            await fall_back(uow, current, detail=detail, now=self._clock())

    async def _temporary(self, row: Mapping[str, Any], detail: str) -> None:
        policy = self.policy
        if retry.gives_up(row["attempts"], max_attempts=policy.temporary_failure_max_attempts):
            await self._finish_failed(row, "technical-failure", f"gave up: {detail}")
            return
        chain = [p.name for p in self._providers.get(row["channel"], [])]
        delay = retry.backoff_s(row["attempts"], base_s=policy.temporary_failure_backoff_s)
        now = self._clock()
        async with self._uow() as uow:
            current = await _still_sending(uow, row)
            if current is None:
                return
            await delivery_states.back_to_pending(
                session=uow.session,
                row=row,
                provider=retry.failover(chain, row["provider"]),
                not_before=now + timedelta(seconds=delay),
                detail=detail,
                now=now,
            )
        self._wake()

    async def _unknown(self, row: Mapping[str, Any], detail: str) -> None:
        """Keep it `sending`: when the (shortened) lease runs out, it is looked up, not resent."""
        now = self._clock()
        delay = retry.lookup_after_s(
            row["attempts"],
            base_s=self.policy.temporary_failure_backoff_s,
            lease_s=self.policy.sending_lease_s,
        )
        async with self._uow() as uow:
            current = await _still_sending(uow, row)
            if current is None:
                return
            await delivery_states.lease_until(
                session=uow.session,
                row=row,
                until=now + timedelta(seconds=delay),
                detail=detail,
                now=now,
            )

    async def _count_for_recipient(
        self, row: Mapping[str, Any], message: OutgoingMessage
    ) -> str | None:
        """Count the message against its recipient's hour; why it may not go, if it may not."""
        limits = self.policy.recipient_limits
        if not limits.applies(channel=message.channel, purpose=row["purpose"]):
            return None
        async with self._uow() as uow:
            return await recipient_limits.admit_message(
                session=uow.session,
                limits=limits,
                notification_id=row["id"],
                channel=message.channel,
                recipient=message.recipient,
                purpose=row["purpose"],
                now=self._clock(),
            )

    async def _finish_failed(
        self,
        row: Mapping[str, Any],
        failure: str,
        detail: str,
        *,
        cancel: bool = False,
        recipient_limited: bool = False,
    ) -> None:
        async with self._uow() as uow:
            current = await _still_sending(uow, row)
            if current is None:
                return
            await finish_failed(
                uow,
                current,
                failure=failure,
                detail=detail,
                now=self._clock(),
                publish=not cancel,
                recipient_limited=recipient_limited,
            )

    async def reconcile(self) -> int:
        """Poll the provider about messages sent long ago with no receipt yet; returns how many
        were found. The recipients' counts older than their hour are deleted on the way."""
        now = self._clock()
        cutoff = now - timedelta(seconds=self.policy.reconcile_after_s)
        async with self._uow() as uow:
            await recipient_limits.forget_past_hour(session=uow.session, now=now)
            rows = await delivery_states.sent_awaiting_receipt(
                session=uow.session, cutoff=cutoff, limit=self.policy.batch_size
            )
        for row in rows:
            provider = self.by_name.get(row["provider"] or "")
            if provider is None or not provider.supports_lookup:
                continue
            try:
                status = await provider.status(row["provider_reference"])
            except Exception as exc:
                logger.warning("reconciliation of %s failed: %s", row["id"], exc)
                continue
            async with self._uow() as uow:
                await apply_provider_status(
                    uow, notification_id=row["id"], status=status or "", now=self._clock()
                )
        return len(rows)


async def _still_sending(uow: UnitOfWork, row: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The row, locked, if it is still `sending` under the claim it was read with."""
    current = await delivery_states.lock_if_ours(session=uow.session, row=row)
    if current is None or current["status"] != "sending":
        return None
    return current


def _message(row: Mapping[str, Any], prefs: Preferences, rendered: Any) -> OutgoingMessage | None:
    channel = row["channel"]
    recipient: Any = {
        "email": prefs.email,
        "sms": prefs.phone,
        "push": prefs.push_subscription,
    }[channel]
    if not recipient:
        return None
    return OutgoingMessage(
        reference=str(row["id"]),
        channel=channel,
        recipient=recipient,
        subject=rendered.subject,
        body=rendered.body,
        link=rendered.link,
    )
