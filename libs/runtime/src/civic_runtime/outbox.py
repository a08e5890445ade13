"""Transactional outbox: events written with the state change, then relayed to Kafka in order per key.

The relay is safe with several instances: only the holder of a PostgreSQL advisory lock publishes,
and it does every read and write on the connection that holds the lock, so an instance that loses
its connection loses the lock and stops publishing at once. Rows are chosen by `published_at IS NULL`
rather than by a moving cursor: an id taken by a transaction that commits late is still found.

Writers of one key are serialised by a transaction-scoped advisory lock on the key, taken before
the key's rows take their ids, so within a key ids follow commit order and the relay's `ORDER BY
id` keeps that order on Kafka. That rule is kept here and nowhere else: every event reaches the
outbox through `stage_many` (a unit of work's `stage` and `stage_many` call it).

No single row stops the rest: an event over `MAX_EVENT_BYTES` is refused when it is encoded
(`outbox_entry`), and a row Kafka refuses for good is moved to its topic's `.dlq` after a few
attempts (`OutboxRelay`), so the rows behind it are published.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from civic_events.base import Event
from civic_events.envelope import KafkaRecord, encode
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from civic_runtime.metrics import RuntimeMetrics
from civic_runtime.producer import DLQ_HEADER_PREFIX, EventProducer, refused_for_good
from civic_runtime.tables import OutboxMessage
from civic_runtime.telemetry import current_trace_headers, redact

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("civic_runtime.outbox")

_RELAY_LOCK_ID = 7_301_000_002
_outbox = OutboxMessage.__table__

MAX_EVENT_BYTES = 512 * 1024
"""The most an event's Kafka record (key, value and headers) may take: half of Kafka's default
limit (`max.message.bytes`, 1 MiB; the broker of scripts/infra keeps it), so a record always
fits with room for the record batch's own overhead."""


class EventTooLarge(ValueError):
    """An event whose record would be over `MAX_EVENT_BYTES`: refused before it is staged, since
    the broker would refuse it and nothing behind it would be published while it waited."""

    def __init__(self, event: Event, size: int) -> None:
        super().__init__(
            f"{event.ce_type} {event.event_id} is {size} bytes encoded; "
            f"an event may take at most {MAX_EVENT_BYTES}"
        )
        self.event = event
        self.size = size
        self.limit = MAX_EVENT_BYTES


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An event encoded for the outbox, its headers carrying the trace context it was encoded in."""

    event: Event
    topic: str
    headers: str  # [[name, value], …] as JSON text
    payload: bytes


def outbox_entry(
    event: Event, trace_headers: Mapping[str, str | None] | None = None
) -> OutboxEntry:
    """`event` encoded with the current trace context (or `trace_headers`, already taken by
    `current_trace_headers()` for events encoded together). Raises `EventTooLarge`: every event
    is encoded here before it is staged, so none over the limit reaches the outbox."""
    record = encode(event, **(current_trace_headers() if trace_headers is None else trace_headers))
    size = len(record.key) + len(record.value) + sum(len(n) + len(v) for n, v in record.headers)
    if size > MAX_EVENT_BYTES:
        raise EventTooLarge(event, size)
    return OutboxEntry(
        event=event,
        topic=record.topic,
        headers=json.dumps([[name, value.decode()] for name, value in record.headers]),
        payload=record.value,
    )


_entries = (
    sa.func.unnest(
        sa.bindparam("outbox_event_id", type_=ARRAY(sa.Uuid)),
        sa.bindparam("outbox_event_type", type_=ARRAY(sa.Text)),
        sa.bindparam("outbox_topic", type_=ARRAY(sa.Text)),
        sa.bindparam("outbox_key", type_=ARRAY(sa.Text)),
        sa.bindparam("outbox_headers", type_=ARRAY(sa.Text)),
        sa.bindparam("outbox_payload", type_=ARRAY(sa.LargeBinary)),
    )
    .table_valued(
        "event_id", "event_type", "topic", "key", "headers", "payload", with_ordinality="position"
    )
    .render_derived(name="staged")
)
_keys = (
    sa.func.unnest(sa.bindparam("outbox_key", type_=ARRAY(sa.Text)))
    .table_valued("key")
    .render_derived(name="staged_keys")
)
_lock_ids = (
    sa.select(sa.func.hashtextextended(_keys.c.key, 0).label("lock_id"))
    .distinct()
    .order_by("lock_id")
    .subquery("lock_ids")
)
# Every key's lock, one by one in the order of the lock ids, so that two transactions staging some
# of the same keys cannot deadlock. An uncorrelated sub-select in the WHERE clause runs once, before
# the first row (and its id from the sequence) is written.
_KEYS_LOCKED = sa.select(
    sa.func.count(sa.func.pg_advisory_xact_lock(_lock_ids.c.lock_id))
).scalar_subquery()
_COLUMNS = ("event_id", "event_type", "topic", "key", "headers", "payload")
STAGE_MANY = sa.insert(_outbox).from_select(
    list(_COLUMNS),
    sa.select(
        *(
            sa.cast(_entries.c.headers, _outbox.c.headers.type)
            if name == "headers"
            else _entries.c[name]
            for name in _COLUMNS
        )
    )
    .where(_KEYS_LOCKED >= 0)
    .order_by(_entries.c.position),
)
"""Stages the outbox entries in the order given (see `stage_many`). Extend it with data-modifying
CTEs (`STAGE_MANY.add_cte(...)`) to write the rows the events announce in the same statement."""


async def stage_many(
    db: AsyncSession | AsyncConnection,
    entries: Sequence[OutboxEntry],
    *,
    statement: sa.Insert = STAGE_MANY,
    params: Mapping[str, Any] | None = None,
) -> None:
    """Stage `entries` in the caller's transaction, in this order, in one statement: published
    only if that transaction commits, each key's in the order staged. `statement`: STAGE_MANY, or
    STAGE_MANY with data-modifying CTEs whose values are in `params`."""
    if not entries and statement is STAGE_MANY:
        return
    await db.execute(statement, {**(params or {}), **stage_params(entries)})


def stage_params(entries: Sequence[OutboxEntry]) -> dict[str, Any]:
    """STAGE_MANY's parameters for `entries` (for a caller executing it on its own connection)."""
    return {
        "outbox_event_id": [entry.event.event_id for entry in entries],
        "outbox_event_type": [entry.event.ce_type for entry in entries],
        "outbox_topic": [entry.topic for entry in entries],
        "outbox_key": [entry.event.key for entry in entries],
        "outbox_headers": [entry.headers for entry in entries],
        "outbox_payload": [entry.payload for entry in entries],
    }


# The relay's statements, built once (building and cache-keying them on every pass cost more
# than their execution's Python side).
_UNPUBLISHED = (
    sa.select(
        _outbox.c.id,
        _outbox.c.topic,
        _outbox.c.key,
        _outbox.c.headers,
        _outbox.c.payload,
        _outbox.c.created_at,
    )
    .where(_outbox.c.published_at.is_(None))
    .order_by(_outbox.c.id)
    .limit(sa.bindparam("relay_batch_size", type_=sa.Integer))
)
# The ids as one array parameter: an expanding IN list is rendered anew for every pass, a
# parameter per id (500 of them), which cost more than the UPDATE's Python side otherwise.
_MARK_PUBLISHED = (
    sa.update(_outbox)
    .where(_outbox.c.id == sa.any_(sa.bindparam("relay_ids", type_=ARRAY(sa.BigInteger))))
    .values(published_at=sa.func.now())
)


class OutboxRelay:
    def __init__(
        self,
        *,
        database_url: str,
        producer: EventProducer,
        metrics: RuntimeMetrics,
        poll_interval_s: float = 0.025,
        batch_size: int = 500,
        retention_hours: int = 168,
        standby_interval_s: float = 1.0,
        topic_prefix: str = "",
        attempts_before_dead_letter: int = 3,
    ) -> None:
        self._topic_prefix = topic_prefix
        self._attempts_before_dead_letter = attempts_before_dead_letter
        # Row id -> times Kafka refused it for good. Kept by the leader: a new leader counts
        # afresh, which costs a refused row a few more attempts, never its place.
        self._refusals: dict[int, int] = {}
        self._database_url = database_url
        self._producer = producer
        self._metrics = metrics
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._retention_hours = retention_hours
        self._standby_interval_s = standby_interval_s
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._engine: AsyncEngine | None = None
        self.is_leader = False

    def wake(self) -> None:
        """Called after a local commit that wrote to the outbox: publish now rather than at next poll."""
        self._wakeup.set()

    def start(self) -> None:
        # A dedicated engine without a pool: closing the connection really ends the session,
        # which releases the advisory lock even if we never get to unlock it. Autocommit: every
        # statement of the relay stands alone (the lock is the session's), so none needs a
        # BEGIN and a COMMIT of its own: two round trips a pass instead of six.
        self._engine = create_async_engine(
            self._database_url,
            poolclass=sa.pool.NullPool,
            hide_parameters=True,
            isolation_level="AUTOCOMMIT",
            # The relay's reads of unpublished rows must walk the partial index in id order and
            # stop at the batch's end. Offered a bitmap scan, the planner takes it whenever its
            # statistics show few unpublished rows; but a bitmap scan visits every entry the
            # index still holds for rows published since the last vacuum (an UPDATE leaves the
            # old one), so under a backlog each pass cost more than the last (24,000 such rows:
            # 1 ms for an empty answer, against 0.05 ms). A plain index scan marks those entries
            # dead as it passes, and the next pass skips them.
            connect_args={"server_settings": {"enable_bitmapscan": "off"}},
        )
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Publish what is already committed, then release leadership."""
        self._stopping.set()
        self._wakeup.set()
        if self._task is not None:
            await self._task
        if self._engine is not None:
            await self._engine.dispose()

    async def _run(self) -> None:
        assert self._engine is not None
        while not self._stopping.is_set():
            try:
                async with self._engine.connect() as connection:
                    if await self._try_lead(connection):
                        await self._lead(connection)
            except Exception:
                logger.exception("outbox relay failed; retrying")
            finally:
                self._set_leader(False)
            if not self._stopping.is_set():
                await self._sleep(self._standby_interval_s)

    async def _try_lead(self, connection: AsyncConnection) -> bool:
        with suppress_instrumentation():
            got = await connection.scalar(
                sa.text("SELECT pg_try_advisory_lock(:id)"), {"id": _RELAY_LOCK_ID}
            )
            await connection.commit()
        self._set_leader(bool(got))
        if not got:
            # Another instance publishes and reports the age; a stale figure here would mislead.
            self._metrics.outbox_oldest_age.set(0)
        return bool(got)

    async def _lead(self, connection: AsyncConnection) -> None:
        last_housekeeping = float("-inf")
        loop = asyncio.get_running_loop()
        while True:
            published = await self.publish_batch(connection)
            if loop.time() - last_housekeeping > 300:
                await self._housekeeping(connection)
                last_housekeeping = loop.time()
            if published >= self._batch_size:
                continue
            if self._stopping.is_set():
                break
            await self._sleep(self._poll_interval_s)
        with suppress_instrumentation():
            await connection.execute(
                sa.text("SELECT pg_advisory_unlock(:id)"), {"id": _RELAY_LOCK_ID}
            )
            await connection.commit()

    async def publish_batch(self, connection: AsyncConnection) -> int:
        with suppress_instrumentation():
            rows = (
                await connection.execute(_UNPUBLISHED, {"relay_batch_size": self._batch_size})
            ).all()
            await connection.commit()
        self._metrics.outbox_pending.set(len(rows))
        if not rows:
            self._metrics.outbox_oldest_age.set(0)
            return 0
        # Set before publishing: while Kafka refuses, every retry of this poll shows the age grow.
        oldest = min(row.created_at for row in rows)
        self._metrics.outbox_oldest_age.set(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))
        records = [self._record(row) for row in rows]
        outcomes = await self._producer.send_each(records)
        # Kafka refuses a whole batch for one record over its limit: each refused record is sent
        # again alone, so that only a record refused on its own counts towards its dead letter.
        for index, error in enumerate(outcomes):
            if error is not None and refused_for_good(error):
                (outcomes[index],) = await self._producer.send_each([records[index]])
        now = datetime.now(UTC)
        published = [row for row, error in zip(rows, outcomes, strict=True) if error is None]
        refused = [
            (row, record, error)
            for row, record, error in zip(rows, records, outcomes, strict=True)
            if error is not None and refused_for_good(error)
        ]
        dead = [(row, record, error) for row, record, error in refused if self._refused(row.id)]
        # Acknowledged records are marked even when others failed: sent again, they would be
        # duplicates on Kafka.
        await self._dead_letter([(record, row, error) for row, record, error in dead])
        done = [row.id for row in published] + [row.id for row, _, _ in dead]
        if done:
            await connection.execute(_MARK_PUBLISHED, {"relay_ids": done})
            await connection.commit()
        for row_id in done:
            self._refusals.pop(row_id, None)
        for topic, count in Counter(row.topic for row in published).items():
            self._metrics.outbox_published.labels(topic).inc(count)
        for row in published:
            self._metrics.outbox_delay.observe(max(0.0, (now - row.created_at).total_seconds()))
        failure = next(
            (error for error in outcomes if error is not None and not refused_for_good(error)),
            None,
        )
        if failure is not None:  # Kafka is unwell, not the record: the relay backs off and retries
            raise failure
        return len(done)

    def _refused(self, row_id: int) -> bool:
        """Count a refusal of the row; whether it has now been refused often enough to move aside."""
        self._refusals[row_id] = self._refusals.get(row_id, 0) + 1
        return self._refusals[row_id] >= self._attempts_before_dead_letter

    async def _dead_letter(self, refused: Sequence[tuple[KafkaRecord, Any, BaseException]]) -> None:
        """Move refused records to their topic's `.dlq` with the reason, so the rows behind them
        are published. A payload too large for any topic is left out of the dead letter; its row
        stays in the outbox, marked published, until the retention deletes it (`dlq-outbox-id`)."""
        if not refused:
            return
        letters = []
        for record, row, error in refused:
            size = len(record.value)
            headers = [
                *((name, value) for name, value in record.headers),
                *(
                    (f"{DLQ_HEADER_PREFIX}{name}", str(value).encode())
                    for name, value in {
                        "reason": "refused_by_kafka",
                        "error": redact(f"{type(error).__name__}: {error}")[:1000],
                        "original-topic": record.topic,
                        "attempts": self._refusals.get(row.id, 0),
                        "outbox-id": row.id,
                        "failed-at": datetime.now(UTC).isoformat(),
                        **({"payload-omitted": size} if size > MAX_EVENT_BYTES else {}),
                    }.items()
                ),
            ]
            letters.append(
                KafkaRecord(
                    topic=f"{record.topic}.dlq",
                    key=record.key,
                    value=record.value if size <= MAX_EVENT_BYTES else b"",
                    headers=headers,
                )
            )
            logger.error(
                "outbox row %s (%s) refused by Kafka %d times, moved to %s.dlq: %s",
                row.id,
                row.topic,
                self._refusals.get(row.id, 0),
                record.topic,
                type(error).__name__,
                extra={"case_reference": row.key},
            )
        await self._producer.send_many(letters)
        for _, row, _ in refused:
            self._metrics.outbox_dead_lettered.labels(row.topic).inc()

    def _record(self, row: Any) -> KafkaRecord:
        stored = {name: value for name, value in row.headers}
        # The publish span joins the trace of the transaction that wrote the event, and the
        # record carries it to its consumers. Started and ended here, never made current: that
        # cost as much again, for a span with no children in this process.
        span = tracer.start_span(
            f"{row.topic} publish",
            context=propagate.extract(stored),
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": row.topic},
        )
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(span))
        span.end()
        headers = {**stored, **carrier}
        return KafkaRecord(
            topic=self._topic_prefix + row.topic,
            key=row.key.encode(),
            value=row.payload,
            headers=[(name, value.encode()) for name, value in headers.items()],
        )

    async def _housekeeping(self, connection: AsyncConnection) -> None:
        with suppress_instrumentation():
            await connection.execute(
                sa.text(
                    "DELETE FROM outbox WHERE published_at < now() - make_interval(hours => :hours)"
                ),
                {"hours": self._retention_hours},
            )
            await connection.commit()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()

    def _set_leader(self, leader: bool) -> None:
        self.is_leader = leader
        self._metrics.outbox_leader.set(1 if leader else 0)
