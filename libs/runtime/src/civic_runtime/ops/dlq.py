"""Dead letters: list what is on a topic's `.dlq`, and redrive them back to the topic.

Redriving is safe to repeat: every consumer applies an event at most once, by its event id (the
inbox), so a message redriven twice has one effect. A redrive keeps its place in a consumer group
of its own, committed after each publish, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from civic_events.envelope import KafkaRecord

from civic_runtime.ops.errors import UsageError
from civic_runtime.ops.kafka import Cluster, admin, consumer, partitions_of, scan
from civic_runtime.producer import DLQ_HEADER_PREFIX, EventProducer
from civic_runtime.progress import NoProgress, ProgressSink

REDRIVEN_FROM = "redriven-from"
# Headers shown by `dlq list` besides the `dlq-*` ones: what the event is, never what it says.
_DESCRIBING_HEADERS = ("ce_type", "ce_id", REDRIVEN_FROM)
_LISTED_OFFSETS_LIMIT = 1000


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    timestamp: datetime
    key: str | None
    dlq: dict[str, str]
    event_type: str | None
    event_id: str | None
    redriven_from: str | None
    body: str | None = None

    @property
    def reason(self) -> str | None:
        return self.dlq.get("reason")


def dead_letter(record: ConsumerRecord[bytes, bytes], *, show_body: bool) -> DeadLetter:
    headers = _headers(record.headers)
    return DeadLetter(
        partition=record.partition,
        offset=record.offset,
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=record.key.decode(errors="replace") if record.key else None,
        dlq={
            name.removeprefix(DLQ_HEADER_PREFIX): value
            for name, value in headers.items()
            if name.startswith(DLQ_HEADER_PREFIX)
        },
        event_type=headers.get("ce_type"),
        event_id=headers.get("ce_id"),
        redriven_from=headers.get(REDRIVEN_FROM),
        body=(record.value or b"").decode(errors="replace") if show_body else None,
    )


def _headers(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    return {name: (value or b"").decode(errors="replace") for name, value in headers}


@dataclass(frozen=True)
class Listing:
    dlq_topic: str
    total: int
    dead_letters: list[DeadLetter]


async def list_dead_letters(
    cluster: Cluster,
    topic: str,
    *,
    limit: int,
    reason: str | None = None,
    show_body: bool = False,
) -> Listing:
    dlq_topic = cluster.dlq(topic)
    async with admin(cluster) as admin_client:
        partitions = await partitions_of(admin_client, dlq_topic)
    async with consumer(cluster) as client:
        starts = await client.beginning_offsets(partitions)
        ends = await client.end_offsets(partitions)
        found: list[DeadLetter] = []
        if limit > 0:
            async for record in scan(client, starts, ends):
                letter = dead_letter(record, show_body=show_body)
                if reason is None or letter.reason == reason:
                    found.append(letter)
                    if len(found) >= limit:
                        break
    total = sum(ends[tp] - starts[tp] for tp in partitions)
    return Listing(dlq_topic=dlq_topic, total=total, dead_letters=found)


@dataclass(frozen=True)
class RedriveRequest:
    topic: str
    offsets: frozenset[tuple[int, int]] | None = None
    reason: str | None = None
    redrive_all: bool = False
    dry_run: bool = False
    from_beginning: bool = False

    def check(self) -> None:
        if self.redrive_all and (self.offsets or self.reason):
            raise UsageError("--all redrives everything: do not combine it with --offsets/--reason")
        if not (self.redrive_all or self.offsets or self.reason):
            raise UsageError("say which dead letters: --all, --offsets P:O,… or --reason REASON")

    def progress_group(self, dlq_topic: str) -> str | None:
        """The consumer group keeping this redrive's place; None for a list of offsets.

        One group per selection: a run redriving only one reason must not move the place of a
        later `--all` past the messages it skipped.
        """
        if self.offsets:
            return None
        group = f"ops-redrive.{dlq_topic}"
        return f"{group}.reason-{self.reason}" if self.reason else group

    def selects(self, letter: DeadLetter) -> bool:
        if self.offsets is not None and (letter.partition, letter.offset) not in self.offsets:
            return False
        return self.reason is None or letter.reason == self.reason


@dataclass
class RedriveReport:
    topic: str
    dlq_topic: str
    progress_group: str | None
    dry_run: bool
    scanned: int = 0
    redriven: int = 0
    skipped: int = 0
    offsets: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    resumed_from: dict[int, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "dlq_topic": self.dlq_topic,
            "progress_group": self.progress_group,
            "dry_run": self.dry_run,
            "scanned": self.scanned,
            "redriven": self.redriven,
            "skipped": self.skipped,
            "offsets": self.offsets[:_LISTED_OFFSETS_LIMIT],
            "offsets_truncated": len(self.offsets) > _LISTED_OFFSETS_LIMIT,
            "missing": self.missing,
            "started_at": {str(p): o for p, o in sorted(self.resumed_from.items())},
        }


def redriven(record: ConsumerRecord[bytes, bytes], *, topic: str) -> KafkaRecord:
    """The original record again: its key, body and headers, less the `dlq-*` ones, plus where
    it was redriven from."""
    headers = [
        (name, value or b"")
        for name, value in record.headers
        if not name.startswith(DLQ_HEADER_PREFIX) and name != REDRIVEN_FROM
    ]
    headers.append((REDRIVEN_FROM, f"{record.topic}:{record.partition}:{record.offset}".encode()))
    return KafkaRecord(
        topic=topic, key=record.key or b"", value=record.value or b"", headers=headers
    )


async def redrive(
    cluster: Cluster, request: RedriveRequest, *, progress: ProgressSink | None = None
) -> RedriveReport:
    request.check()
    progress = progress or NoProgress()
    target, dlq_topic = cluster.topic(request.topic), cluster.dlq(request.topic)
    group = request.progress_group(dlq_topic)
    report = RedriveReport(
        topic=target, dlq_topic=dlq_topic, progress_group=group, dry_run=request.dry_run
    )
    async with admin(cluster) as admin_client:
        partitions = await partitions_of(admin_client, dlq_topic)
    async with consumer(cluster, group_id=group) as client:
        beginnings = await client.beginning_offsets(partitions)
        ends = await client.end_offsets(partitions)
        starts = await _starts(client, request, partitions, beginnings, ends)
        report.resumed_from = {tp.partition: offset for tp, offset in starts.items()}
        progress.start(sum(max(ends[tp] - start, 0) for tp, start in starts.items()))

        producer = None
        if not request.dry_run:
            producer = EventProducer(
                bootstrap_servers=cluster.bootstrap_servers, client_id="civic-ops"
            )
            await producer.start()
        try:
            seen: set[tuple[int, int]] = set()
            async for record in scan(client, starts, ends):
                seen.add((record.partition, record.offset))
                report.scanned += 1
                if request.selects(dead_letter(record, show_body=False)):
                    if producer is not None:
                        await producer.send(redriven(record, topic=target))
                    report.redriven += 1
                    report.offsets.append(f"{record.partition}:{record.offset}")
                else:
                    report.skipped += 1
                if group is not None and not request.dry_run:
                    # After the publish is acknowledged: an interruption costs at most one
                    # message sent twice, which the consumers' inbox absorbs.
                    tp = TopicPartition(record.topic, record.partition)
                    await client.commit({tp: OffsetAndMetadata(record.offset + 1, "")})
                progress.advance()
        finally:
            if producer is not None:
                await producer.stop()
    if request.offsets is not None:
        report.missing = [f"{p}:{o}" for p, o in sorted(request.offsets - seen)]
    return report


async def _starts(
    client: Any,
    request: RedriveRequest,
    partitions: list[TopicPartition],
    beginnings: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
) -> dict[TopicPartition, int]:
    if request.offsets is not None:
        by_number = {tp.partition: tp for tp in partitions}
        unknown = sorted({p for p, _ in request.offsets} - set(by_number))
        if unknown:
            raise UsageError(f"{partitions[0].topic} has no partition {unknown[0]}")
        starts: dict[TopicPartition, int] = {}
        for partition, offset in request.offsets:
            tp = by_number[partition]
            starts[tp] = min(starts.get(tp, offset), offset)
        for tp in partitions:
            wanted = [o for p, o in request.offsets if p == tp.partition]
            # Scan only up to the last wanted offset of each partition, within what exists.
            ends[tp] = min(ends[tp], max(wanted) + 1) if wanted else beginnings[tp]
            starts[tp] = max(starts.get(tp, beginnings[tp]), beginnings[tp])
        return starts
    if request.from_beginning:
        return dict(beginnings)
    starts = {}
    for tp in partitions:
        committed = await client.committed(tp)
        starts[tp] = max(committed, beginnings[tp]) if committed is not None else beginnings[tp]
    return starts


def parse_offsets(text: str) -> frozenset[tuple[int, int]]:
    """`0:12,1:3` → {(0, 12), (1, 3)}."""
    selected: set[tuple[int, int]] = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        partition, sep, offset = item.partition(":")
        if not sep or not partition.isdigit() or not offset.isdigit():
            raise UsageError(f"--offsets wants PARTITION:OFFSET pairs like 0:12,1:3, not {item!r}")
        selected.add((int(partition), int(offset)))
    if not selected:
        raise UsageError("--offsets is empty")
    return frozenset(selected)
