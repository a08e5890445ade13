"""notify's own commands: `load-rounds <csv>` and `broadcast <id> [--follow]`.

A refusal (a CSV that cannot be read, an unknown broadcast, the database not answering) is one
line on stderr and exit status 2.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from civic_runtime import db
from civic_runtime.cli import OperatorParser, refuse, require
from civic_runtime.progress import show_progress

from notify.config import NotifySettings
from notify.service_layer import broadcasts

COMMANDS = ("load-rounds", "broadcast")


def run(argv: list[str]) -> None:
    parser = OperatorParser(prog="notify")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load-rounds", help="load the contractor's UPRN → round CSV")
    load.add_argument("csv", type=Path)
    show = commands.add_parser("broadcast", help="a broadcast's progress and final count")
    show.add_argument("broadcast_id", type=uuid.UUID, metavar="ID")
    show.add_argument("--follow", action="store_true", help="show its progress until it is done")
    args = parser.parse_args(argv)
    prog = f"notify {args.command}"
    settings = NotifySettings()
    if args.command == "load-rounds":
        try:
            lines = args.csv.read_text(encoding="utf-8").splitlines(True)
            households = broadcasts.read_rounds_csv(lines)
        except (OSError, ValueError) as exc:
            raise SystemExit(refuse(prog, f"{args.csv}: {exc}")) from None
        require(prog, database_url=settings.database_url)
        count = asyncio.run(_load_rounds(settings, households))
        print(f"{count} households loaded")
    else:
        require(prog, database_url=settings.database_url)
        final = asyncio.run(_show(settings, args.broadcast_id, follow=args.follow))
        if final is None:
            raise SystemExit(refuse(prog, f"no broadcast {args.broadcast_id}"))
        print(progress_bar(final))
        for channel, by_status in sorted(final["by_channel"].items()):
            counts = ", ".join(f"{status} {count}" for status, count in sorted(by_status.items()))
            print(f"  {channel}: {counts}")


async def _load_rounds(settings: NotifySettings, households: list[dict[str, str | None]]) -> int:
    engine = db.create_engine(settings)
    try:
        async with db.create_session_factory(engine)() as session, session.begin():
            return await broadcasts.load_rounds(session=session, households=households)
    finally:
        await engine.dispose()


async def _show(
    settings: NotifySettings, broadcast_id: uuid.UUID, *, follow: bool
) -> dict[str, Any] | None:
    """The broadcast's counts: now, or (`follow`) once it is done, with its progress shown."""
    engine = db.create_engine(settings)
    sessions = db.create_session_factory(engine)
    try:
        with show_progress(f"broadcast {broadcast_id}", enabled=follow) as bar:
            shown = 0  # handled messages the bar already counts
            while True:
                async with sessions() as session, session.begin():
                    progress = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
                if progress is None:
                    return None
                bar.start(int(progress["recipients"]))
                bar.advance(int(progress["handled"]) - shown)
                shown = int(progress["handled"])
                if progress["status"] == "done" or not follow:
                    return progress
                await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


def progress_bar(progress: dict[str, Any], width: int = 40) -> str:
    total = max(int(progress["recipients"]), 1)
    handled = int(progress["handled"])
    filled = round(width * handled / total)
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {handled}/{progress['recipients']} "
        f"{progress['status']}"
    )
