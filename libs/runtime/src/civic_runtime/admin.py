"""Kafka topic administration: every topic of the registry and its `.dlq` twin, created idempotently.

`python -m civic_runtime.admin ensure-topics` is what `make infra-up` runs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from civic_events.topics import ALL_TOPICS

from civic_runtime.cli import OperatorParser, require

_TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(
    bootstrap_servers: str, names: Iterable[tuple[str, int]], *, replication_factor: int = 1
) -> list[str]:
    """Create the topics that are missing; answer the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="civic-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)
            for name, partitions in names
            if name not in existing
        ]
        if not wanted:
            return []
        response = await admin.create_topics(wanted)
        for topic_error in getattr(response, "topic_errors", []):
            name, code = topic_error[0], topic_error[1]
            if code not in (0, _TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"could not create topic {name}: error code {code}")
        return [topic.name for topic in wanted]
    finally:
        await admin.close()


def registry_topics(prefix: str = "", partitions: int | None = None) -> list[tuple[str, int]]:
    """Every topic of the registry and its `.dlq`, with `prefix`, and their partition counts."""
    return [
        (prefix + name, partitions or topic.partitions)
        for topic in ALL_TOPICS
        for name in (topic.name, topic.dlq)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = OperatorParser(prog="civic_runtime.admin")
    parser.add_argument("command", choices=["ensure-topics"])
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
    )
    parser.add_argument("--prefix", default=os.environ.get("KAFKA_TOPIC_PREFIX", ""))
    args = parser.parse_args(argv)
    require(parser.prog, kafka_bootstrap_servers=args.bootstrap_servers)
    created = asyncio.run(ensure_topics(args.bootstrap_servers, registry_topics(args.prefix)))
    print(f"topics: {len(registry_topics())} in the registry, {len(created)} created")


if __name__ == "__main__":
    main()
