"""Cases opened per second from a backlog of FormSubmitted events, next to the raw PostgreSQL rate.

    uv run --frozen python -m bench.cases_opened [--events 2000]   (also part of `make bench`)

Needs the local Kafka and PostgreSQL (`scripts/infra/up.sh`). Makes its own database and topics,
then drops the database. Prints one JSON object:
- `service_cases_per_s`: the service consuming the backlog (each case: inbox row, resident,
  case, two timeline rows... as the handler writes them, and its outbox rows), from the first
  case to the last, one record per transaction (`consumer_batch_size` 1, the default);
- `service_batched_cases_per_s`: the same, on a database and topics of its own, with
  `consumer_batch_size` 100 (up to 100 records per transaction);
- `raw_postgres_cases_per_s`: the same rows inserted straight into the same schema with asyncpg,
  one transaction per case (as the service commits), in the same run;
- `raw_postgres_batched_cases_per_s`: the same rows, 500 cases per transaction (an upper bound).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
from cases.bootstrap import MIGRATIONS_DIR, create_app
from cases.config import CasesSettings
from civic_events.contact import Contact, Location
from civic_events.envelope import encode
from civic_events.intake import FormSubmitted
from civic_runtime import migrations
from civic_runtime.admin import ensure_topics, registry_topics
from civic_runtime.producer import EventProducer
from sqlalchemy.ext.asyncio import create_async_engine

ADMIN_URL = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/postgres"
KAFKA = "127.0.0.1:9092"


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


async def _service_rate(
    database_url: str,
    prefix: str,
    events: list[FormSubmitted],
    instances: int,
    *,
    batch_size: int = 1,
) -> float:
    producer = EventProducer(bootstrap_servers=KAFKA, client_id="bench")
    await producer.start()
    records = [encode(e) for e in events]
    await producer.send_many([dataclasses.replace(r, topic=prefix + r.topic) for r in records])
    await producer.stop()
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
    engine = create_async_engine(database_url)
    first: tuple[float, int] | None = None
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(instances):
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
        while True:
            async with engine.connect() as connection:
                count = (
                    await connection.execute(sa.text("SELECT count(*) FROM cases_case"))
                ).scalar_one()
            now = time.perf_counter()
            if first is None and count > 0:
                first = (now, count)
            if count >= len(events):
                break
            await asyncio.sleep(0.05)
    await engine.dispose()
    assert first is not None
    return (len(events) - first[1]) / (now - first[0])


async def _raw_rate(database_url: str, count: int, *, batch: int) -> float:
    url = database_url.replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(url)
    run = uuid.uuid4().hex[:6]
    payload = b'{"x": 1}'
    started = time.perf_counter()
    for start in range(0, count, batch):
        async with connection.transaction():
            for n in range(start, min(start + batch, count)):
                now = datetime.now(UTC)
                event_id, resident_id, case_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
                reference = f"RAW-{run}-{n:07d}"
                await connection.execute(
                    'INSERT INTO inbox (handler, event_id, event_type, topic, partition, "offset") '
                    "VALUES ($1, $2, $3, $4, 0, $5)",
                    "bench",
                    event_id,
                    "FormSubmitted",
                    "t",
                    n,
                )
                await connection.execute(
                    "INSERT INTO cases_resident (id, name, email, address, postcode, preferred_channel, language, "
                    "case_updates, disruption_alerts, planning_alerts, consent_at, consent_source, created_at, updated_at) "
                    "VALUES ($1, 'R', $2, 'a', 'EX12AB', 'email', 'en', true, false, false, $3, 's', $3, $3)",
                    resident_id,
                    f"raw{run}{n}@example.org",
                    now,
                )
                await connection.execute(
                    "INSERT INTO cases_case (id, reference, case_type, status, resident_id, answers, paid, "
                    "opened_at, updated_at) VALUES ($1, $2, 'missed_bin', 'received', $3, '{}', false, $4, $4)",
                    case_id,
                    reference,
                    resident_id,
                    now,
                )
                await connection.execute(
                    "INSERT INTO cases_timeline (case_id, resident_id, occurred_at, kind, summary, detail, internal) "
                    "VALUES ($1, $2, $3, 'submission', 's', '{}', false)",
                    case_id,
                    resident_id,
                    now,
                )
                for _ in range(2):  # ResidentUpserted, CaseOpened
                    await connection.execute(
                        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", reference
                    )
                    await connection.execute(
                        "INSERT INTO outbox (event_id, event_type, topic, key, headers, payload) "
                        "VALUES ($1, 'e', 't', $2, '[]', $3)",
                        uuid.uuid4(),
                        reference,
                        payload,
                    )
    elapsed = time.perf_counter() - started
    await connection.close()
    return count / elapsed


async def main(count: int, instances: int) -> dict[str, Any]:
    admin = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    databases: list[str] = []
    try:
        rates: dict[int, float] = {}
        # Each batch size on a database and topics of its own, so both start from the same state.
        for batch_size in (1, 100):
            database_url = await _database(admin)
            databases.append(database_url)
            prefix = f"bench{uuid.uuid4().hex[:8]}."
            await ensure_topics(KAFKA, registry_topics(prefix, partitions=12))
            await migrations.upgrade_async(MIGRATIONS_DIR, database_url)
            run = uuid.uuid4().hex[:6]
            rates[batch_size] = await _service_rate(
                database_url,
                prefix,
                [_submission(n, run) for n in range(count)],
                instances,
                batch_size=batch_size,
            )
        service, service_batched = rates[1], rates[100]
        raw = await _raw_rate(databases[0], count, batch=1)
        batched = await _raw_rate(databases[0], count, batch=500)
    finally:
        async with admin.connect() as connection:
            for database_url in databases:
                name = sa.make_url(database_url).database
                await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
    return {
        "benchmark": "cases_opened_from_backlog",
        "events": count,
        "service_instances": instances,
        "service_cases_per_s": round(service, 1),
        "service_batched_cases_per_s": round(service_batched, 1),
        "raw_postgres_cases_per_s": round(raw, 1),
        "raw_postgres_batched_cases_per_s": round(batched, 1),
        "service_to_raw_ratio": round(service / raw, 2),
        "service_batched_to_raw_ratio": round(service_batched / raw, 2),
        "measured_at": datetime.now(UTC).isoformat(),
    }


async def run() -> str:
    """The Markdown section `python -m bench` collects."""
    figures = await main(1000, 1)
    return "\n".join(
        [
            "## Cases opened from a backlog of FormSubmitted (one instance)",
            "",
            f"- {figures['service_cases_per_s']} cases/s through the service "
            f"({figures['service_batched_cases_per_s']}/s with `consumer_batch_size` 100, "
            f"service/raw {figures['service_batched_to_raw_ratio']}); raw PostgreSQL with "
            f"the same rows: {figures['raw_postgres_cases_per_s']}/s one transaction per case, "
            f"{figures['raw_postgres_batched_cases_per_s']}/s 500 per transaction "
            f"(service/raw {figures['service_to_raw_ratio']})",
            "",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--instances", type=int, default=1, help="consumers in the group")
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.events, arguments.instances))))
