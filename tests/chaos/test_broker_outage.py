"""The broker goes away and comes back: nothing committed is lost, nothing is applied twice.

Runs a private Kafka broker (its own port and state folder, the same jars) so that stopping it
disturbs no other test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.cases import CaseOpened
from civic_runtime.admin import ensure_topics, registry_topics
from civic_runtime.app import build_runtime, create_service
from civic_runtime.consumers import EventHandlers
from civic_runtime.settings import ServiceSettings
from civic_runtime.tables import OutboxMessage
from civic_runtime.uow import UnitOfWork
from intake.bootstrap import MIGRATIONS_DIR

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PORT, CONTROLLER_PORT = 19092, 19093


class PrivateBroker:
    def __init__(self) -> None:
        self.bootstrap = f"127.0.0.1:{PORT}"
        self.state_dir = ROOT / ".local" / "chaos-kafka"
        self._env = {
            **os.environ,
            "KAFKA_PORT": str(PORT),
            "KAFKA_CONTROLLER_PORT": str(CONTROLLER_PORT),
            "KAFKA_STATE_DIR": str(self.state_dir),
            "KAFKA_HEAP_OPTS": "-Xmx384m -Xms128m",
        }

    def _run(self, action: str) -> None:
        script = ROOT / "scripts" / "infra" / "kafka.sh"
        done = subprocess.run([str(script), action], env=self._env, capture_output=True, text=True)
        assert done.returncode == 0, f"kafka.sh {action} failed:\n{done.stdout}\n{done.stderr}"

    def up(self) -> None:
        try:
            self._run("up")
        except AssertionError:
            # A broker left half-stopped by an interrupted earlier run: stop it cleanly, once.
            self._run("down")
            self._run("up")

    def down(self) -> None:
        self._run("down")


@pytest.fixture(scope="module")
def broker(infrastructure: Any) -> Iterator[PrivateBroker]:
    private = PrivateBroker()
    private.up()
    try:
        yield private
    finally:
        private.down()
        # Start from an empty broker next time: topics piling up run after run slow its start.
        shutil.rmtree(private.state_dir, ignore_errors=True)


def case_opened(n: int) -> CaseOpened:
    return CaseOpened(
        source="cases",
        subject=f"WST-2026-{n:06d}",
        case_id=uuid.uuid4(),
        case_type="missed_bin",
        status="received",
    )


async def test_events_committed_while_the_broker_is_down_are_delivered_once_when_it_returns(
    broker: PrivateBroker, database_url: str, eventually: Any
) -> None:
    prefix = f"c{uuid.uuid4().hex[:8]}."
    await ensure_topics(broker.bootstrap, registry_topics(prefix, partitions=2))
    applied: list[uuid.UUID] = []
    handlers = EventHandlers()

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        applied.append(event.event_id)

    settings = ServiceSettings(
        service_name="chaos",
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        topic_prefix=prefix,
        consumer_group=f"{prefix}chaos",
        log_json=False,
        log_level="ERROR",
    )
    app = create_service(
        build_runtime(settings, handlers=handlers),
        title="chaos",
        description="",
        migrations_dir=MIGRATIONS_DIR,
    )
    runtime = app.state.runtime
    async with app.router.lifespan_context(app):
        before = [case_opened(n) for n in range(5)]
        for event in before:
            async with runtime.unit_of_work() as uow:
                await uow.stage(event)
        await eventually(lambda: len(applied) == 5)

        broker.down()
        during = [case_opened(n) for n in range(5, 25)]
        for event in during:  # the state changes still commit: the outbox holds their events
            async with runtime.unit_of_work() as uow:
                await uow.stage(event)
        async with runtime.engine.connect() as connection:
            unpublished = await connection.scalar(
                sa.select(sa.func.count()).where(OutboxMessage.__table__.c.published_at.is_(None))
            )
        assert unpublished == len(during)

        broker.up()
        await eventually(lambda: len(applied) >= 25, timeout=90)

    assert sorted(map(str, applied)) == sorted(str(e.event_id) for e in before + during)
