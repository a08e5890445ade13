import asyncio

import pytest
import sqlalchemy as sa
from aiokafka.errors import KafkaConnectionError
from civic_runtime.consumers import RetryPolicy, is_outage

pytestmark = pytest.mark.unit


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(initial_backoff_s=0.1, max_backoff_s=1.0)
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        delays = [policy.backoff(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)


def test_outage_backoff_has_its_own_ceiling() -> None:
    policy = RetryPolicy(initial_backoff_s=0.1, max_backoff_s=1.0, outage_max_backoff_s=8.0)
    assert policy.backoff(10, outage=True) > 1.0
    assert policy.backoff(10, outage=True) <= 8.0


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(),
        KafkaConnectionError(),
        sa.exc.InterfaceError("select 1", {}, Exception("connection is closed")),
        sa.exc.TimeoutError(),
    ],
)
def test_unreachable_infrastructure_is_an_outage(exc: BaseException) -> None:
    assert is_outage(exc)


def test_an_outage_is_recognised_through_the_cause_chain() -> None:
    try:
        try:
            raise ConnectionResetError("peer reset")
        except ConnectionResetError as inner:
            raise RuntimeError("while saving the case") from inner
    except RuntimeError as outer:
        assert is_outage(outer)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad status"),
        KeyError("x"),
        asyncio.InvalidStateError(),
        sa.exc.IntegrityError("x", {}, Exception()),
    ],
)
def test_a_handler_bug_is_not_an_outage(exc: BaseException) -> None:
    assert not is_outage(exc)
