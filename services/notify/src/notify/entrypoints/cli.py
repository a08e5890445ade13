"""notify's own commands: `load-rounds <csv>` and `broadcast <id> [--follow]` (a progress bar)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

from civic_runtime import db

from notify.config import NotifySettings
from notify.service_layer import broadcasts

COMMANDS = ("load-rounds", "broadcast")


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="notify")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load-rounds", help="load the contractor's UPRN → round CSV")
    load.add_argument("csv", type=Path)
    show = commands.add_parser("broadcast", help="a broadcast's progress and final count")
    show.add_argument("broadcast_id", type=uuid.UUID)
    show.add_argument("--follow", action="store_true", help="redraw until it is done")
    args = parser.parse_args(argv)
    settings = NotifySettings()
    if args.command == "load-rounds":
        households = broadcasts.read_rounds_csv(
            args.csv.read_text(encoding="utf-8").splitlines(True)
        )
        count = asyncio.run(_load_rounds(settings, households))
        print(f"{count} households loaded")
    else:
        asyncio.run(_show(settings, args.broadcast_id, follow=args.follow))


async def _load_rounds(settings: NotifySettings, households: list[dict[str, str | None]]) -> int:
    engine = db.create_engine(settings)
    try:
        async with db.create_session_factory(engine)() as session, session.begin():
            return await broadcasts.load_rounds(session=session, households=households)
    finally:
        await engine.dispose()


async def _show(settings: NotifySettings, broadcast_id: uuid.UUID, *, follow: bool) -> None:
    engine = db.create_engine(settings)
    sessions = db.create_session_factory(engine)
    try:
        while True:
            async with sessions() as session, session.begin():
                progress = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
            if progress is None:
                sys.exit(f"no broadcast {broadcast_id}")
            sys.stdout.write("\r" + progress_bar(progress))
            sys.stdout.flush()
            if progress["status"] == "done" or not follow:
                break
            await asyncio.sleep(0.5)
        sys.stdout.write("\n")
        for channel, by_status in sorted(progress["by_channel"].items()):
            counts = ", ".join(f"{status} {count}" for status, count in sorted(by_status.items()))
            print(f"  {channel}: {counts}")
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
