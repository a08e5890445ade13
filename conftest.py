"""Fixtures shared by every test in the repository: real Kafka and PostgreSQL, isolated per test.

Where the infrastructure comes from, in order:
1. `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` when both are set (an existing stack);
2. testcontainers, when a Docker engine answers;
3. the project's own local stack (`scripts/infra/up.sh`), started on demand.
Each test gets its own database (created empty, dropped after) and its own topic prefix (its topics
deleted after it; those of a session that was killed, by the next session).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

if TYPE_CHECKING:
    from civic_runtime.topic_sessions import TopicSession

ROOT = Path(__file__).resolve().parent
LOCAL_KAFKA = "127.0.0.1:9092"
LOCAL_DATABASE = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    admin_database_url: str  # a database on the server we may connect to in order to create others


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    kafka, database = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka and database:
        yield Infrastructure(kafka, database)
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        with (
            KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka_container,
            PostgresContainer("postgres:15", driver="asyncpg") as postgres,
        ):
            yield Infrastructure(
                kafka_container.get_bootstrap_server(), postgres.get_connection_url()
            )
        return
    subprocess.run([str(ROOT / "scripts" / "infra" / "up.sh")], check=True)
    yield Infrastructure(LOCAL_KAFKA, LOCAL_DATABASE)


async def drop_database(admin: Any, name: str) -> None:
    """Drop a test database, even while an autovacuum worker visits it.

    WITH (FORCE) may not terminate a backend of another role (an autovacuum worker runs as the
    superuser), so a refusal is retried for a few seconds.
    """
    for attempt in range(20):
        try:
            async with admin.connect() as connection:
                await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except sa.exc.DBAPIError:
            if attempt == 19:
                raise
            await asyncio.sleep(0.25)


@pytest.fixture
async def new_database(
    infrastructure: Infrastructure,
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Make new, empty databases for this test alone; they are dropped after it."""
    admin = create_async_engine(
        infrastructure.admin_database_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    names: list[str] = []

    async def create() -> str:
        name = f"test_{uuid.uuid4().hex[:16]}"
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        names.append(name)
        url = sa.make_url(infrastructure.admin_database_url).set(database=name)
        return url.render_as_string(hide_password=False)

    try:
        yield create
    finally:
        for name in names:
            await drop_database(admin, name)
        await admin.dispose()


@pytest.fixture
async def database_url(new_database: Callable[[], Awaitable[str]]) -> str:
    """A new, empty database for this test alone."""
    return await new_database()


@pytest.fixture(scope="session")
async def topic_session(infrastructure: Infrastructure) -> AsyncIterator[TopicSession]:
    """This session's claim on its topics (see `civic_runtime.topic_sessions`).

    Before the first topic, the topics of sessions that did not live to delete theirs (killed,
    Ctrl-C twice) are deleted; sessions running now keep theirs. At the end, this session's own.
    """
    from civic_runtime.topic_sessions import LOCK_FOLDER, TopicSession, sweep_stale

    bootstrap = infrastructure.kafka_bootstrap_servers
    session = TopicSession.claim(ROOT / LOCK_FOLDER, label="t")
    try:
        await sweep_stale(bootstrap, ROOT / LOCK_FOLDER)
        yield session
        await session.delete_own_topics(bootstrap)
    finally:
        session.end()


@pytest.fixture
async def topic_prefix(
    infrastructure: Infrastructure, topic_session: TopicSession
) -> AsyncIterator[str]:
    """A unique prefix with every registry topic (and `.dlq`) created under it, 2 partitions each;
    they are deleted after the test."""
    from civic_runtime.admin import ensure_topics, registry_topics
    from civic_runtime.topic_sessions import delete_topics

    prefix = topic_session.new_prefix()
    topics = [name for name, _ in registry_topics(prefix, partitions=2)]
    try:
        await ensure_topics(
            infrastructure.kafka_bootstrap_servers, registry_topics(prefix, partitions=2)
        )
        yield prefix
    finally:
        await delete_topics(infrastructure.kafka_bootstrap_servers, topics)


@pytest.fixture
def read_records(infrastructure: Infrastructure) -> Callable[..., Awaitable[list[Any]]]:
    """Read at least `count` records from `topic` (from the beginning), or fail after `timeout`."""

    async def read(topic: str, count: int, *, timeout: float = 30.0) -> list[Any]:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=infrastructure.kafka_bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        records: list[Any] = []
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            while len(records) < count:
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(
                        f"{len(records)} of {count} records on {topic} in {timeout}s"
                    )
                batch = await consumer.getmany(timeout_ms=200)
                for partition_records in batch.values():
                    records.extend(partition_records)
        finally:
            await consumer.stop()
        return records

    return read


@pytest.fixture
def eventually() -> Callable[..., Awaitable[Any]]:
    """Poll `check` (sync or async) until it returns a truthy value or `timeout` passes."""

    async def wait(
        check: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.05
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            if loop.time() > deadline:
                raise AssertionError(f"condition not met within {timeout}s")
            await asyncio.sleep(interval)

    return wait
