"""The Kafka producer every service publishes through: idempotent, acks=all, keyed by case reference."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
)
from civic_events.envelope import KafkaRecord

DLQ_HEADER_PREFIX = "dlq-"
"""A dead letter carries the record's own headers and these: `dlq-reason`, `dlq-error`, …"""

# Errors about the record itself: the client or the broker will refuse it however often it is
# sent. Everything else (a timeout, a lost connection, a missing topic, a broker refusing every
# record, such as for authorisation) is about the cluster, and passes.
_REFUSED_FOR_GOOD = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    CorruptRecordException,
)


def refused_for_good(error: BaseException) -> bool:
    """Whether sending the same record again would be refused again."""
    return isinstance(error, _REFUSED_FOR_GOOD)


class EventProducer:
    """Thin wrapper over aiokafka with the platform's durability settings.

    `send_many` pipelines: it hands every record to the client before awaiting any acknowledgement,
    so a batch costs one round trip, and records of one key keep their order (idempotence on).
    """

    def __init__(self, *, bootstrap_servers: str, client_id: str, linger_ms: int = 5) -> None:
        self._options = {
            "bootstrap_servers": bootstrap_servers,
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": linger_ms,
            "request_timeout_ms": 15_000,
        }
        self._client: AIOKafkaProducer | None = None

    @property
    def _producer(self) -> AIOKafkaProducer:
        if self._client is None:
            raise RuntimeError("the producer is not started")
        return self._client

    async def start(self) -> None:
        # aiokafka binds its client to the running event loop: create it here, not in __init__.
        if self._client is None:
            client = AIOKafkaProducer(**self._options)
            await client.start()
            self._client = client

    async def stop(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.flush()
            await client.stop()

    async def send(self, record: KafkaRecord) -> None:
        await self.send_many([record])

    async def send_many(self, records: Sequence[KafkaRecord]) -> None:
        futures = [
            await self._producer.send(
                record.topic, value=record.value, key=record.key, headers=list(record.headers)
            )
            for record in records
        ]
        if futures:
            await asyncio.gather(*futures)

    async def send_each(self, records: Sequence[KafkaRecord]) -> list[BaseException | None]:
        """Pipeline `records` as `send_many` does, and give each one's outcome: None once Kafka
        has acknowledged it, or its error. A record refused for good does not stop the ones after
        it; any other error does (the client waits up to its request timeout for each record, so
        in an outage the rest are not tried: they get that error too)."""
        outcomes: list[BaseException | None] = [None] * len(records)
        in_flight: list[tuple[int, asyncio.Future[object]]] = []
        for index, record in enumerate(records):
            try:
                future = await self._producer.send(
                    record.topic, value=record.value, key=record.key, headers=list(record.headers)
                )
            except Exception as exc:
                outcomes[index] = exc
                if refused_for_good(exc):
                    continue
                outcomes[index + 1 :] = [exc] * (len(records) - index - 1)
                break
            in_flight.append((index, future))
        acknowledged = await asyncio.gather(*(f for _, f in in_flight), return_exceptions=True)
        for (index, _), outcome in zip(in_flight, acknowledged, strict=True):
            if isinstance(outcome, BaseException):
                outcomes[index] = outcome
        return outcomes

    async def ping(self) -> None:
        await self._producer.client.fetch_all_metadata()
