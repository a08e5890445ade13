"""The Kafka producer every service publishes through: idempotent, acks=all, keyed by case reference."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from civic_events.envelope import KafkaRecord


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

    async def ping(self) -> None:
        await self._producer.client.fetch_all_metadata()
