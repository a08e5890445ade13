"""`python -m cases load-demo [FILE]`: the demo district's residents as resident records.

Writes in batches (one transaction each) through the outbox, so the service's relay announces
them on `residents.v1` (now if it runs, else when it starts). Progress goes to stderr, the
counts to stdout as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path

from civic_runtime import db, migrations
from civic_runtime.uow import unit_of_work
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cases.adapters.district_file import DEFAULT_DISTRICT_FILE, read_district
from cases.config import MIGRATIONS_DIR, CasesSettings
from cases.service_layer.demo_residents import DemoLoadCounts, load_demo_residents


async def load_demo(
    settings: CasesSettings, path: Path, *, batch_size: int = 250, show_progress: bool = True
) -> DemoLoadCounts:
    district = read_district(path)
    households = {household.uprn: household for household in district.households}
    if settings.migrate_on_start:
        await migrations.upgrade_async(MIGRATIONS_DIR, settings.database_url)
    engine = db.create_engine(settings)
    session_factory = db.create_session_factory(engine)
    counts = DemoLoadCounts()
    residents = district.residents
    errors = Console(file=sys.stderr, highlight=False)
    bar = Progress(
        TextColumn("demo residents"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        disable=not (show_progress and errors.is_terminal),
    )
    try:
        with bar:
            task = bar.add_task("residents", total=len(residents))
            for start in range(0, len(residents), batch_size):
                batch = residents[start : start + batch_size]
                async with unit_of_work(session_factory) as uow:
                    done = await load_demo_residents(
                        uow,
                        residents=batch,
                        households=households,
                        consent_source=f"demo district (seed {district.seed})",
                    )
                counts.add(done)
                bar.advance(task, len(batch))
                if show_progress and not errors.is_terminal:
                    errors.print(f"demo residents: {start + len(batch)} of {len(residents)}")
    finally:
        await engine.dispose()
    return counts


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="cases load-demo",
        description="Upsert the demo district's residents (idempotent) and announce them.",
    )
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_DISTRICT_FILE)
    parser.add_argument("--batch-size", type=int, default=250)
    args = parser.parse_args(argv)
    if not args.file.exists():
        parser.error(f"{args.file} not found: run `python -m civic_simulators.district` first")
    counts = asyncio.run(load_demo(CasesSettings(), args.file, batch_size=args.batch_size))
    sys.stdout.write(json.dumps({"file": str(args.file), **asdict(counts)}) + "\n")
