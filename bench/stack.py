"""A throwaway database and topic prefix on the local stack, and a runtime built on them."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient
from civic_runtime.admin import ensure_topics, registry_topics
from civic_runtime.app import build_runtime, create_service
from civic_runtime.consumers import EventHandlers
from civic_runtime.settings import ServiceSettings
from civic_runtime.topic_sessions import LOCK_FOLDER, TopicSession, delete_topics, sweep_stale
from fastapi import FastAPI
from intake.bootstrap import MIGRATIONS_DIR
from sqlalchemy.ext.asyncio import create_async_engine

KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
ADMIN_DATABASE = os.environ.get(
    "DATABASE_URL", "postgresql+asyncpg://civic:civic@127.0.0.1:5432/postgres"
)
# The tests' lock folder: a test session and a benchmark run each delete the topics the other
# left when it was killed, and neither touches those of one still running.
TOPIC_SESSIONS = Path(__file__).resolve().parents[1] / LOCK_FOLDER
_topic_session: TopicSession | None = None


async def new_topic_prefix() -> str:
    """A topic prefix of this run's topic session; the caller creates and deletes the topics.

    The first call claims the session and deletes the topics of killed runs and test sessions."""
    global _topic_session
    if _topic_session is None:
        _topic_session = TopicSession.claim(TOPIC_SESSIONS, label="bench")
        atexit.register(_topic_session.end)
        await sweep_stale(KAFKA, TOPIC_SESSIONS)
    return _topic_session.new_prefix()


@asynccontextmanager
async def scratch() -> AsyncIterator[tuple[str, str]]:
    """A new database and a topic prefix (2 partitions per topic); both the database and the
    topics are removed after, so the shared broker keeps no benchmark's topics."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    prefix = await new_topic_prefix()
    admin = create_async_engine(
        ADMIN_DATABASE, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    topics = [topic for topic, _ in registry_topics(prefix, partitions=2)]
    try:
        await ensure_topics(KAFKA, registry_topics(prefix, partitions=2))
        url = sa.make_url(ADMIN_DATABASE).set(database=name).render_as_string(hide_password=False)
        yield url, prefix
    finally:
        try:
            async with admin.connect() as connection:
                await drop_database(connection, name)
            await admin.dispose()
        finally:
            await delete_topics(KAFKA, topics)


async def drop_database(connection: Any, name: str | None) -> None:
    """Drop a benchmark database. PostgreSQL 15 refuses `WITH (FORCE)` while an autovacuum worker
    is in it ("must be a member of the role whose process is being terminated"): wait for it."""
    for attempt in range(20):
        try:
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except sa.exc.DBAPIError:
            if attempt == 19:
                raise
            await asyncio.sleep(0.5)


@asynccontextmanager
async def services(
    service: str, settings: dict[str, str], count: int
) -> AsyncIterator[list[tuple[asyncio.subprocess.Process, int]]]:
    """`count` processes of `python -m <service> serve` (`start_service`), started one after the
    other, each with its port; all stopped after, also when one fails to start."""
    started: list[tuple[asyncio.subprocess.Process, int]] = []
    try:
        for _ in range(count):
            started.append(await start_service(service, settings))
        yield started
    finally:
        await stop_processes([process for process, _port in started])


async def stop_processes(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        await asyncio.wait_for(process.wait(), timeout=30)


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_service(
    service: str, settings: dict[str, str]
) -> tuple[asyncio.subprocess.Process, int]:
    """`python -m <service> serve` as deployed (uvicorn, uvloop), configured by `settings` (names
    without the service's prefix) on a free port: the process and its port, once it is ready."""
    port = free_port()
    prefix = service.upper() + "_"
    env = {
        **os.environ,
        **{prefix + name: value for name, value in settings.items()},
        prefix + "ENVIRONMENT": "test",
        prefix + "KAFKA_BOOTSTRAP_SERVERS": KAFKA,
        prefix + "HTTP_PORT": str(port),
        prefix + "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", service, "serve", env=env)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe:
        for _ in range(600):
            with contextlib.suppress(httpx.TransportError):
                if (await probe.get("/readyz")).status_code == 200:
                    return process, port
            if process.returncode is not None:
                break
            await asyncio.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"{service} on port {port} did not become ready")


async def group_stable(group: str, *, members: int, timeout_s: float = 60) -> None:
    """Wait until the consumer group `group` is stable with `members` members: every instance
    has its partitions, so no rebalance stops the consumers in the middle of a measure."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, client_id="bench-group")
    await admin.start()
    try:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            for response in await admin.describe_consumer_groups([group]):
                for (
                    _error,
                    group_id,
                    state,
                    _protocol_type,
                    _protocol,
                    found,
                    *_,
                ) in response.groups:
                    if group_id == group and state == "Stable" and len(found) == members:
                        return
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    raise RuntimeError(f"the consumer group {group} did not become stable with {members} members")


def settings(database_url: str, prefix: str, **overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "service_name": "bench",
        "environment": "test",
        "database_url": database_url,
        "kafka_bootstrap_servers": KAFKA,
        "topic_prefix": prefix,
        "consumer_group": f"{prefix}bench",
        "log_level": "WARNING",
    }
    values.update(overrides)
    return ServiceSettings(**values)


def app(service_settings: ServiceSettings, handlers: EventHandlers | None = None) -> FastAPI:
    # Any service's migrations create the runtime's tables; intake's are the smallest.
    return create_service(
        build_runtime(service_settings, handlers=handlers),
        title="bench",
        description="benchmark",
        migrations_dir=MIGRATIONS_DIR,
    )


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    cuts = statistics.quantiles(ordered, n=100)
    return (
        f"p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms, "
        f"max {ordered[-1]:.1f} ms (n={len(ordered)})"
    )


class CpuMeter:
    """Where the cores go: CPU seconds (user + system, Linux /proc) used since `start` by the
    local PostgreSQL (every backend, so other work on the shared server counts too, and those
    that exited meanwhile through what the postmaster reaped), the local Kafka and the processes
    named in `groups`."""

    def __init__(self, **groups: list[int]) -> None:
        self._groups = {
            "postgres": _pids_of("postgres"),
            "kafka": _pids_of("kafka.Kafka"),
            **groups,
        }
        self._started = self._seconds()

    def _seconds(self) -> dict[str, float]:
        self._groups["postgres"] = sorted(set(self._groups["postgres"]) | set(_pids_of("postgres")))
        return {
            name: _cpu_seconds(pids, reaped=name == "postgres")
            for name, pids in self._groups.items()
        }

    def ms_per(self, items: int) -> dict[str, float]:
        """Each group's CPU milliseconds per item since `start`."""
        now = self._seconds()
        return {name: round((now[name] - self._started[name]) * 1000 / items, 3) for name in now}


def _cpu_seconds(pids: list[int], *, reaped: bool) -> float:
    """User + system CPU time the processes have used so far, with their reaped children's."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a PostgreSQL backend that has exited since
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if reaped:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / ticks


def _pids_of(pattern: str) -> list[int]:
    """Processes whose command line contains `pattern`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    if pattern.encode() in cmdline.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found
