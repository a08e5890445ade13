"""`python -m bench [NAME …]`: run the benchmarks (default: all of them, in order) and, after a
full run, write bench/results/latest.md.

Each benchmark's name is printed as it starts and its figures as soon as it ends (stdout); while
it runs, its current phase and the time spent show on stderr (a spinner on a terminal, else a
line every 30 s).
"""

from __future__ import annotations

import asyncio
import platform
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import uvloop
from civic_runtime.cli import OperatorParser
from civic_runtime.progress import ProgressSink, show_progress
from rich.console import Console

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
# Off a terminal (a CI log), a line this often: a benchmark takes minutes, its phases tens of s.
LINE_EVERY_S = 30.0


class Benchmark(Protocol):
    """A benchmark module: `run` answers its Markdown section and names its phases as it goes."""

    async def run(self, progress: ProgressSink | None = None) -> str: ...


BENCHMARKS: dict[str, Benchmark] = {
    "outbox_latency": outbox_latency,
    "consumer_throughput": consumer_throughput,
    "intake_submissions": intake_submissions,
    "cases_opened": cases_opened,
    "notify_delivery": notify_delivery,
}


async def run_benchmarks(
    benchmarks: Mapping[str, Benchmark],
    *,
    settle_s: float = SETTLE_S,
    progress_console: Console | None = None,
) -> list[str]:
    """Each benchmark in turn; its section is printed as soon as it is known."""
    sections: list[str] = []
    for number, (name, benchmark) in enumerate(benchmarks.items(), 1):
        if sections:
            with show_progress(
                f"settling for {settle_s:g} s",
                counted=False,
                console=progress_console,
                transient=True,
                every_s=LINE_EVERY_S,
            ):
                await asyncio.sleep(settle_s)
        print(f"\n▶ {name} ({number} of {len(benchmarks)})", flush=True)
        started = time.monotonic()
        with show_progress(
            name, counted=False, console=progress_console, transient=True, every_s=LINE_EVERY_S
        ) as progress:
            section = await benchmark.run(progress=progress)
        print(f"\n{section}\n({name}: {time.monotonic() - started:.0f} s)", flush=True)
        sections.append(section)
    return sections


def _chosen(argv: list[str] | None) -> dict[str, Benchmark]:
    parser = OperatorParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"some of {', '.join(BENCHMARKS)} (default: all)"
    )
    names = parser.parse_args(argv).names
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark {unknown[0]!r}: the benchmarks are {', '.join(BENCHMARKS)}")
    return {name: BENCHMARKS[name] for name in names} if names else BENCHMARKS


async def main(argv: list[str] | None = None) -> None:
    chosen = _chosen(argv)
    sections = await run_benchmarks(chosen)
    if chosen is not BENCHMARKS:
        return  # a partial run's figures are not the results of record
    header = (
        f"# Benchmark results\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()}, Python {platform.python_version()}, local single-node Kafka and "
        "PostgreSQL (`make infra-up`).\n"
    )
    RESULTS.write_text("\n".join([header, *sections]))
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    # The event loop the services run on when deployed (uvicorn's "auto" picks uvloop): the
    # benchmarks that run a service in this process measure it as it runs.
    uvloop.run(main())
