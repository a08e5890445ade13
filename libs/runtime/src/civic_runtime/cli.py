"""The command line every service shares: `serve` (the default) and `migrate`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from civic_runtime import migrations
from civic_runtime.settings import ServiceSettings


def run(
    *,
    prog: str,
    load_settings: Callable[[], ServiceSettings],
    create_app: Callable[[ServiceSettings], FastAPI],
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=prog)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve HTTP and consume Kafka (the default)")
    migrate = commands.add_parser("migrate", help="apply (or undo) database migrations")
    migrate.add_argument(
        "direction", choices=["upgrade", "downgrade"], nargs="?", default="upgrade"
    )
    migrate.add_argument("revision", nargs="?")
    args = parser.parse_args(argv)

    settings = load_settings()
    if args.command == "migrate":
        if args.direction == "upgrade":
            migrations.upgrade(migrations_dir, settings.database_url, args.revision or "head")
        else:
            migrations.downgrade(migrations_dir, settings.database_url, args.revision or "-1")
        return

    # uvicorn turns SIGTERM/SIGINT into the app's lifespan shutdown: the graceful path.
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.graceful_shutdown_s),
    )
