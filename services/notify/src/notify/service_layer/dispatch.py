"""Handing due notifications to providers, without ever sending one twice.

1. Claim: in a committed transaction, a due row becomes `sending` with a lease, and the
   provider it will go to is fixed. Rows are claimed with `SKIP LOCKED`, so any number of
   instances share the work; for a rate-limited provider, only as many as the bucket that all
   instances share gives tokens for (adapters/providers/rate_limit.py). A message due at once
   is claimed by the transaction that creates it (the consumer's), and handed over as that
   transaction commits: no claim transaction of its own, no wait for the dispatcher's next pass.
2. Send, outside any transaction.
3. Record: `sent` with the provider's id, and `NotificationSent` through the outbox.

A process that dies between 2 and 3 leaves the row `sending`; when its lease runs out, the next
claimant asks the provider by our reference (the notification id) whether it took the message,
and records it instead of sending again. A provider that cannot be asked (SMTP) is not sent to
again: the message is recorded as a technical failure with the reason ("no duplicates, ever").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from civic_events.notify import NotificationFailed, NotificationSent
from civic_runtime.uow import UnitOfWork
from opentelemetry.trace import SpanContext
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters import residents
from notify.adapters.metrics import count_after_commit
from notify.adapters.outbox import publish_all
from notify.adapters.providers.base import (
    DeliveryProvider,
    OutcomeUnknown,
    OutgoingMessage,
    PermanentFailure,
    ProviderReceipt,
    TemporaryFailure,
)
from notify.adapters.providers.rate_limit import RateLimit, take_tokens
from notify.adapters.tables import Notification, ResidentPreferences
from notify.adapters.tracing import failed, provider_span, stored_span_context, within
from notify.domain.preferences import Preferences, first_name, next_channel, not_before
from notify.domain.purposes import status_page_url
from notify.domain.templates import MissingPersonalisation, TemplateContent
from notify.service_layer import templates
from notify.service_layer.notifications import quiet_hours, wake_after_commit

logger = logging.getLogger(__name__)
_n = Notification.__table__
_r = ResidentPreferences.__table__
SOURCE = "notify"
# In a session's info: the messages its transaction claimed as it created them.
_CLAIMED_AT_CREATION = "notify_claimed_at_creation"
_LISTENING = "notify_hand_over_listening"
# Claimed messages an instance may hold between claim and record: the claim passes' own bound
# (4 batches in flight). Past it, new messages wait `pending` for a claim pass, so that none
# waits for a sending slot anywhere near as long as its lease.
MAX_BATCHES_IN_FLIGHT = 4


_handed = (
    sa.func.unnest(
        sa.cast(sa.bindparam("handed_ids"), ARRAY(sa.Uuid)),
        sa.cast(sa.bindparam("handed_attempts"), ARRAY(sa.Integer)),
        sa.cast(sa.bindparam("handed_references"), ARRAY(sa.String)),
        sa.cast(sa.bindparam("handed_versions"), ARRAY(sa.Integer)),
    )
    .table_valued(
        sa.column("id", sa.Uuid),
        sa.column("attempts", sa.Integer),
        sa.column("reference", sa.String),
        sa.column("version", sa.Integer),
        name="handed",
    )
    .render_derived()
)
# Records hand-overs (built once): `sent`, for the rows still `sending` under the claim that
# handed them over (the attempts match); PostgreSQL re-checks that on each row once it holds
# its lock.
_RECORD_SENT = (
    sa.update(_n)
    .where(_n.c.id == _handed.c.id, _n.c.attempts == _handed.c.attempts, _n.c.status == "sending")
    .values(
        status="sent",
        sent_at=sa.bindparam("handed_now", type_=sa.DateTime(timezone=True)),
        lease_until=None,
        provider_reference=_handed.c.reference,
        template_version=sa.func.coalesce(_handed.c.version, _n.c.template_version),
    )
    .returning(*_n.c)
)


class Outcome(NamedTuple):
    """A hand-over to record."""

    row: Mapping[str, Any]
    receipt: ProviderReceipt
    template_version: int | None
    accepted_at: datetime | None  # None: found on recovery, the moment unknown
    # The provider call's span (or, found on recovery, the stored context): the trace that
    # NotificationSent carries.
    span_context: SpanContext | None


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

    @property
    def reconcile_every_s(self) -> float:
        """How often an idle dispatcher looks for messages to reconcile: a small share of how
        long they wait for a receipt first (30 s by default), not on every idle pass (five a
        second: a transaction each, a tenth of a core's idle time, for messages 15 min old)."""
        return max(self.poll_interval_s, self.reconcile_after_s / 30)


@dataclass
class Prepared:
    residents: dict[uuid.UUID, Preferences] = field(default_factory=dict)
    templates: dict[tuple[str, str], tuple[TemplateContent, int] | None] = field(
        default_factory=dict
    )


@dataclass(frozen=True)
class ClaimStatements:
    candidates: dict[str, Any]  # due messages for a rate-limited provider, to lock
    mark_these: Any  # mark the locked ones granted a token `sending`
    mark_unlimited: Any  # lock and mark due messages for the other providers, in one


@dataclass(frozen=True)
class Claimed:
    row: Mapping[str, Any]
    recovering: bool  # it was `sending` before: the provider may already have it


class Dispatcher:
    def __init__(
        self,
        *,
        unit_of_work: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
        providers: Mapping[str, Sequence[DeliveryProvider]],
        rate_limits: Mapping[str, RateLimit] | None = None,
        policy: DispatchPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow = unit_of_work
        self._providers = providers  # by channel, in failover order
        self._by_name = {p.name: p for chain in providers.values() for p in chain}
        self._rate_limits = dict(rate_limits or {})
        self.policy = policy or DispatchPolicy()
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self.policy.concurrency)
        self._batches = asyncio.Semaphore(MAX_BATCHES_IN_FLIGHT)
        self._primaries = {ch: chain[0].name for ch, chain in providers.items() if chain}
        self._stopping = False
        # Messages of this instance between claim and record, each with what its record sets.
        self._recording: dict[uuid.UUID, asyncio.Event] = {}
        # Hand-overs waiting to be recorded together, each group with what its batch awaits.
        self._to_record: list[tuple[list[Outcome], asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None

    # --- running -------------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-dispatcher")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        # Let messages already handed over be recorded; their leases protect the rest.
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=10)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_reconcile = loop.time()
        while True:
            try:
                handed = await self.dispatch_due()
                # Not again for a while, unless it found a full batch (there may be more).
                if (
                    handed == 0
                    and loop.time() >= next_reconcile
                    and await self._reconcile() < self.policy.batch_size
                ):
                    next_reconcile = loop.time() + self.policy.reconcile_every_s
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("dispatcher pass failed; retrying")
                handed = 0
            if handed < self.policy.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.policy.poll_interval_s)
                self._wake.clear()

    async def dispatch_due(self) -> int:
        """Claim a batch of due messages and start delivering it; returns how many."""
        await self._batches.acquire()
        try:
            # One transaction claims the batch and reads what its messages need.
            async with self._uow() as uow:
                claimed = await self._claim(uow, limit=self.policy.batch_size)
                prepared = await self._prepare(uow, claimed) if claimed else Prepared()
        except BaseException:
            self._batches.release()
            raise
        if not claimed:
            self._batches.release()
            return 0
        self._start_delivery(claimed, prepared, on_done=self._batches.release)
        return len(claimed)

    def _start_delivery(
        self, items: list[Claimed], prepared: Prepared, *, on_done: Callable[[], None] | None = None
    ) -> None:
        for item in items:
            self._recording[item.row["id"]] = asyncio.Event()
        task = asyncio.create_task(self._deliver_batch(items, prepared))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        if on_done is not None:
            task.add_done_callback(lambda _task: on_done())

    async def drain(self) -> None:
        """Deliver everything due now and wait for it (for tests and the broadcast command)."""
        while await self.dispatch_due():
            await self.wait_idle()
        await self.wait_idle()

    async def recorded(self, notification_id: uuid.UUID, *, timeout_s: float = 2.0) -> None:
        """Wait (a little, at most) until this instance has recorded its hand-over of the
        message, if it is delivering it now."""
        done = self._recording.get(notification_id)
        if done is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout_s)

    async def wait_idle(self) -> None:
        if self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    async def _deliver_batch(self, items: list[Claimed], prepared: Prepared) -> None:
        """Send a batch concurrently; record the hand-overs in one transaction."""
        try:
            results = await asyncio.gather(
                *(self._attempt(item, prepared) for item in items), return_exceptions=True
            )
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, Exception):
                    raise result  # the process is going down: record nothing more
                if isinstance(result, Exception):
                    logger.error("delivering a notification failed: %r", result)
            handed = [result for result in results if isinstance(result, tuple)]
            if handed:
                await self._record_together(handed)
        except Exception:
            # Rows left `sending` are looked up at their provider when their lease runs out.
            logger.exception("a delivery batch failed")
        finally:
            for item in items:
                done = self._recording.pop(item.row["id"], None)
                if done is not None:
                    done.set()

    async def _record_together(self, outcomes: list[Outcome]) -> None:
        """Record these hand-overs with any others made meanwhile, in one transaction; returns
        when that has committed (raises if it failed)."""
        recorded = asyncio.get_running_loop().create_future()
        self._to_record.append((outcomes, recorded))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_waiting())
        await recorded

    async def _record_waiting(self) -> None:
        await asyncio.sleep(self.policy.record_together_s)
        while self._to_record:
            waiting, self._to_record = self._to_record, []
            try:
                await self._record_sent_many([o for outcomes, _ in waiting for o in outcomes])
            except Exception as exc:
                for _, recorded in waiting:
                    recorded.set_exception(exc)
            else:
                for _, recorded in waiting:
                    recorded.set_result(None)

    # --- 1. claim ------------------------------------------------------------------------
    async def claim_at_creation(self, session: AsyncSession, values: dict[str, Any]) -> None:
        """In the transaction creating a message due now (`values`, its row): claim it there, as
        a claim pass would: `sending`, with its lease and its channel's first provider, and a
        token from that provider's bucket if it is rate-limited. Left `pending`, for a claim
        pass, when the bucket has no token, this instance holds as many claimed messages as it
        may, or it is stopping. (If the row then turns out to exist already, the event having
        been delivered twice, its token is spent for nothing: rare, and only a token.)"""
        provider = self._primaries.get(values["channel"])
        held = len(self._recording) + len(session.info.get(_CLAIMED_AT_CREATION, ((),))[0])
        if (
            provider is None
            or self._stopping
            or held >= MAX_BATCHES_IN_FLIGHT * self.policy.batch_size
        ):
            return
        limit = self._rate_limits.get(provider)
        if limit is not None and not await take_tokens(
            session=session, provider=provider, rate_limit=limit, wanted=1
        ):
            return
        values.update(
            status="sending",
            provider=provider,
            attempts=1,
            lease_until=self._clock() + timedelta(seconds=self.policy.sending_lease_s),
        )

    async def hand_over_after_commit(
        self, session: AsyncSession, row: dict[str, Any], prefs: Preferences
    ) -> None:
        """A message claimed at its creation (`row`, as inserted): handed to its provider when
        the transaction commits, with what it needs read now, in that transaction. Nothing is
        handed over if the transaction rolls back."""
        claimed: tuple[list[Claimed], Prepared] | None = session.info.get(_CLAIMED_AT_CREATION)
        if claimed is None:
            claimed = session.info[_CLAIMED_AT_CREATION] = ([], Prepared())
            if not session.info.get(_LISTENING):
                session.info[_LISTENING] = True
                sa_event.listen(session.sync_session, "after_commit", self._committed)
                # Any rollback, even of a savepoint, forgets them: a message claimed but never
                # handed over here is found by its lease running out, and looked up first.
                sa_event.listen(session.sync_session, "after_soft_rollback", self._rolled_back)
        items, prepared = claimed
        key = (row["template_name"], row["channel"])
        if key not in prepared.templates:
            prepared.templates[key] = await templates.resolve(
                session=session, name=key[0], channel=key[1]
            )
        prepared.residents[row["resident_id"]] = prefs
        items.append(Claimed(row=row, recovering=False))

    def _committed(self, session: Any) -> None:
        claimed = session.info.pop(_CLAIMED_AT_CREATION, None)
        if claimed is not None:
            self._start_delivery(*claimed)

    @staticmethod
    def _rolled_back(session: Any, _transaction: Any) -> None:
        session.info.pop(_CLAIMED_AT_CREATION, None)

    async def claim(self, *, limit: int) -> list[Claimed]:
        """Claim up to `limit` due messages, for a rate-limited provider only as many as its
        bucket gave tokens for: the rest stay `pending`, untouched, for a later pass."""
        async with self._uow() as uow:
            return await self._claim(uow, limit=limit)

    async def _claim(self, uow: UnitOfWork, *, limit: int) -> list[Claimed]:
        now = self._clock()
        claim = self._claim_statements
        parameters = {
            "claim_now": now,
            "claim_lease_until": now + timedelta(seconds=self.policy.sending_lease_s),
        }
        rows: list[Mapping[str, Any]] = []
        for name in sorted(self._rate_limits):  # one order of bucket locks for every instance
            locked = (
                await uow.session.execute(
                    claim.candidates[name], {**parameters, "claim_wanted": limit}
                )
            ).all()
            if not locked:
                continue  # nothing due for it: its bucket is not touched
            granted = await take_tokens(
                session=uow.session,
                provider=name,
                rate_limit=self._rate_limits[name],
                wanted=len(locked),
            )
            previous = {row.id: row.previous for row in locked[:granted]}
            # The rest are let go at commit, still due, as they were.
            if previous:
                found = (
                    (
                        await uow.session.execute(
                            claim.mark_these, {**parameters, "claim_ids": list(previous)}
                        )
                    )
                    .mappings()
                    .all()
                )
                rows.extend({**row, "previous": previous[row["id"]]} for row in found)
            limit -= len(previous)
        if limit > 0:
            found = await uow.session.execute(
                claim.mark_unlimited, {**parameters, "claim_wanted": limit}
            )
            rows.extend(found.mappings().all())
        return [Claimed(row=dict(row), recovering=row["previous"] == "sending") for row in rows]

    @functools.cached_property
    def _claim_statements(self) -> ClaimStatements:
        """The claim's statements, built once (they depend only on the providers and limits):
        the time, the lease and the batch size are parameters."""
        now = sa.bindparam("claim_now", type_=sa.DateTime(timezone=True))
        primaries = {ch: chain[0].name for ch, chain in self._providers.items() if chain}
        provider = sa.func.coalesce(
            _n.c.provider,
            sa.case(
                *((_n.c.channel == ch, sa.literal(name)) for ch, name in primaries.items()),
                else_=sa.null(),
            )
            if primaries
            else sa.null(),
        )
        due = sa.or_(
            sa.and_(_n.c.status == "pending", _n.c.not_before <= now),
            sa.and_(_n.c.status == "sending", _n.c.lease_until <= now),
        )
        limited = sorted(self._rate_limits)
        unlimited = sa.or_(provider.is_(None), provider.not_in(limited)) if limited else sa.true()
        mark_sending = sa.update(_n).values(
            status="sending",
            lease_until=sa.bindparam("claim_lease_until", type_=sa.DateTime(timezone=True)),
            attempts=_n.c.attempts + 1,
            provider=provider,
        )

        def candidates(of_group: Any) -> Any:
            return (
                sa.select(_n.c.id, _n.c.status.label("previous"))
                .where(due, of_group)
                .order_by(_n.c.not_before)
                .limit(sa.bindparam("claim_wanted", type_=sa.Integer))
                .with_for_update(skip_locked=True)
            )

        due_rows = candidates(unlimited).cte("due")
        return ClaimStatements(
            candidates={name: candidates(provider == name) for name in limited},
            mark_these=mark_sending.where(
                _n.c.id.in_(sa.bindparam("claim_ids", expanding=True))
            ).returning(*_n.c),
            mark_unlimited=mark_sending.where(_n.c.id == due_rows.c.id).returning(
                *_n.c, due_rows.c.previous
            ),
        )

    # --- 2. send -------------------------------------------------------------------------
    async def deliver(self, item: Claimed) -> None:
        """Deliver one claimed message (the batch path, for one)."""
        async with self._uow() as uow:
            prepared = await self._prepare(uow, [item])
        outcome = await self._attempt(item, prepared)
        if outcome is not None:
            await self._record_sent_many([outcome])

    async def _prepare(self, uow: UnitOfWork, items: list[Claimed]) -> Prepared:
        """The residents' preferences and the templates a batch needs."""
        prepared = Prepared()
        rows = await uow.session.execute(
            sa.select(_r).where(_r.c.resident_id.in_({i.row["resident_id"] for i in items}))
        )
        for found in rows.mappings():
            prepared.residents[found["resident_id"]] = residents.to_preferences(found)
        for key in {(i.row["template_name"], i.row["channel"]) for i in items}:
            prepared.templates[key] = await templates.resolve(
                session=uow.session, name=key[0], channel=key[1]
            )
        return prepared

    async def _attempt(self, item: Claimed, prepared: Prepared) -> Outcome | None:
        """Hand one message over; the outcome to record, or None when already dealt with."""
        # What is recorded here (failures, lookups) joins the trace the message was asked for in.
        with within(stored_span_context(item.row)):
            return await self._attempt_traced(item, prepared)

    async def _attempt_traced(self, item: Claimed, prepared: Prepared) -> Outcome | None:
        row = item.row
        provider = self._by_name.get(row["provider"] or "")
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
            message = self._message(row, prefs, content.render(self._personalise(row, prefs)))
        except MissingPersonalisation as exc:
            await self._finish_failed(row, "technical-failure", f"missing placeholder {exc}")
            return None
        if message is None:
            await self._permanent(row, f"no {row['channel']} contact details")
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

    @staticmethod
    def _message(
        row: Mapping[str, Any], prefs: Preferences, rendered: Any
    ) -> OutgoingMessage | None:
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

    # --- 3. record -----------------------------------------------------------------------
    async def _locked(self, uow: UnitOfWork, row: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The row, locked, if it is still ours (still `sending` under our claim)."""
        current = (
            (await uow.session.execute(sa.select(_n).where(_n.c.id == row["id"]).with_for_update()))
            .mappings()
            .first()
        )
        if current is None or current["attempts"] != row["attempts"]:
            return None
        return current

    async def _record_sent_many(self, outcomes: list[Outcome]) -> None:
        """Record a batch's hand-overs: one UPDATE of the rows still ours, one executemany of
        their NotificationSent events."""
        now = self._clock()
        by_id = {outcome.row["id"]: outcome for outcome in outcomes}
        async with self._uow() as uow:
            # Still ours: still `sending` under the claim that handed it over (the attempts
            # match). The UPDATE re-checks that on each row once it holds its lock.
            recorded = (
                (
                    await uow.session.execute(
                        _RECORD_SENT,
                        {
                            "handed_now": now,
                            "handed_ids": list(by_id),
                            "handed_attempts": [o.row["attempts"] for o in by_id.values()],
                            "handed_references": [
                                o.receipt.provider_reference for o in by_id.values()
                            ],
                            "handed_versions": [o.template_version for o in by_id.values()],
                        },
                    )
                )
                .mappings()
                .all()
            )
            ours = [by_id[row["id"]]._replace(row=row) for row in recorded]
            # Each event carries the trace of its own provider call.
            await publish_all(
                uow,
                [(sent_event(o.row, o.receipt, o.template_version), o.span_context) for o in ours],
            )
            for outcome in ours:
                count_sent(uow, outcome.row, accepted_at=outcome.accepted_at or now)

    async def _permanent(self, row: Mapping[str, Any], detail: str) -> None:
        async with self._uow() as uow:
            current = await self._locked(uow, row)
            if current is None or current["status"] != "sending":
                return
            await fall_back(uow, current, detail=detail, now=self._clock())

    async def _temporary(self, row: Mapping[str, Any], detail: str) -> None:
        if row["attempts"] >= self.policy.temporary_failure_max_attempts:
            await self._finish_failed(row, "technical-failure", f"gave up: {detail}")
            return
        chain = [p.name for p in self._providers.get(row["channel"], [])]
        following = (
            chain[(chain.index(row["provider"]) + 1) % len(chain)]
            if row["provider"] in chain
            else None
        )
        delay = self.policy.temporary_failure_backoff_s * 2 ** (row["attempts"] - 1)
        now = self._clock()
        async with self._uow() as uow:
            current = await self._locked(uow, row)
            if current is None or current["status"] != "sending":
                return
            await uow.session.execute(
                sa.update(_n)
                .where(_n.c.id == row["id"])
                .values(
                    status="pending",
                    provider=following,  # failover: the next provider for this channel
                    not_before=now + timedelta(seconds=delay),
                    lease_until=None,
                    detail=detail[:500],
                    history=_n.c.history + _entry(now, "temporary", row, detail),
                )
            )
        self.wake()

    async def _unknown(self, row: Mapping[str, Any], detail: str) -> None:
        """Keep it `sending`: when the (shortened) lease runs out, it is looked up, not resent."""
        now = self._clock()
        delay = min(
            self.policy.sending_lease_s,
            self.policy.temporary_failure_backoff_s * 2 ** (row["attempts"] - 1),
        )
        async with self._uow() as uow:
            current = await self._locked(uow, row)
            if current is None or current["status"] != "sending":
                return
            await uow.session.execute(
                sa.update(_n)
                .where(_n.c.id == row["id"])
                .values(
                    lease_until=now + timedelta(seconds=delay),
                    detail=detail[:500],
                    history=_n.c.history + _entry(now, "unknown", row, detail),
                )
            )

    async def _finish_failed(
        self, row: Mapping[str, Any], failure: str, detail: str, *, cancel: bool = False
    ) -> None:
        async with self._uow() as uow:
            current = await self._locked(uow, row)
            if current is None or current["status"] != "sending":
                return
            await finish_failed(
                uow, current, failure=failure, detail=detail, now=self._clock(), publish=not cancel
            )

    # --- reconciliation ------------------------------------------------------------------
    async def _reconcile(self) -> int:
        """Poll the provider about messages sent long ago with no receipt yet; returns how many
        were found."""
        now = self._clock()
        cutoff = now - timedelta(seconds=self.policy.reconcile_after_s)
        async with self._uow() as uow:
            rows = (
                (
                    await uow.session.execute(
                        sa.select(_n)
                        .where(
                            _n.c.status == "sent",
                            _n.c.sent_at <= cutoff,
                            _n.c.provider_reference.is_not(None),
                        )
                        .order_by(_n.c.sent_at)
                        .limit(self.policy.batch_size)
                    )
                )
                .mappings()
                .all()
            )
        for row in rows:
            provider = self._by_name.get(row["provider"] or "")
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


def _entry(now: datetime, what: str, row: Mapping[str, Any], detail: str) -> Any:
    return sa.cast(
        sa.func.jsonb_build_array(
            sa.func.jsonb_build_object(
                "at",
                now.isoformat(),
                "event",
                what,
                "channel",
                row["channel"],
                "provider",
                row["provider"],
                "detail",
                detail[:300],
            )
        ),
        JSONB,
    )


# --- state changes shared by the dispatcher and the delivery receipts ---------------------------
async def record_sent(
    uow: UnitOfWork,
    current: Mapping[str, Any],
    receipt: ProviderReceipt,
    *,
    template_version: int | None,
    now: datetime,
) -> None:
    if current["status"] != "sending":
        return
    await uow.session.execute(
        sa.update(_n)
        .where(_n.c.id == current["id"])
        .values(
            status="sent",
            sent_at=now,
            lease_until=None,
            provider_reference=receipt.provider_reference,
            template_version=template_version or current["template_version"],
            history=_n.c.history + _entry(now, "sent", current, ""),
        )
    )
    with within(stored_span_context(current)):
        await uow.publish(sent_event(current, receipt, template_version))
    count_sent(uow, current, accepted_at=now)


def count_sent(uow: UnitOfWork, current: Mapping[str, Any], *, accepted_at: datetime) -> None:
    count_after_commit(
        uow.session,
        channel=current["channel"],
        outcome="sent",
        triggered_at=current["triggered_at"] or current["created_at"],
        accepted_at=accepted_at,
    )


def sent_event(
    current: Mapping[str, Any], receipt: ProviderReceipt, template_version: int | None
) -> NotificationSent:
    return NotificationSent(
        source=SOURCE,
        subject=current["subject"],
        notification_id=current["id"],
        resident_id=current["resident_id"],
        channel=current["channel"],
        template_id=current["template_name"],
        template_version=template_version or current["template_version"] or 1,
        provider=current["provider"],
        provider_reference=receipt.provider_reference,
        broadcast_id=current["broadcast_id"],
        caused_by=current["caused_by"],
    )


async def fall_back(
    uow: UnitOfWork, current: Mapping[str, Any], *, detail: str, now: datetime
) -> None:
    """This channel cannot reach the resident: say so, and try their next channel, if any."""
    await uow.publish(
        NotificationFailed(
            source=SOURCE,
            subject=current["subject"],
            notification_id=current["id"],
            resident_id=current["resident_id"],
            channel=current["channel"],
            failure="permanent-failure",
            provider_reference=current["provider_reference"],
            detail=detail[:500],
        )
    )
    prefs = await residents.load(session=uow.session, resident_id=current["resident_id"])
    tried = [*current["tried_channels"], current["channel"]]
    following = next_channel(prefs, tried) if prefs is not None and not prefs.erased else None
    values: dict[str, Any] = {
        "tried_channels": tried,
        "lease_until": None,
        "detail": detail[:500],
        "history": _n.c.history + _entry(now, "permanent", current, detail),
    }
    if following is None:
        values.update(status="permanent-failure", completed_at=now)
    else:
        values.update(
            status="pending",
            channel=following,
            provider=None,
            provider_reference=None,
            sent_at=None,
            not_before=not_before(
                following, now, urgent=current["urgent"], quiet_hours=quiet_hours(uow.session)
            ),
        )
    await uow.session.execute(sa.update(_n).where(_n.c.id == current["id"]).values(**values))
    count_after_commit(
        uow.session,
        channel=current["channel"],
        outcome="failed" if following is None else "fallback",
    )
    if following is not None:
        wake_after_commit(uow.session)


async def finish_failed(
    uow: UnitOfWork,
    current: Mapping[str, Any],
    *,
    failure: str,
    detail: str,
    now: datetime,
    publish: bool = True,
) -> None:
    await uow.session.execute(
        sa.update(_n)
        .where(_n.c.id == current["id"])
        .values(
            status=failure if publish else "cancelled",
            lease_until=None,
            detail=detail[:500],
            completed_at=now,
            history=_n.c.history + _entry(now, failure, current, detail),
        )
    )
    if publish:
        count_after_commit(uow.session, channel=current["channel"], outcome="failed")
        await uow.publish(
            NotificationFailed(
                source=SOURCE,
                subject=current["subject"],
                notification_id=current["id"],
                resident_id=current["resident_id"],
                channel=current["channel"],
                failure=failure,
                provider_reference=current["provider_reference"],
                detail=detail[:500],
            )
        )


FINAL = frozenset(
    {
        "delivered",
        "permanent-failure",
        "temporary-failure",
        "technical-failure",
        "cancelled",
        "suppressed",
    }
)


async def apply_provider_status(
    uow: UnitOfWork,
    *,
    notification_id: uuid.UUID,
    status: str,
    now: datetime,
    provider_reference: str | None = None,
) -> str | None:
    """A provider's word on a message (a receipt or a poll): move its state, announce it.
    Returns the new status, or None when nothing changed."""
    from civic_events.notify import NotificationDelivered

    current = (
        (
            await uow.session.execute(
                sa.select(_n).where(_n.c.id == notification_id).with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if current is None or current["status"] in FINAL or current["status"] == "pending":
        return None
    if current["status"] == "sending":
        # The receipt overtook our own record of the hand-over: the provider has it.
        await record_sent(
            uow,
            current,
            ProviderReceipt(provider_reference or current["provider_reference"]),
            template_version=current["template_version"],
            now=now,
        )
        current = (
            (await uow.session.execute(sa.select(_n).where(_n.c.id == notification_id)))
            .mappings()
            .first()
        )
        assert current is not None
    if status == "delivered":
        await uow.session.execute(
            sa.update(_n)
            .where(_n.c.id == notification_id)
            .values(
                status="delivered",
                completed_at=now,
                history=_n.c.history + _entry(now, "delivered", current, ""),
            )
        )
        await uow.publish(
            NotificationDelivered(
                source=SOURCE,
                subject=current["subject"],
                notification_id=notification_id,
                resident_id=current["resident_id"],
                channel=current["channel"],
                provider_reference=current["provider_reference"],
            )
        )
        count_after_commit(uow.session, channel=current["channel"], outcome="delivered")
        return "delivered"
    if status == "permanent-failure":
        await fall_back(uow, current, detail="the provider reported a permanent failure", now=now)
        return "permanent-failure"
    if status in ("temporary-failure", "technical-failure"):
        await finish_failed(
            uow, current, failure=status, detail=f"the provider reported a {status}", now=now
        )
        return status
    return None  # created, sending, pending, sent: nothing new
