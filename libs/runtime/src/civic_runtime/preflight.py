"""Before a command does any work: do the database and the Kafka cluster it needs answer?

Asked first, a command can say in one line what did not answer and how to start it; found out
later, the failure comes from deep inside a driver, as a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from sqlalchemy.ext.asyncio import create_async_engine

TIMEOUT_S = 5.0
START_INFRASTRUCTURE = "locally, start it with `make infra-up` (or everything with `make up`)"


class Unreachable(Exception):
    """Something a command needs did not answer; the message is one line that says what."""


def database_address(database_url: str) -> str:
    """`host:port/database`: where, without the user and password."""
    url = sa.make_url(database_url)
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


async def check_database(database_url: str, *, timeout_s: float = TIMEOUT_S) -> None:
    engine = create_async_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        async with asyncio.timeout(timeout_s), engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
    # Whatever stops `SELECT 1` (refused, unknown host, password, no such database) means the
    # command cannot work: each is reported by its own first line.
    except Exception as exc:
        raise Unreachable(
            f"cannot reach PostgreSQL at {database_address(database_url)} ({reason(exc)}); "
            f"{START_INFRASTRUCTURE}"
        ) from exc
    finally:
        await engine.dispose()


async def check_kafka(bootstrap_servers: str, *, timeout_s: float = TIMEOUT_S) -> None:
    client = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=int(timeout_s * 1000)
    )
    try:
        with _aiokafka_quiet():
            async with asyncio.timeout(timeout_s):
                await client.start()
    except Exception as exc:
        raise Unreachable(
            f"cannot reach Kafka at {bootstrap_servers} ({reason(exc)}); {START_INFRASTRUCTURE}"
        ) from exc
    finally:
        await client.close()


async def check(
    *, database_url: str | None = None, kafka_bootstrap_servers: str | None = None
) -> None:
    if database_url is not None:
        await check_database(database_url)
    if kafka_bootstrap_servers is not None:
        await check_kafka(kafka_bootstrap_servers)


def reason(exc: BaseException) -> str:
    """An exception's message as a few words: its first line, without a driver's class prefix."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, KafkaConnectionError):
        return "no broker answered"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    # asyncpg tries each address of a host name and reports them all in one OSError.
    if isinstance(exc, ConnectionRefusedError) or "Connect call failed" in str(exc):
        return "connection refused"
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    if first.startswith("(") and ") " in first:
        first = first.split(") ", 1)[1]
    return first


@contextmanager
def _aiokafka_quiet() -> Iterator[None]:
    # aiokafka logs each refused connection with a traceback; the refusal is reported once, above.
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
