"""At-least-once consumers: idempotent inbox, bounded retries with backoff, dead-letter topics.

A service declares each handler with `EventHandlers.on(EventType, name="...")`: the handler takes
that event type, and the name is its identity in the inbox, so it must never change once the
handler has run anywhere (inbox rows already written carry it). The runtime subscribes one
FastStream subscriber for all the service's topics and, for each record:

1. decodes the CloudEvent; a record that cannot be decoded goes straight to the topic's `.dlq`;
2. in one database transaction, records the event id in the inbox and runs the handler (a
   redelivered event finds its id there and has no second effect);
3. retries a failing handler with exponential backoff, a bounded number of times, then dead-letters
   it; an outage (database or Kafka unreachable) is retried without limit instead, since nothing
   else could be processed either;
4. commits the record's offset only after its transaction has committed (or it is on the `.dlq`),
   coalescing commits (see `offsets`).

With a batch size N > 1 (`consumer_batch_size`), the subscriber takes up to N records at a time
and applies them in ONE transaction: an inbox row per record, each handler in order on the same
session (records of a partition in offset order), one commit, then the offsets. If anything in the
batch fails, the transaction is rolled back and each half of the batch is applied the same way, in
order, down to the record that fails: a batch of one that fails takes the one-record path above,
so retries, outages and dead letters behave exactly as with N = 1.

Handlers see one path either way. In a batch, the rows they hand to `uow.write` are written
together at the batch's end (`writes.DeferredWriter`; applied alone, at once), and what a
service registers with `EventHandlers.prepare` is read once for the transaction's events, batch
or single record, before the first handler (`uow.prepared`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from civic_events.base import Event
from civic_events.envelope import KafkaRecord, PoisonMessage, decode, header
from civic_events.topics import Topic
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from opentelemetry import propagate, trace
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civic_runtime.lag import ConsumerLagMonitor
from civic_runtime.metrics import RuntimeMetrics
from civic_runtime.offsets import OffsetCommitter
from civic_runtime.producer import DLQ_HEADER_PREFIX, EventProducer
from civic_runtime.tables import InboxEntry
from civic_runtime.telemetry import case_reference, redact
from civic_runtime.uow import Preparation, UnitOfWork
from civic_runtime.writes import DeferredWriter

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
P = TypeVar("P")
Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
Outcome = Literal["applied", "duplicate", "ignored", "dead_lettered"]

_inbox = InboxEntry.__table__
# A batch's inbox rows: one statement built once and given a list of rows (SQLAlchemy sends them
# as multi-row INSERTs, "insertmanyvalues"), so it is compiled once, not for every batch.
_CLAIM_MANY = insert(_inbox).on_conflict_do_nothing().returning(_inbox.c.handler, _inbox.c.event_id)
# How long a batch subscriber waits for records before polling again (FastStream then sleeps as
# long again when none came): the latency an idle consumer adds to the first record it sees.
BATCH_POLL_TIMEOUT_MS = 50
# How long the broker may hold a fetch that finds no records (Kafka's default is 500 ms). The one
# consumer fetches every subscribed partition from the broker at once, but leaves out those with
# records it has fetched and not yet handed over, and sends no second fetch while one is in
# flight: so when the busy partitions' records wait for a busy event loop, the next fetch asks
# only for idle ones, and the broker holds it this long while new records arrive on the busy
# ones. At 500 ms that stall became a cycle (notify at 100 events/s: consumed in bursts every
# ~0.6 s, p99 ~1 s); the cost of less is an empty fetch this often per idle consumer.
FETCH_MAX_WAIT_MS = 100
_tracer = trace.get_tracer(__name__)


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help: the record goes to `.dlq` at once."""


@dataclass(frozen=True)
class Registration:
    event_type: type[Event]
    handler: Handler
    # The handler's key in the inbox, with the event id: given, not derived from the function, so
    # that renaming or moving the function does not make applied events look new.
    name: str


class EventHandlers:
    """The handlers of one service, by topic and event type."""

    def __init__(self) -> None:
        self._by_topic: dict[str, dict[str, Registration]] = {}
        self._topics: dict[str, Topic] = {}
        self._preparations: list[Preparation[Any]] = []

    def on(
        self, event_type: type[E], *, name: str
    ) -> Callable[[Callable[[E, UnitOfWork], Awaitable[None]]], Any]:
        """Register the decorated function as the handler of `event_type`, known to the inbox as
        `name`: a name of its own in the service, kept for good once the handler has run."""
        if not name:
            raise ValueError("a handler needs a name")

        def register(handler: Callable[[E, UnitOfWork], Awaitable[None]]) -> Any:
            topic = event_type.topic
            registrations = self._by_topic.setdefault(topic.name, {})
            if event_type.ce_type in registrations:
                raise ValueError(f"{event_type.ce_type} already has a handler")
            # Two handlers under one name would share inbox rows: one's applied events would
            # look applied to the other.
            if any(r.name == name for r in self.registrations):
                raise ValueError(f"a handler is already named {name!r}")
            registrations[event_type.ce_type] = Registration(event_type, handler, name)
            self._topics[topic.name] = topic
            return handler

        return register

    def prepare(
        self, read: Callable[[Sequence[Event], UnitOfWork], Awaitable[P]]
    ) -> Preparation[P]:
        """Call `read` in every transaction of events, before its first handler, with the events
        about to be applied (in order; duplicates left out): a batch's, or the one record applied
        alone. Handlers find what it returned in `uow.prepared(<the Preparation returned here>)`."""
        preparation = Preparation(read)
        self._preparations.append(preparation)
        return preparation

    @property
    def preparations(self) -> tuple[Preparation[Any], ...]:
        return tuple(self._preparations)

    @property
    def registrations(self) -> list[Registration]:
        return [r for by_type in self._by_topic.values() for r in by_type.values()]

    @property
    def topics(self) -> list[Topic]:
        return list(self._topics.values())

    def lookup(self, topic: str, ce_type: str) -> Registration | None:
        return self._by_topic.get(topic, {}).get(ce_type)

    def event_types(self, topic: str) -> list[type[Event]]:
        return [registration.event_type for registration in self._by_topic.get(topic, {}).values()]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_backoff_s: float = 0.1
    max_backoff_s: float = 5.0
    outage_max_backoff_s: float = 10.0

    def backoff(self, attempt: int, *, outage: bool = False) -> float:
        ceiling = self.outage_max_backoff_s if outage else self.max_backoff_s
        delay = min(self.initial_backoff_s * 2 ** (attempt - 1), ceiling)
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security


def is_outage(exc: BaseException) -> bool:
    """True when the failure is the database or Kafka being unreachable, not the handler's fault."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sa.exc.DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(
            seen,
            OSError
            | sa.exc.InterfaceError
            | sa.exc.DisconnectionError
            | sa.exc.TimeoutError
            | KafkaConnectionError
            | KafkaTimeoutError,
        ):
            return True
        if type(seen).__name__ in {"ConnectionDoesNotExistError", "CannotConnectNowError"}:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True)
class _Decoded:
    """A record of a batch that decoded and has a handler: it goes into the batch's transaction."""

    record: Any
    event: Event
    registration: Registration


@dataclass(frozen=True)
class ConsumedRecord:
    """What the processor needs of a Kafka record (aiokafka's ConsumerRecord has these fields)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


class EventProcessor:
    def __init__(
        self,
        *,
        handlers: EventHandlers,
        session_factory: async_sessionmaker[AsyncSession],
        producer: EventProducer,
        metrics: RuntimeMetrics,
        group_id: str,
        retry: RetryPolicy,
        on_commit: Callable[[], None] | None = None,
        topic_prefix: str = "",
        commit_interval_s: float = 0.1,
        lag_interval_s: float = 5.0,
        batch_size: int = 1,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._batch_size = batch_size
        self._topic_prefix = topic_prefix
        self.offsets = OffsetCommitter(interval_s=commit_interval_s)
        self._subscriber: Any = None
        self._subscribed: list[str] = []
        self.lag = ConsumerLagMonitor(
            metrics=metrics,
            topics=lambda: self._subscribed,
            consumer=lambda: getattr(self._subscriber, "consumer", None),
            interval_s=lag_interval_s,
        )
        self._handlers = handlers
        self._session_factory = session_factory
        self._producer = producer
        self._metrics = metrics
        self._group_id = group_id
        self._retry = retry
        self._on_commit = on_commit

    def subscribe(
        self, broker: KafkaBroker, *, auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    ) -> None:
        """One subscriber, so one consumer and one group member, for all the service's topics.

        A consumer per topic in the same group would make every start a series of rebalances.
        """
        topics = self._handlers.topics
        if not topics:
            return
        handled = "; ".join(
            f"{topic.name}: "
            + ", ".join(t.__name__ for t in self._handlers.event_types(topic.name))
            for topic in topics
        )
        self._subscribed = [self._topic_prefix + topic.name for topic in topics]
        options: dict[str, Any] = {
            "group_id": self._group_id,
            "ack_policy": AckPolicy.MANUAL,
            "auto_offset_reset": auto_offset_reset,
            "decoder": _raw_body,
            "fetch_max_wait_ms": FETCH_MAX_WAIT_MS,
            "title": f"{self._group_id}",
            "description": f"Handles {handled}. Poison and exhausted records go to <topic>.dlq.",
        }
        if self._batch_size > 1:
            subscriber = broker.subscriber(
                *self._subscribed,
                batch=True,
                max_records=self._batch_size,
                batch_timeout_ms=BATCH_POLL_TIMEOUT_MS,
                **options,
            )
            subscriber(self._faststream_batch_handler)
        else:
            subscriber = broker.subscriber(*self._subscribed, **options)
            subscriber(self._faststream_handler)
        self._subscriber = subscriber

    async def _faststream_handler(self, message: KafkaMessage) -> None:
        record = message.raw_message
        assert not isinstance(record, tuple)
        await self.process(record)
        await self.offsets.done(message.consumer, record)

    async def _faststream_batch_handler(self, message: KafkaMessage) -> None:
        records = message.raw_message
        assert isinstance(records, tuple)
        if not records:
            return
        await self.process_batch(records)
        # Only after the batch's transaction (or its records' own) has committed.
        last: dict[tuple[str, int], Any] = {}
        for record in records:
            last[(record.topic, record.partition)] = record
        for record in last.values():
            await self.offsets.done(message.consumer, record)

    async def process(self, record: Any) -> Outcome:
        """Apply one record. Never raises, except when cancelled (then nothing was committed)."""
        decoded = await self._decode(record)
        if not isinstance(decoded, _Decoded):
            return decoded
        return await self._process_decoded(decoded)

    async def process_batch(self, records: Sequence[Any]) -> list[Outcome]:
        """Apply `records` in one transaction; on any failure, roll it back and apply them in
        halves (`_apply_or_split`).

        Never raises, except when cancelled (then nothing was committed). Returns each record's
        outcome, in the order given.
        """
        outcomes: dict[int, Outcome] = {}
        batch: list[tuple[int, _Decoded]] = []
        for index, record in enumerate(records):
            decoded = await self._decode(record)
            if isinstance(decoded, _Decoded):
                batch.append((index, decoded))
            else:
                outcomes[index] = decoded
        if batch:
            await self._apply_or_split(batch, outcomes)
        return [outcomes[index] for index in range(len(records))]

    async def _apply_or_split(
        self, batch: Sequence[tuple[int, _Decoded]], outcomes: dict[int, Outcome]
    ) -> None:
        """Apply `batch` in one transaction; if that fails, each half in turn the same way, down
        to the record that fails, which takes the one-record path (retries, dead letter).

        The halves keep the records' order, so a partition's records are still applied in offset
        order; and a record that fails costs about two batches' work, not one transaction for
        each of its neighbours."""
        try:
            applied = await self._apply_batch([decoded for _, decoded in batch])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if len(batch) == 1:
                ((index, decoded),) = batch
                with _record_span(decoded.record):
                    outcomes[index] = await self._process_decoded(decoded)
                return
            logger.warning(
                "a batch of %d record(s) failed and was rolled back; applying it in halves: %s: %s",
                len(batch),
                type(exc).__name__,
                exc,
            )
            middle = len(batch) // 2
            await self._apply_or_split(batch[:middle], outcomes)
            await self._apply_or_split(batch[middle:], outcomes)
        else:
            for (index, decoded), outcome in zip(batch, applied, strict=True):
                self._count(decoded.record.topic, decoded.event.ce_type, outcome)
                outcomes[index] = outcome

    async def _decode(self, record: Any) -> _Decoded | Outcome:
        """The record's event and handler; or, when it has none, its outcome (poison dead-lettered)."""
        try:
            event = decode(record.headers, record.value)
        except PoisonMessage as exc:
            await self._dead_letter(record, reason=exc.reason, error=str(exc), attempts=0)
            self._count(record.topic, header(record.headers, "ce_type"), "dead_lettered")
            return "dead_lettered"
        registration = self._handlers.lookup(
            record.topic.removeprefix(self._topic_prefix), event.ce_type
        )
        if registration is None:
            self._count(record.topic, event.ce_type, "ignored")
            return "ignored"
        return _Decoded(record, event, registration)

    async def _process_decoded(self, decoded: _Decoded) -> Outcome:
        record, event, registration = decoded.record, decoded.event, decoded.registration
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._metrics.handler_seconds.labels(record.topic).time():
                    outcome = await self._apply(registration, event, record)
                self._count(record.topic, event.ce_type, outcome)
                return outcome
            except asyncio.CancelledError:
                raise
            except PermanentError as exc:
                return await self._give_up(record, event, "rejected", exc, attempt)
            except Exception as exc:
                if is_outage(exc):
                    attempt -= 1
                    self._metrics.retries.labels(record.topic, "outage").inc()
                    logger.warning("outage while applying %s; waiting: %s", event.ce_type, exc)
                    await asyncio.sleep(self._retry.backoff(min(attempt + 1, 10), outage=True))
                    continue
                if attempt >= self._retry.max_attempts:
                    return await self._give_up(record, event, "retries_exhausted", exc, attempt)
                self._metrics.retries.labels(record.topic, "error").inc()
                logger.warning(
                    "handler %s failed (attempt %d of %d): %s",
                    registration.name,
                    attempt,
                    self._retry.max_attempts,
                    exc,
                )
                await asyncio.sleep(self._retry.backoff(attempt))

    async def _apply(self, registration: Registration, event: Event, record: Any) -> Outcome:
        token = case_reference.set(event.subject)
        try:
            async with self._session_factory() as session, session.begin():
                claimed = await session.execute(
                    insert(_inbox)
                    .values(
                        handler=registration.name,
                        event_id=event.event_id,
                        event_type=event.ce_type,
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                    )
                    .on_conflict_do_nothing()
                    .returning(_inbox.c.event_id)
                )
                if claimed.first() is None:
                    return "duplicate"
                uow = UnitOfWork(session, prepared=await self._prepare([event], session))
                await registration.handler(event, uow)
            if uow.published and self._on_commit is not None:
                self._on_commit()
            return "applied"
        finally:
            case_reference.reset(token)

    async def _prepare(
        self, events: Sequence[Event], session: AsyncSession
    ) -> dict[Preparation[Any], Any]:
        """What the service's preparations read for a transaction's fresh `events`."""
        uow = UnitOfWork(session)
        return {p: await p.read(events, uow) for p in self._handlers.preparations}

    async def _apply_batch(self, batch: Sequence[_Decoded]) -> list[Outcome]:
        """One transaction: claim every record's inbox row in one statement, then run the handlers
        in order on the same session, their rows written together at the end (`DeferredWriter`).
        Raises (having rolled back) if anything fails."""
        published = False
        outcomes: list[Outcome] = []
        async with self._session_factory() as session, session.begin():
            claimed_rows = await session.execute(
                _CLAIM_MANY,
                [
                    {
                        "handler": item.registration.name,
                        "event_id": item.event.event_id,
                        "event_type": item.event.ce_type,
                        "topic": item.record.topic,
                        "partition": item.record.partition,
                        "offset": item.record.offset,
                    }
                    for item in batch
                ],
            )
            claimed = {(row.handler, row.event_id) for row in claimed_rows}
            fresh: list[_Decoded] = []
            for item in batch:
                key = (item.registration.name, item.event.event_id)
                if key in claimed:
                    fresh.append(item)
                    outcomes.append("applied")  # if the transaction commits; else it raises
                else:
                    outcomes.append("duplicate")
                claimed.discard(key)  # a second copy within this batch is a duplicate
            prepared = await self._prepare([item.event for item in fresh], session)
            with DeferredWriter(session) as writer:
                for item in fresh:
                    # A unit of work per record on the shared session: what a handler sees in
                    # `uow.published` is its own events, as with one record per transaction.
                    uow = UnitOfWork(session, writer=writer, prepared=prepared)
                    token = case_reference.set(item.event.subject)
                    try:
                        with (
                            _record_span(item.record),
                            self._metrics.handler_seconds.labels(item.record.topic).time(),
                        ):
                            await item.registration.handler(item.event, uow)
                    finally:
                        case_reference.reset(token)
                    published = published or bool(uow.published)
                await writer.flush()
        if published and self._on_commit is not None:
            self._on_commit()
        return outcomes

    async def _give_up(
        self, record: Any, event: Event, reason: str, exc: Exception, attempts: int
    ) -> Outcome:
        logger.error("dead-lettering %s after %d attempt(s): %s", event.ce_type, attempts, exc)
        await self._dead_letter(
            record, reason=reason, error=f"{type(exc).__name__}: {exc}", attempts=attempts
        )
        self._count(record.topic, event.ce_type, "dead_lettered")
        return "dead_lettered"

    async def _dead_letter(self, record: Any, *, reason: str, error: str, attempts: int) -> None:
        headers = [
            (name, value if isinstance(value, bytes) else str(value).encode())
            for name, value in (record.headers or [])
            if not name.startswith(DLQ_HEADER_PREFIX)
        ]
        headers += [
            (f"{DLQ_HEADER_PREFIX}{name}", str(value).encode())
            for name, value in {
                "reason": reason,
                "error": redact(error)[:1000],
                "original-topic": record.topic,
                "original-partition": record.partition,
                "original-offset": record.offset,
                "attempts": attempts,
                "consumer-group": self._group_id,
                "failed-at": datetime.now(UTC).isoformat(),
            }.items()
        ]
        dead_letter = KafkaRecord(
            topic=f"{record.topic}.dlq",
            key=record.key or b"",
            value=record.value or b"",
            headers=headers,
        )
        outage_attempt = 0
        while True:
            try:
                await self._producer.send(dead_letter)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                outage_attempt += 1
                logger.warning("could not dead-letter to %s; retrying: %s", dead_letter.topic, exc)
                await asyncio.sleep(self._retry.backoff(min(outage_attempt, 10), outage=True))

    def _count(self, topic: str, event_type: str | None, outcome: Outcome) -> None:
        self._metrics.consumed.labels(topic, event_type or "unknown", outcome).inc()


@contextmanager
def _record_span(record: Any) -> Iterator[None]:
    """A span continuing the record's own trace (its `traceparent`), linked to the batch's span.

    FastStream's telemetry middleware makes one span per batch, in a trace of its own: without
    this, a handler in batch mode would not join the trace of the submission it continues.
    """
    fields = propagate.get_global_textmap().fields  # of all the headers, the trace context's
    carrier = {
        name: value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        for name, value in (record.headers or [])
        if name in fields
    }
    batch_span = trace.get_current_span().get_span_context()
    links = [trace.Link(batch_span)] if batch_span.is_valid else None
    with _tracer.start_as_current_span(
        f"{record.topic} process",
        context=propagate.extract(carrier),
        kind=trace.SpanKind.CONSUMER,
        links=links,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.kafka.destination.partition": record.partition,
            "messaging.kafka.message.offset": record.offset,
        },
    ):
        yield


async def _raw_body(message: Any) -> Any:
    """Keep the body as bytes (a list of them for a batch): decoding, and its failures, belong to
    the processor, not FastStream."""
    return message.body
