"""`python -m bench`: run every benchmark and write bench/results/latest.md."""

from __future__ import annotations

import asyncio
import platform
from datetime import UTC, datetime
from pathlib import Path

import uvloop

from bench import (
    cases_opened,
    consumer_throughput,
    intake_submissions,
    notify_delivery,
    outbox_latency,
)

RESULTS = Path(__file__).parent / "results" / "latest.md"


# Between two benchmarks: what the previous one left to the broker and the database (deleted
# topics' files, dropped databases, checkpoints) is done before the next one measures.
SETTLE_S = 15


async def main() -> None:
    sections: list[str] = []
    for benchmark in (
        outbox_latency,
        consumer_throughput,
        intake_submissions,
        cases_opened,
        notify_delivery,
    ):
        if sections:
            await asyncio.sleep(SETTLE_S)
        sections.append(await benchmark.run())
    header = (
        f"# Benchmark results\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()}, Python {platform.python_version()}, local single-node Kafka and "
        "PostgreSQL (`make infra-up`).\n"
    )
    RESULTS.write_text("\n".join([header, *sections]))
    print(RESULTS.read_text())


if __name__ == "__main__":
    # The event loop the services run on when deployed (uvicorn's "auto" picks uvloop): the
    # benchmarks that run a service in this process measure it as it runs.
    uvloop.run(main())
