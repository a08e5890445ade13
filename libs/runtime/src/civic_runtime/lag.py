"""Consumer lag, measured from inside the consumer: records behind each partition's end.

Every `interval_s` the monitor asks the broker for the end offsets of the partitions assigned to
this instance and for the group's committed offsets, and sums `end - committed` per topic into
`civic_consumer_lag{topic}`: a record still in its handler counts as behind, so a consumer stuck on
its last record shows a lag of 1, not 0. A partition the group has never committed falls back to
the consumer's position. The monitor runs as its own task and only awaits the consumer's client
(ListOffsets and OffsetFetch round trips), so consumption never waits for it. Summed over
instances, the gauge is the whole group's lag; topics this instance has no partitions of read 0,
so every subscribed topic has a series from the start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError

from civic_runtime.metrics import RuntimeMetrics
from civic_runtime.periodic import PeriodicJob

logger = logging.getLogger(__name__)


class ConsumerLagMonitor:
    def __init__(
        self,
        *,
        metrics: RuntimeMetrics,
        topics: Callable[[], Iterable[str]],
        consumer: Callable[[], AIOKafkaConsumer | None],
        interval_s: float = 5.0,
    ) -> None:
        self.interval_s = interval_s
        self._metrics = metrics
        self._topics = topics
        self._consumer = consumer
        self._job = PeriodicJob(
            name="consumer-lag", run_round=self._round, interval_s=lambda: self.interval_s
        )

    def start(self) -> None:
        for topic in self._topics():
            self._metrics.consumer_lag.labels(topic).set(0)
        self._job.start()

    async def stop(self) -> None:
        await self._job.stop()

    async def refresh(self) -> dict[str, int]:
        """Measure once and publish the gauge; returns the lag per topic."""
        lag = dict.fromkeys(self._topics(), 0)
        consumer = self._consumer()
        assigned: set[TopicPartition] = consumer.assignment() if consumer is not None else set()
        if consumer is not None and assigned:
            partitions = sorted(assigned)
            ends = await consumer.end_offsets(partitions)
            done = await asyncio.gather(*(self._done(consumer, tp) for tp in partitions))
            for partition, finished in zip(partitions, done, strict=True):
                if finished is not None:
                    behind = max(0, ends[partition] - finished)
                    lag[partition.topic] = lag.get(partition.topic, 0) + behind
        for topic, behind in lag.items():
            self._metrics.consumer_lag.labels(topic).set(behind)
        return lag

    @staticmethod
    async def _done(consumer: AIOKafkaConsumer, partition: TopicPartition) -> int | None:
        """The offset the group has finished up to: its commit, else the consumer's position."""
        committed: int | None = await asyncio.wait_for(consumer.committed(partition), timeout=5.0)
        if committed is not None:
            return committed
        # A partition just assigned has no position until it is reset: skip it this round.
        try:
            position: int = await asyncio.wait_for(consumer.position(partition), timeout=1.0)
        except (TimeoutError, IllegalStateError):
            return None
        return position

    async def _round(self) -> None:
        # The broker unreachable for a while is expected, and said without a traceback (other
        # failures get one, from the job).
        try:
            await self.refresh()
        except (KafkaError, OSError, TimeoutError) as exc:
            logger.warning("consumer lag not measured (%s): %s", type(exc).__name__, exc)
