"""The dispatcher: the background loop that hands due notifications to their providers.

Each instance runs one. A pass claims a batch (adapters/claims.py) and reads what its messages
need in the same transaction, then delivers it (service_layer/delivery.py) concurrently, with at
most `concurrency` provider calls at once and up to four batches in flight. It is woken in-process
as soon as a transaction that made a message due commits, with a poll as the backstop for the
other instances' rows. A message due at once is claimed by the transaction that creates it (the
consumer's) and handed over as that transaction commits: no claim transaction of its own, no wait
for the next pass. Hand-overs made moments apart are recorded by one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from civic_runtime.uow import UnitOfWork
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.claims import Claimed, Claims
from notify.adapters.providers.base import DeliveryProvider
from notify.adapters.providers.rate_limit import RateLimit
from notify.domain.preferences import Preferences
from notify.service_layer.delivery import Delivery, DispatchPolicy, Outcome, Prepared, prepare

logger = logging.getLogger(__name__)
# In a session's info: the messages its transaction claimed as it created them.
_CLAIMED_AT_CREATION = "notify_claimed_at_creation"
_LISTENING = "notify_hand_over_listening"
# Claimed messages an instance may hold between claim and record: the claim passes' own bound
# (4 batches in flight). Past it, new messages wait `pending` for a claim pass, so that none
# waits for a sending slot anywhere near as long as its lease.
MAX_BATCHES_IN_FLIGHT = 4


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
        policy = policy or DispatchPolicy()
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._batches = asyncio.Semaphore(MAX_BATCHES_IN_FLIGHT)
        self._claims = Claims(
            primaries={ch: chain[0].name for ch, chain in providers.items() if chain},
            rate_limits=rate_limits or {},
        )
        self._delivery = Delivery(
            unit_of_work=unit_of_work,
            providers=providers,
            policy=policy,
            clock=clock,
            sending_slots=asyncio.Semaphore(policy.concurrency),
            wake=self.wake,
        )
        self._by_name = self._delivery.by_name
        self._stopping = False
        # Messages of this instance between claim and record, each with what its record sets.
        self._recording: dict[uuid.UUID, asyncio.Event] = {}
        # Hand-overs waiting to be recorded together, each group with what its batch awaits.
        self._to_record: list[tuple[list[Outcome], asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None

    @property
    def policy(self) -> DispatchPolicy:
        return self._delivery.policy

    @policy.setter
    def policy(self, policy: DispatchPolicy) -> None:
        self._delivery.policy = policy

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
                    and await self._delivery.reconcile() < self.policy.batch_size
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
                prepared = await prepare(uow.session, claimed) if claimed else Prepared()
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

    async def deliver(self, item: Claimed) -> None:
        """Deliver one claimed message (the batch path, for one)."""
        await self._delivery.deliver(item)

    async def _deliver_batch(self, items: list[Claimed], prepared: Prepared) -> None:
        """Send a batch concurrently; record the hand-overs in one transaction."""
        try:
            results = await asyncio.gather(
                *(self._delivery.attempt(item, prepared) for item in items),
                return_exceptions=True,
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
                await self._delivery.record_sent_many(
                    [o for outcomes, _ in waiting for o in outcomes]
                )
            except Exception as exc:
                for _, recorded in waiting:
                    recorded.set_exception(exc)
            else:
                for _, recorded in waiting:
                    recorded.set_result(None)

    # --- claims --------------------------------------------------------------------------
    async def claim_at_creation(self, session: AsyncSession, values: dict[str, Any]) -> None:
        """In the transaction creating a message due now (`values`, its row): claim it there, as
        a claim pass would: `sending`, with its lease and its channel's first provider, and a
        token from that provider's bucket if it is rate-limited. Left `pending`, for a claim
        pass, when the bucket has no token, this instance holds as many claimed messages as it
        may, or it is stopping. (If the row then turns out to exist already, the event having
        been delivered twice, its token is spent for nothing: rare, and only a token.)"""
        provider = self._claims.primary(values["channel"])
        held = len(self._recording) + len(session.info.get(_CLAIMED_AT_CREATION, ((),))[0])
        if (
            provider is None
            or self._stopping
            or held >= MAX_BATCHES_IN_FLIGHT * self.policy.batch_size
        ):
            return
        if not await self._claims.take_token(session, provider=provider):
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
        await prepared.add(session, row, prefs)
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
        return await self._claims.claim(
            uow.session,
            now=now,
            lease_until=now + timedelta(seconds=self.policy.sending_lease_s),
            limit=limit,
        )
