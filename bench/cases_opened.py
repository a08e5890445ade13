"""Cases opened per second from a backlog of FormSubmitted events, next to the raw PostgreSQL rate.

    uv run --frozen python -m bench.cases_opened [--events 10000] [--processes 2]   (also `make bench`)

Needs the local Kafka and PostgreSQL (`scripts/infra/up.sh`). Makes its own databases and topics,
then drops the databases. Every case is a missed bin with a new resident: an inbox row, a
resident, a case, a timeline entry, the link to confirm the resident's address and two outbox
rows (ContactChangeRequested, CaseOpened), the
contractor switched off (no work order). Prints one JSON object:
- `service_cases_per_s`: the service in this process (one app on its asyncio loop) consuming the
  backlog, from the first case to the last,
  with its default `consumer_batch_size` (500 records per transaction);
- `service_unbatched_cases_per_s`: the same, on a database and topics of its own, with
  `consumer_batch_size` 1 (one record per transaction), on a backlog of `unbatched_events`;
- `service_processes`: the service as deployed, `python -m cases serve` processes (uvicorn,
  uvloop) in one consumer group, 1 and `--processes` of them (default 2: one per core of the
  2-core machine the README's figures come from), default batch; each process warmed up on a few
  cases, the group stable, then the backlog written while they are paused (SIGSTOP) and
  measured from the first case to the last once they are resumed; with each one's CPU
  milliseconds per case (`cpu_ms_per_case`: the service's processes, PostgreSQL, Kafka, this
  process) and the rates the machine's cores would allow at those costs, in all and for
  PostgreSQL and Kafka alone (`cores_allow_cases_per_s`,
  `postgres_and_kafka_alone_allow_cases_per_s`);
- `raw_postgres_cases_per_s`: the same rows, with the same values and payloads, inserted straight
  into the same schema with asyncpg, one transaction per case: an INSERT per table, the two
  outbox rows in one INSERT taking their keys' locks as the runtime's outbox does;
- `raw_postgres_batched_cases_per_s`: the same rows, as many cases per transaction as the
  service's batch (500);
- `raw_postgres_pipelined_cases_per_s`: the same, each statement sent once per transaction for all
  its cases with asyncpg's `executemany` (pipelined: the fastest plain way to write these rows),
  with its CPU milliseconds per case (`raw_postgres_pipelined_cpu_ms_per_case`);
  the raw rates measured before and after the services, the better kept;
- `service_over_raw` (the goal: at least `goal.service_over_raw`) and the other ratios;
- `load_average`: the machine's 1-minute load average before and after (the rates are only
  comparable within a run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import signal
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import sqlalchemy as sa
from cases.bootstrap import MIGRATIONS_DIR, create_app
from cases.config import CasesSettings
from civic_events.cases import CaseOpened
from civic_events.contact import Contact, Location
from civic_events.envelope import encode
from civic_events.intake import FormSubmitted
from civic_events.residents import ContactChangeRequested
from civic_runtime import migrations
from civic_runtime.admin import ensure_topics, registry_topics
from civic_runtime.producer import EventProducer
from civic_runtime.progress import NoProgress, ProgressSink
from civic_runtime.topic_sessions import delete_topics
from sqlalchemy.ext.asyncio import create_async_engine

from bench.stack import CpuMeter, drop_database, group_stable, new_topic_prefix, services

ADMIN_URL = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/postgres"
KAFKA = "127.0.0.1:9092"
# The service's default `consumer_batch_size` (500).
SERVICE_BATCH_SIZE: int = CasesSettings.model_fields["consumer_batch_size"].default
GOAL = 0.5  # the service at least half the raw rate
# The key of the pipelined raw rate among the raw rates by batch size.
PIPELINED = -1
# `python -m cases serve` processes in one consumer group: one per core of the 2-core machine the
# figures below come from (also measured with 1, for comparison).
PROCESSES = 2
# The backlog of each measure: long enough for two processes to run several seconds at
# ~1,500/s (each then takes ten batches or so).
EVENTS = 10000
UNBATCHED_EVENTS = 1000
# Cases opened by each process before its measure: enough for every partition to have some.
WARM_UP_PER_PROCESS = 100


def _submission(n: int, run: str) -> FormSubmitted:
    return FormSubmitted(
        source="intake",
        subject=f"WST-{run}-{n:07d}",
        form_id="missed-bin",
        form_version=1,
        submitted_via="web",
        answers={"bin_type": "refuse"},
        location=Location(uprn="100012345678", address="1 High Street, Exampleton EX1 2AB"),
        contact=Contact(
            name="Bench Resident",
            email=f"bench{n}@example.org",
            address="1 High Street, Exampleton EX1 2AB",
        ),
        preferred_channel="email",
    )


async def _database(admin: Any) -> str:
    name = f"bench_cases_{uuid.uuid4().hex[:8]}"
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def _produce_backlog(prefix: str, events: list[FormSubmitted]) -> None:
    producer = EventProducer(bootstrap_servers=KAFKA, client_id="bench")
    await producer.start()
    records = [encode(e) for e in events]
    await producer.send_many([dataclasses.replace(r, topic=prefix + r.topic) for r in records])
    await producer.stop()


async def _cases_per_second(database_url: str, count: int, *, already: int = 0) -> float:
    """Cases opened per second from the first case seen (beyond `already`) to the `count`th."""
    engine = create_async_engine(database_url)
    first: tuple[float, int] | None = None
    while True:
        async with engine.connect() as connection:
            opened = (
                await connection.execute(sa.text("SELECT count(*) FROM cases_case"))
            ).scalar_one() - already
        now = time.perf_counter()
        if first is None and opened > 0:
            first = (now, opened)
        if opened >= count and first is not None and now > first[0]:
            break
        await asyncio.sleep(0.05)
    await engine.dispose()
    assert first is not None
    return (count - first[1]) / (now - first[0])


async def _service_rate(
    database_url: str,
    prefix: str,
    events: list[FormSubmitted],
    instances: int,
    *,
    batch_size: int = 1,
) -> float:
    """The service in this process (`instances` apps on this event loop), the backlog there first."""
    await _produce_backlog(prefix, events)
    settings = CasesSettings(
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=KAFKA,
        topic_prefix=prefix,
        consumer_group=f"{prefix}cases",
        consumer_batch_size=batch_size,
        log_json=False,
        log_level="WARNING",
        sla_checker_enabled=False,
        waste_contractor_url="",  # the benchmark measures cases, not the contractor
    )
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(instances):
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
        return await _cases_per_second(database_url, len(events))


@contextlib.asynccontextmanager
async def _cases_processes(
    database_url: str, prefix: str, processes: int, *, batch_size: int
) -> AsyncIterator[list[int]]:
    """`processes` `python -m cases serve` processes (as deployed: uvicorn, uvloop), all members
    of one consumer group, the group stable before this yields their process ids."""
    group = f"{prefix}cases"
    settings = {
        "DATABASE_URL": database_url,
        "TOPIC_PREFIX": prefix,
        "CONSUMER_GROUP": group,
        "CONSUMER_BATCH_SIZE": str(batch_size),
        "MIGRATE_ON_START": "false",  # migrated by the benchmark
        "SLA_CHECKER_ENABLED": "false",
        "WASTE_CONTRACTOR_URL": "",
    }
    async with services("cases", settings, processes) as started:
        # Every process in the group with its partitions before the backlog is written.
        await group_stable(group, members=processes)
        yield [process.pid for process, _port in started]


async def _processes_rate(
    database_url: str, prefix: str, events: list[FormSubmitted], processes: int, *, batch_size: int
) -> tuple[float, dict[str, float]]:
    """The service as `processes` processes of its own, on a backlog written while they are
    paused. The rate, and the CPU milliseconds per case of the service's processes, PostgreSQL,
    Kafka and this process.

    Each process first opens a few cases of a warm-up backlog (its first batch prepares its
    statements and connections): otherwise one process's first batch, a second or so, would fall
    inside the measure begun by another's first case. Then they are paused (SIGSTOP) while the
    backlog is written, for a second or so (well inside the consumer group's session timeout,
    so nobody leaves the group), and resumed together: they find the whole backlog on Kafka, as
    the in-process measure does, and the writing of it is not in their measure.
    """
    warm_up = [
        _submission(n, f"warm{uuid.uuid4().hex[:6]}")
        for n in range(WARM_UP_PER_PROCESS * processes)
    ]
    async with _cases_processes(database_url, prefix, processes, batch_size=batch_size) as pids:
        await _produce_backlog(prefix, warm_up)
        await _cases_per_second(database_url, len(warm_up))
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            await _produce_backlog(prefix, events)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        meter = CpuMeter(cases=pids, benchmark=[os.getpid()])
        rate = await _cases_per_second(database_url, len(events), already=len(warm_up))
        return rate, meter.ms_per(len(events))


_RAW_INBOX = (
    'INSERT INTO inbox (handler, event_id, event_type, topic, partition, "offset") '
    "VALUES ($1, $2, $3, $4, $5, $6)"
)
_RAW_RESIDENT = (
    "INSERT INTO cases_resident (id, name, email, address, postcode, preferred_channel, language, "
    "case_updates, disruption_alerts, planning_alerts, collection_round_ids, consent_at, "
    "consent_source, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, 'email', 'en', true, false, false, '[]', $6, $7, $8, $8)"
)
_RAW_CASE = (
    "INSERT INTO cases_case (id, reference, case_type, status, resident_id, form_id, form_version, "
    "opened_from, uprn, address, postcode, answers, paid, sla_name, sla_due_at, opened_at, "
    "updated_at) VALUES ($1, $2, 'missed_bin', 'received', $3, $4, $5, $6, $7, $8, $9, $10, "
    "false, $11, $12, $13, $14)"
)
_RAW_CONTACT_CHANGE = (
    "INSERT INTO cases_contact_change (id, resident_id, proposed, token_sha256, reference, "
    "sent_to_detail, sent_to, requested_at, expires_at) "
    "VALUES ($1, $2, '{}', $3, $4, 'email', $5, $6, $7)"
)
_RAW_TIMELINE = (
    "INSERT INTO cases_timeline (case_id, resident_id, occurred_at, kind, summary, detail, "
    "event_id, internal) VALUES ($1, $2, $3, 'submission', $4, $5, $6, false)"
)
# Both outbox rows in one statement, each key locked before its row takes an id (the runtime's
# outbox protocol, in one round trip).
_RAW_OUTBOX = (
    "INSERT INTO outbox (event_id, event_type, topic, key, headers, payload) "
    "SELECT event_id, event_type, topic, key, headers, payload FROM ("
    "SELECT v.*, pg_advisory_xact_lock(hashtextextended(v.key, 0)) AS locked FROM (VALUES "
    "($1::uuid, $2::text, $3::text, $4::text, $5::jsonb, $6::bytea), ($7, $8, $9, $10, $11, $12)"
    ") AS v(event_id, event_type, topic, key, headers, payload)) AS key_locked"
)


def _outbox_row(event: Any) -> tuple[Any, ...]:
    record = encode(event)
    headers = json.dumps([[name, value.decode()] for name, value in record.headers])
    return (event.event_id, event.ce_type, record.topic, event.key, headers, record.value)


def _raw_rows(submission: FormSubmitted, offset: int) -> list[tuple[str, tuple[Any, ...]]]:
    """The rows the service writes for `submission`, with the same values, as SQL and arguments."""
    assert submission.contact is not None and submission.location is not None
    resident_id, case_id = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    opened_at = submission.occurred_at
    postcode = "EX1 2AB"
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=72)
    resident = ContactChangeRequested(
        source="cases",
        subject=str(resident_id),
        resident_id=resident_id,
        changes=("email",),
        confirm_url=f"http://127.0.0.1:8005/contact-details/confirm/{token}",
        expires_at=expires_at,
        reference=submission.subject,
        send_to=Contact(name=submission.contact.name, email=submission.contact.email),
    )
    opened = CaseOpened(
        source="cases",
        subject=submission.subject,
        case_id=case_id,
        case_type="missed_bin",
        status="received",
        resident_id=resident_id,
        sla_due_at=opened_at + timedelta(days=2),
        opened_from=submission.event_id,
        triggered_at=opened_at,
    )
    detail = {"form_id": submission.form_id, "form_version": 1, "case_type": "missed_bin"}
    return [
        (
            _RAW_INBOX,
            (
                "cases.entrypoints.consumers.on_form_submitted",
                submission.event_id,
                submission.ce_type,
                "intake.submission.v1",
                0,
                offset,
            ),
        ),
        (
            _RAW_RESIDENT,
            (
                resident_id,
                submission.contact.name,
                submission.contact.email,
                submission.contact.address,
                postcode,
                opened_at,
                "form missed-bin via web",
                now,
            ),
        ),
        (
            _RAW_CASE,
            (
                case_id,
                submission.subject,
                resident_id,
                submission.form_id,
                submission.form_version,
                submission.event_id,
                submission.location.uprn,
                submission.location.address,
                postcode,
                json.dumps(dict(submission.answers)),
                "missed_bin_return_2_working_days",
                opened_at + timedelta(days=2),
                opened_at,
                now,
            ),
        ),
        (
            _RAW_CONTACT_CHANGE,
            (
                uuid.uuid4(),
                resident_id,
                hashlib.sha256(token.encode()).hexdigest(),
                submission.subject,
                submission.contact.email,
                now,
                expires_at,
            ),
        ),
        (
            _RAW_TIMELINE,
            (
                case_id,
                resident_id,
                opened_at,
                "Submitted form missed-bin (version 1) via web",
                json.dumps(detail),
                submission.event_id,
            ),
        ),
        (_RAW_OUTBOX, (*_outbox_row(resident), *_outbox_row(opened))),
    ]


async def _raw_rate(
    database_url: str, submissions: list[FormSubmitted], *, batch: int, pipelined: bool = False
) -> tuple[float, dict[str, float]]:
    """The same rows as the service writes, straight into PostgreSQL (values made beforehand):
    a statement at a time, or (`pipelined`) each statement once per transaction for all its
    cases with asyncpg's `executemany`, which sends them without waiting for each answer. The
    rate, and the CPU milliseconds per case of PostgreSQL, Kafka and this client."""
    url = database_url.replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(url)
    cases = [_raw_rows(submission, offset) for offset, submission in enumerate(submissions)]
    meter = CpuMeter(client=[os.getpid()])
    started = time.perf_counter()
    for start in range(0, len(cases), batch):
        async with connection.transaction():
            if pipelined:
                # Statements in their first order (residents before cases before timelines).
                by_statement: dict[str, list[tuple[Any, ...]]] = {}
                for rows in cases[start : start + batch]:
                    for statement, arguments in rows:
                        by_statement.setdefault(statement, []).append(tuple(arguments))
                for statement, argument_lists in by_statement.items():
                    await connection.executemany(statement, argument_lists)
                continue
            for rows in cases[start : start + batch]:
                for statement, arguments in rows:
                    await connection.execute(statement, *arguments)
    elapsed = time.perf_counter() - started
    cpu = meter.ms_per(len(cases))
    await connection.close()
    return len(cases) / elapsed, cpu


async def main(
    count: int, instances: int, processes: int = PROCESSES, progress: ProgressSink | None = None
) -> dict[str, Any]:
    progress = progress or NoProgress()
    load_before = os.getloadavg()[0]
    admin = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    databases: list[str] = []
    prefixes: list[str] = []
    try:

        async def empty_database() -> str:
            # Each measure on a database (and topics) of its own, so that each starts empty.
            database_url = await _database(admin)
            databases.append(database_url)
            await migrations.upgrade_async(MIGRATIONS_DIR, database_url)
            return database_url

        async def measure_raw() -> None:
            progress.describe(f"cases_opened: raw PostgreSQL, {count:,} cases")
            for batch in (1, SERVICE_BATCH_SIZE):
                run = uuid.uuid4().hex[:6]
                rate, _cpu = await _raw_rate(
                    await empty_database(), [_submission(n, run) for n in range(count)], batch=batch
                )
                raw[batch] = max(rate, raw.get(batch, 0.0))
            run = uuid.uuid4().hex[:6]
            rate, cpu = await _raw_rate(
                await empty_database(),
                [_submission(n, run) for n in range(count)],
                batch=SERVICE_BATCH_SIZE,
                pipelined=True,
            )
            if rate > raw.get(PIPELINED, 0.0):
                raw[PIPELINED], raw_cpu[PIPELINED] = rate, cpu

        service: dict[int, float] = {}
        raw: dict[int, float] = {}
        raw_cpu: dict[int, dict[str, float]] = {}
        # Raw before and after the service, the better of the two kept: a burst of load on the
        # shared machine during one raw measure must not flatter the service.
        await measure_raw()

        async def empty_topics() -> str:
            prefix = await new_topic_prefix()
            prefixes.append(prefix)
            await ensure_topics(KAFKA, registry_topics(prefix, partitions=12))
            return prefix

        # At ~70 cases/s, one record per transaction is measured on a shorter backlog.
        unbatched = min(count, UNBATCHED_EVENTS)
        for batch_size in (SERVICE_BATCH_SIZE, 1):
            progress.describe(f"cases_opened: the service in this process, batch {batch_size}")
            run = uuid.uuid4().hex[:6]
            service[batch_size] = await _service_rate(
                await empty_database(),
                await empty_topics(),
                [_submission(n, run) for n in range(count if batch_size > 1 else unbatched)],
                instances,
                batch_size=batch_size,
            )
        by_processes: dict[int, tuple[float, dict[str, float]]] = {}
        for number in sorted({1, processes}):
            progress.describe(f"cases_opened: {number} `cases serve` process(es)")
            run = uuid.uuid4().hex[:6]
            by_processes[number] = await _processes_rate(
                await empty_database(),
                await empty_topics(),
                [_submission(n, run) for n in range(count)],
                number,
                batch_size=SERVICE_BATCH_SIZE,
            )
        await measure_raw()
    finally:
        try:
            async with admin.connect() as connection:
                for database_url in databases:
                    await drop_database(connection, sa.make_url(database_url).database)
            await admin.dispose()
        finally:
            await delete_topics(KAFKA, [t for p in prefixes for t, _ in registry_topics(p)])
    ratio = service[SERVICE_BATCH_SIZE] / raw[1]
    return {
        "benchmark": "cases_opened_from_backlog",
        "events": count,
        "unbatched_events": unbatched,
        "service_instances": instances,
        "consumer_batch_size": SERVICE_BATCH_SIZE,
        "service_cases_per_s": round(service[SERVICE_BATCH_SIZE], 1),
        "service_unbatched_cases_per_s": round(service[1], 1),
        "raw_postgres_cases_per_s": round(raw[1], 1),
        "raw_postgres_batched_cases_per_s": round(raw[SERVICE_BATCH_SIZE], 1),
        "service_over_raw": round(ratio, 2),
        "service_unbatched_over_raw": round(service[1] / raw[1], 2),
        "service_over_raw_batched": round(service[SERVICE_BATCH_SIZE] / raw[SERVICE_BATCH_SIZE], 2),
        "raw_postgres_pipelined_cases_per_s": round(raw[PIPELINED], 1),
        "raw_postgres_pipelined_cpu_ms_per_case": raw_cpu[PIPELINED],
        "service_over_raw_pipelined": round(service[SERVICE_BATCH_SIZE] / raw[PIPELINED], 2),
        "service_processes": [
            {
                "processes": number,
                "cases_per_s": round(rate, 1),
                "over_raw_pipelined": round(rate / raw[PIPELINED], 2),
                "cpu_ms_per_case": cpu,
                **_ceilings(cpu),
            }
            for number, (rate, cpu) in sorted(by_processes.items())
        ],
        "goal": {"service_over_raw": GOAL, "met": ratio >= GOAL},
        "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "measured_at": datetime.now(UTC).isoformat(),
    }


def _ceilings(cpu_ms_per_case: dict[str, float]) -> dict[str, float]:
    """The rates this machine's cores allow at these CPU costs per case: all of them; and
    PostgreSQL's and Kafka's alone (were the service's own Python free)."""
    cores = os.cpu_count() or 1
    stack = cpu_ms_per_case["postgres"] + cpu_ms_per_case["kafka"]
    return {
        "cores_allow_cases_per_s": round(cores * 1000 / sum(cpu_ms_per_case.values()), 1),
        "postgres_and_kafka_alone_allow_cases_per_s": round(cores * 1000 / stack, 1),
    }


async def run(progress: ProgressSink | None = None) -> str:
    """The Markdown section `python -m bench` collects."""
    figures = await main(EVENTS, 1, progress=progress)
    met = "met" if figures["goal"]["met"] else "NOT met"
    processes = "; ".join(
        f"{p['processes']} `cases serve` process{'es' if p['processes'] > 1 else ''}: "
        f"{p['cases_per_s']}/s ({p['over_raw_pipelined']} of raw pipelined; CPU ms per case "
        + ", ".join(f"{name} {ms}" for name, ms in p["cpu_ms_per_case"].items())
        + f": the cores allow {p['cores_allow_cases_per_s']}/s, PostgreSQL and Kafka alone "
        f"{p['postgres_and_kafka_alone_allow_cases_per_s']}/s)"
        for p in figures["service_processes"]
    )
    return "\n".join(
        [
            "## Cases opened from a backlog of FormSubmitted",
            "",
            f"- {figures['service_cases_per_s']} cases/s through the service "
            f"(`consumer_batch_size` {figures['consumer_batch_size']}; "
            f"{figures['service_unbatched_cases_per_s']}/s at 1); raw PostgreSQL with the same "
            f"rows: {figures['raw_postgres_cases_per_s']}/s one transaction per case, "
            f"{figures['raw_postgres_batched_cases_per_s']}/s "
            f"{figures['consumer_batch_size']} per transaction, "
            f"{figures['raw_postgres_pipelined_cases_per_s']}/s {figures['consumer_batch_size']} "
            "per transaction with each statement pipelined (`executemany`; CPU ms per case "
            + ", ".join(
                f"{name} {ms}"
                for name, ms in figures["raw_postgres_pipelined_cpu_ms_per_case"].items()
            )
            + "). Service/raw "
            f"{figures['service_over_raw']} (goal {figures['goal']['service_over_raw']}: {met}), "
            f"over raw pipelined {figures['service_over_raw_pipelined']}; "
            f"load average {figures['load_average']['before']} → {figures['load_average']['after']}",
            f"- As deployed, batch {figures['consumer_batch_size']}: {processes}",
            "",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument(
        "--instances", type=int, default=1, help="consumers in the group, in this process"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=PROCESSES,
        help="`cases serve` processes in the group (measured with 1 and with this many)",
    )
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.events, arguments.instances, arguments.processes))))
