"""Batch consumption (`consumer_batch_size` > 1) against the real broker and database: several
records per transaction; when anything in a batch fails, its halves, down to the record that
fails, which takes the one-record path."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from civic_events.base import Event
from civic_events.cases import CaseOpened, CaseStatusChanged
from civic_events.envelope import KafkaRecord, encode, header
from civic_runtime.consumers import EventHandlers
from civic_runtime.uow import UnitOfWork
from civic_runtime.writes import Insert
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

pytestmark = pytest.mark.integration

TOPIC = "cases.lifecycle.v1"


class Recorder:
    """Handlers that write each event to `effects` and note the transaction they ran in."""

    def __init__(self, kit: Any, *, fail: set[uuid.UUID] | None = None, failures: int = 0) -> None:
        self.handlers = EventHandlers()
        self.calls: list[uuid.UUID] = []
        self.transactions: list[int] = []
        self.fail = fail or set()  # these events fail every time
        self.failures = failures  # the first `failures` calls fail, whichever event

        @self.handlers.on(CaseOpened, name="case-opened")
        async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
            self.calls.append(event.event_id)
            txid = await uow.session.scalar(sa.text("SELECT txid_current()"))
            self.transactions.append(int(txid))
            await uow.session.execute(
                sa.insert(kit.effects).values(event_id=event.event_id, subject=event.subject)
            )
            # Comes back to this service as a type it has no handler for: "ignored".
            await uow.stage(status_changed(event, "test"))
            if event.event_id in self.fail:
                raise ValueError("a status this service has never heard of")
            if len(self.calls) <= self.failures:
                raise RuntimeError(f"transient failure {len(self.calls)}")


def count(harness: Any, outcome: str) -> float:
    value = harness.runtime.metrics.registry.get_sample_value(
        "civic_consumer_events_total",
        {
            "topic": harness.runtime.settings.topic_prefix + TOPIC,
            "event_type": CaseOpened.ce_type,
            "outcome": outcome,
        },
    )
    return value or 0.0


async def table_count(harness: Any, table: str) -> int:
    async with harness.runtime.engine.connect() as connection:
        return int(await connection.scalar(sa.text(f"SELECT count(*) FROM {table}")))


def events(kit: Any, n: int, *, keys: int = 4) -> list[CaseOpened]:
    return [kit.case_opened(f"WST-2026-{k % keys:06d}") for k in range(n)]


async def committed_offsets(kit: Any, group: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kit.kafka)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {
        tp.partition: meta.offset
        for tp, meta in offsets.items()
        if tp.topic == kit.prefix + TOPIC and meta.offset >= 0
    }


async def test_a_batch_applies_every_record_once_in_one_transaction(
    kit: Any, eventually: Any
) -> None:
    sent = events(kit, 40)
    await kit.produce(*(encode(e) for e in sent))
    recorder = Recorder(kit)
    async with kit.running(kit.settings(consumer_batch_size=100), recorder.handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 40)
        assert sorted(e for e, _ in await harness.effects()) == sorted(e.event_id for e in sent)
        assert await table_count(harness, "inbox") == 40
        # Each record's events were written to the outbox, and the relay published them.
        await eventually(lambda: table_count(harness, "outbox WHERE published_at IS NOT NULL"))
        assert await table_count(harness, "outbox") == 40
    # Far fewer transactions than records (2 partitions, read as backlog): the batch mode is on.
    assert len(set(recorder.transactions)) <= 10
    assert len(recorder.calls) == 40


async def test_a_redelivered_batch_applies_nothing_twice(kit: Any, eventually: Any) -> None:
    sent = events(kit, 10)
    records = [encode(e) for e in sent]
    # Each event twice on the topic: within one batch, the second copy is a duplicate.
    await kit.produce(*records, *records)
    recorder = Recorder(kit)
    async with kit.running(kit.settings(consumer_batch_size=50), recorder.handlers) as harness:
        await eventually(lambda: count(harness, "applied") + count(harness, "duplicate") == 20)
        assert count(harness, "applied") == 10
    # The whole topic again, to a new group sharing the database: every record is a duplicate.
    again = kit.settings(consumer_batch_size=50, consumer_group=f"{kit.prefix}again")
    async with kit.running(again, recorder.handlers) as harness:
        await eventually(lambda: count(harness, "duplicate") == 20)
        assert count(harness, "applied") == 0
        assert len(await harness.effects()) == 10
        assert await table_count(harness, "outbox") == 10
    assert len(recorder.calls) == 10


async def test_a_poison_record_in_a_batch_is_dead_lettered_and_its_neighbours_applied(
    kit: Any, eventually: Any, read_records: Any
) -> None:
    sent = [kit.case_opened("WST-2026-000042") for _ in range(5)]
    records = [encode(e) for e in sent]
    undecodable = KafkaRecord(records[1].topic, records[1].key, b"{not json", records[1].headers)
    # sent[3] decodes but its handler always fails: the batch falls back, it alone is dead-lettered.
    recorder = Recorder(kit, fail={sent[3].event_id})
    await kit.produce(records[0], undecodable, records[2], records[3], records[4])
    settings = kit.settings(consumer_batch_size=50, retry_max_attempts=2)
    async with kit.running(settings, recorder.handlers) as harness:
        await eventually(lambda: count(harness, "dead_lettered") == 2)
        await eventually(lambda: count(harness, "applied") == 3)
        assert [e for e, _ in await harness.effects()] == [
            sent[0].event_id,
            sent[2].event_id,
            sent[4].event_id,
        ]
        # The failing record's events were rolled back with it: only the applied three remain.
        assert await table_count(harness, "outbox") == 3
        assert await table_count(harness, "inbox") == 3

    dead = await read_records(kit.prefix + TOPIC + ".dlq", 2)
    by_reason = {header(r.headers, "dlq-reason"): r for r in dead}
    assert set(by_reason) == {"invalid_json", "retries_exhausted"}
    assert by_reason["invalid_json"].value == b"{not json"
    exhausted = by_reason["retries_exhausted"]
    assert header(exhausted.headers, "ce_id") == str(sent[3].event_id)
    assert header(exhausted.headers, "dlq-attempts") == "2"
    assert "ValueError" in (header(exhausted.headers, "dlq-error") or "")


async def test_a_transient_failure_in_a_batch_is_retried_per_record_and_all_apply_once(
    kit: Any, eventually: Any
) -> None:
    sent = events(kit, 8)
    await kit.produce(*(encode(e) for e in sent))
    # Each failure fails the batch holding the first record, then its first half (8, 4, 2, 1
    # records at most), then that record on its own, which is retried until the failures end.
    recorder = Recorder(kit, failures=5)
    settings = kit.settings(consumer_batch_size=50, retry_max_attempts=10)
    async with kit.running(settings, recorder.handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 8)
        effects = await harness.effects()
        assert sorted(e for e, _ in effects) == sorted(e.event_id for e in sent)
        assert await table_count(harness, "outbox") == 8
        assert count(harness, "dead_lettered") == 0
        retries = harness.runtime.metrics.registry.get_sample_value(
            "civic_consumer_retries_total", {"topic": kit.prefix + TOPIC, "kind": "error"}
        )
    assert retries is not None and retries >= 1


async def test_a_failing_record_is_found_by_halving_its_batch_and_its_neighbours_stay_batched(
    kit: Any, eventually: Any
) -> None:
    sent = events(kit, 64, keys=1)  # one key, so one partition and one batch of 64
    bad = sent[37].event_id
    await kit.produce(*(encode(e) for e in sent))
    recorder = Recorder(kit, fail={bad})
    settings = kit.settings(consumer_batch_size=100, retry_max_attempts=2)
    async with kit.running(settings, recorder.handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 63)
        assert count(harness, "dead_lettered") == 1
        effects = await harness.effects()
    assert [e for e, _ in effects] == [e.event_id for e in sent if e.event_id != bad]
    # The transaction each of the 63 was applied in (its last call): the few halves around the
    # failing record (6 for one batch of 64), not one each as a one-by-one fallback would take.
    last_transaction = dict(zip(recorder.calls, recorder.transactions, strict=True))
    committed = {last_transaction[e.event_id] for e in sent if e.event_id != bad}
    assert len(committed) <= 12, len(committed)


async def test_an_outage_during_a_batch_is_waited_out_through_its_halves_and_nothing_is_lost(
    kit: Any, eventually: Any
) -> None:
    sent = events(kit, 16, keys=1)  # one partition: one batch of 16
    await kit.produce(*(encode(e) for e in sent))
    handlers = EventHandlers()
    calls: list[uuid.UUID] = []

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        calls.append(event.event_id)
        # The first 8 calls meet the database restarting: the batch of 16, its halves of 8, 4,
        # 2 and 1, then the first record on its own, waited out beyond the retry limit.
        if len(calls) <= 8:
            raise ConnectionRefusedError("the database is restarting")
        await uow.session.execute(
            sa.insert(kit.effects).values(event_id=event.event_id, subject=event.subject)
        )

    settings = kit.settings(consumer_batch_size=100, retry_max_attempts=2, outage_max_backoff_ms=50)
    async with kit.running(settings, handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 16)
        assert count(harness, "dead_lettered") == 0
        assert [e for e, _ in await harness.effects()] == [e.event_id for e in sent]
        outages = harness.runtime.metrics.registry.get_sample_value(
            "civic_consumer_retries_total", {"topic": kit.prefix + TOPIC, "kind": "outage"}
        )
    assert outages is not None and outages >= 3


async def test_records_of_one_key_are_applied_in_order_in_a_batch_and_in_its_fallback(
    kit: Any, eventually: Any
) -> None:
    sent = events(kit, 30, keys=3)
    await kit.produce(*(encode(e) for e in sent))
    recorder = Recorder(kit, failures=1)  # the first batch falls back to one at a time
    async with kit.running(kit.settings(consumer_batch_size=7), recorder.handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 30)
        effects = await harness.effects()
    for key in {e.subject for e in sent}:
        assert [e for e, subject in effects if subject == key] == [
            e.event_id for e in sent if e.subject == key
        ]


async def test_offsets_wait_for_the_batch_transaction(kit: Any, eventually: Any) -> None:
    sent = events(kit, 6)
    await kit.produce(*(encode(e) for e in sent))
    handlers = EventHandlers()
    started, release = asyncio.Event(), asyncio.Event()
    applied: list[uuid.UUID] = []

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        await uow.session.execute(
            sa.insert(kit.effects).values(event_id=event.event_id, subject=event.subject)
        )
        applied.append(event.event_id)
        started.set()
        await release.wait()

    settings = kit.settings(consumer_batch_size=50, commit_interval_ms=10)
    async with kit.running(settings, handlers) as harness:
        await asyncio.wait_for(started.wait(), timeout=30)
        await asyncio.sleep(0.5)  # several commit intervals
        assert await committed_offsets(kit, settings.group_id) == {}
        assert await harness.effects() == []  # nothing visible before the commit, either
        release.set()
        await eventually(lambda: count(harness, "applied") == 6)
        await eventually(
            lambda: _sum_offsets(committed_offsets(kit, settings.group_id), expected=6)
        )


async def _sum_offsets(offsets: Any, *, expected: int) -> bool:
    return sum((await offsets).values()) == expected


async def test_a_batch_killed_mid_way_commits_nothing_and_is_redelivered_without_duplicates(
    kit: Any, eventually: Any
) -> None:
    sent = events(kit, 6)
    await kit.produce(*(encode(e) for e in sent))
    stall, halfway = asyncio.Event(), asyncio.Event()
    calls: list[uuid.UUID] = []
    stalled = EventHandlers()

    @stalled.on(CaseOpened, name="stalled-case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        await uow.session.execute(
            sa.insert(kit.effects).values(event_id=event.event_id, subject=event.subject)
        )
        calls.append(event.event_id)
        if len(calls) == 3:
            halfway.set()
            await stall.wait()  # the process dies here

    settings = kit.settings(consumer_batch_size=50, consumer_enabled=False)
    group = settings.group_id
    async with kit.running(settings, stalled) as harness:
        consumer = AIOKafkaConsumer(
            kit.prefix + TOPIC,
            bootstrap_servers=kit.kafka,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            records: list[Any] = []
            while len(records) < 6:
                fetched = await consumer.getmany(timeout_ms=1000)
                records += [r for part in fetched.values() for r in part]
            work = asyncio.create_task(harness.runtime.processor.process_batch(records))
            await asyncio.wait_for(halfway.wait(), timeout=30)
            work.cancel()  # as a killed process: the transaction never commits
            with pytest.raises(asyncio.CancelledError):
                await work
            partitions = [TopicPartition(kit.prefix + TOPIC, p) for p in (0, 1)]
            assert [await consumer.committed(tp) for tp in partitions] == [None, None]
        finally:
            await consumer.stop()
        assert await harness.effects() == []
        assert await table_count(harness, "inbox") == 0

    redelivered = Recorder(kit)
    async with kit.running(kit.settings(consumer_batch_size=50), redelivered.handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 6)
        assert count(harness, "duplicate") == 0
        assert sorted(e for e, _ in await harness.effects()) == sorted(e.event_id for e in sent)


async def test_each_record_of_a_batch_is_handled_in_its_own_trace(
    kit: Any, eventually: Any
) -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        from civic_runtime.telemetry import configure_tracing

        configure_tracing("test")
    traces = [uuid.uuid4().hex for _ in range(4)]
    sent = events(kit, 4, keys=1)
    await kit.produce(
        *(
            encode(e, traceparent=f"00-{t}-{uuid.uuid4().hex[:16]}-01")
            for e, t in zip(sent, traces, strict=True)
        )
    )
    seen: dict[uuid.UUID, str] = {}
    handlers = EventHandlers()

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        seen[event.event_id] = format(trace.get_current_span().get_span_context().trace_id, "032x")

    async with kit.running(kit.settings(consumer_batch_size=50), handlers):
        await eventually(lambda: len(seen) == 4)
    assert [seen[e.event_id] for e in sent] == traces


def preparing(kit: Any) -> tuple[EventHandlers, list[tuple[int, list[uuid.UUID]]], list[Any]]:
    """Handlers with a preparation noting its transaction and events, and a handler noting the
    transaction it ran in beside what it found prepared."""
    handlers = EventHandlers()
    prepared: list[tuple[int, list[uuid.UUID]]] = []
    seen: list[tuple[int, int]] = []

    async def read(batch: Sequence[Event], uow: UnitOfWork) -> int:
        txid = int(await uow.session.scalar(sa.text("SELECT txid_current()")))
        prepared.append((txid, [event.event_id for event in batch]))
        return txid

    transaction = handlers.prepare(read)

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        txid = int(await uow.session.scalar(sa.text("SELECT txid_current()")))
        seen.append((txid, uow.prepared(transaction)))

    return handlers, prepared, seen


async def test_a_preparation_reads_once_per_batch_before_its_first_handler(
    kit: Any, eventually: Any
) -> None:
    sent = events(kit, 10)
    records = [encode(e) for e in sent]
    # Each event twice: the second copy is a duplicate, which the preparation never sees.
    await kit.produce(*records, *records)
    handlers, prepared, seen = preparing(kit)
    async with kit.running(kit.settings(consumer_batch_size=50), handlers) as harness:
        await eventually(lambda: count(harness, "applied") + count(harness, "duplicate") == 20)
    assert count(harness, "applied") == 10
    # Every fresh record was prepared once, and no duplicate was.
    assert sorted(e for _, batch in prepared for e in batch) == sorted(e.event_id for e in sent)
    # Each handler found what was read in its own transaction, read before it ran.
    assert len(seen) == 10
    assert all(txid == found for txid, found in seen)
    assert len({txid for txid, _ in seen}) < 10  # batches, not one record per transaction


async def test_a_record_applied_alone_is_prepared_alone(kit: Any, eventually: Any) -> None:
    sent = events(kit, 3)
    await kit.produce(*(encode(e) for e in sent))
    handlers, prepared, seen = preparing(kit)
    async with kit.running(kit.settings(consumer_batch_size=1), handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 3)
    assert sorted(batch for _, batch in prepared) == sorted([e.event_id] for e in sent)
    assert sorted(seen) == sorted((txid, txid) for txid, _ in prepared)


def writing(kit: Any) -> tuple[EventHandlers, list[tuple[int, int]]]:
    """A handler staging an event, then writing its event's row and announcing it through
    `uow.write`; first it notes how many rows the table holds: as they are in the database right
    now, and as the transaction sees them (any statement through the session)."""
    handlers = EventHandlers()
    counts: list[tuple[int, int]] = []
    count_rows = sa.text(f"SELECT count(*) FROM {kit.effects.name}")

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        # On the connection itself: a read the session does not see, so nothing is written first.
        connection = await uow.session.connection()
        written = (await connection.exec_driver_sql(str(count_rows))).scalar_one()
        seen = (await uow.session.execute(count_rows)).scalar_one()
        counts.append((int(seen), int(written)))
        await uow.stage(status_changed(event, "staged"))
        await uow.write(
            [Insert(kit.effects, {"event_id": event.event_id, "subject": event.subject})],
            [status_changed(event, "written")],
        )

    return handlers, counts


def status_changed(event: CaseOpened, reason: str) -> CaseStatusChanged:
    return CaseStatusChanged(
        source="testsvc",
        subject=event.subject,
        case_id=event.case_id,
        case_type="missed_bin",
        old_status="received",
        new_status="in_progress",
        reason=reason,
        notify_resident=False,
    )


async def outbox_reasons(harness: Any) -> list[tuple[str, str]]:
    async with harness.runtime.engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT key, convert_from(payload, 'UTF8')::jsonb #>> '{reason}' "
                "FROM outbox ORDER BY id"
            )
        )
        return [(key, reason) for key, reason in rows]


@pytest.mark.parametrize("batch_size", [1, 50])
async def test_written_rows_are_seen_at_once_and_their_events_keep_their_order(
    kit: Any, eventually: Any, batch_size: int
) -> None:
    sent = events(kit, 12, keys=3)
    await kit.produce(*(encode(e) for e in sent))
    handlers, counts = writing(kit)
    async with kit.running(kit.settings(consumer_batch_size=batch_size), handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 12)
        assert sorted(e for e, _ in await harness.effects()) == sorted(e.event_id for e in sent)
        reasons = await outbox_reasons(harness)
    # Every handler saw the rows written before it in its transaction.
    assert sorted(seen for seen, _ in counts) == list(range(12))
    if batch_size > 1:
        # In a batch they were not in the database yet: written together at its end.
        assert any(written < seen for seen, written in counts)
    else:
        assert all(written == seen for seen, written in counts)
    # Each key's events in the order staged: the staged one, then the written one, per event.
    for key in {e.subject for e in sent}:
        assert [r for k, r in reasons if k == key] == ["staged", "written"] * 4
