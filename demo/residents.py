"""`python -m demo.residents [FILE] [--batch-size N]`: the demo district's residents imported
into cases as resident records.

Imports in batches (one transaction each) through cases' outbox, so its relay announces them on
`residents.v1` (now if cases runs, else when it starts). It runs with cases' settings (`CASES_*`).
Progress goes to stderr (the runtime's progress display), the counts to stdout as one JSON line.
A missing file or a database that does not answer is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path

from cases.config import MIGRATIONS_DIR, CasesSettings
from cases.service_layer.residents_import import ImportCounts, import_residents
from civic_runtime import db, migrations, progress
from civic_runtime.cli import OperatorParser, require
from civic_runtime.uow import unit_of_work

from demo.district import district_file, read_district


async def load_residents(
    settings: CasesSettings, path: Path, *, batch_size: int = 250, show_progress: bool = True
) -> ImportCounts:
    district = read_district(path)
    households = {household.uprn: household for household in district.households}
    if settings.migrate_on_start:
        await migrations.upgrade_async(MIGRATIONS_DIR, settings.database_url)
    engine = db.create_engine(settings)
    session_factory = db.create_session_factory(engine)
    counts = ImportCounts()
    residents = district.residents
    try:
        with progress.show_progress("demo residents", enabled=show_progress) as bar:
            bar.start(len(residents))
            for start in range(0, len(residents), batch_size):
                batch = residents[start : start + batch_size]
                async with unit_of_work(session_factory) as uow:
                    done = await import_residents(
                        uow,
                        residents=batch,
                        households=households,
                        consent_source=f"demo district (seed {district.seed})",
                    )
                counts.add(done)
                bar.advance(len(batch))
    finally:
        await engine.dispose()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = OperatorParser(
        prog="python -m demo.residents",
        description="Upsert the demo district's residents into cases (idempotent) and announce them.",
    )
    parser.add_argument("file", nargs="?", type=Path, default=district_file())
    parser.add_argument("--batch-size", type=_positive, default=250)
    args = parser.parse_args(argv)
    if not args.file.exists():
        parser.error(f"{args.file} not found: run `python -m civic_simulators.district` first")
    settings = CasesSettings()
    require(parser.prog, database_url=settings.database_url)
    counts = asyncio.run(load_residents(settings, args.file, batch_size=args.batch_size))
    sys.stdout.write(json.dumps({"file": str(args.file), **asdict(counts)}) + "\n")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"wants a whole number of at least 1, not {text!r}")
    return int(text)


if __name__ == "__main__":
    main()
