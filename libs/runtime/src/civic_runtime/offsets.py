"""Offset commits, coalesced: a record's offset is committed only after its transaction, but not
one round trip per record (a commit to a local broker costs several milliseconds).

Offsets of finished records collect per consumer and are committed every `interval_s` by a
background task. Once `close()` has begun (shutdown), every finished record commits at once, so
records that finish during the graceful stop are committed before their consumer closes. A commit
lost to a crash or a rebalance only means redelivery, which the inbox turns into a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

logger = logging.getLogger(__name__)


class OffsetCommitter:
    def __init__(self, *, interval_s: float = 0.1) -> None:
        self._interval_s = interval_s
        self._pending: dict[AIOKafkaConsumer, dict[TopicPartition, int]] = {}
        self._lock = asyncio.Lock()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="offset-committer")

    async def done(self, consumer: AIOKafkaConsumer, record: Any) -> None:
        """`record` is finished (applied, a duplicate, ignored or dead-lettered)."""
        partition = TopicPartition(record.topic, record.partition)
        offsets = self._pending.setdefault(consumer, {})
        offsets[partition] = max(offsets.get(partition, 0), record.offset + 1)
        if self._closing or self._interval_s == 0:
            await self.flush()

    async def close(self) -> None:
        """Commit what is pending; from now on commit each record as it finishes."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            pending, self._pending = self._pending, {}
            for consumer, offsets in pending.items():
                try:
                    await consumer.commit(offsets)
                except KafkaError as exc:
                    # The partitions may have moved to another member: it will see these records
                    # again, and the inbox makes that harmless.
                    logger.warning("offset commit failed (%s): %s", type(exc).__name__, exc)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.flush()
            except Exception:
                logger.exception("offset commit loop failed; retrying")
