"""The command line every service shares: `serve` (the default) and `migrate`."""

from __future__ import annotations

import argparse
import gc
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from civic_runtime import migrations
from civic_runtime.settings import ServiceSettings

YOUNG_COLLECTION_THRESHOLD = 10_000


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

    app = create_app(settings)
    # What the service has built so far (every module, class and schema: most of the objects it
    # will ever hold) stays for the process's life: out of the cyclic garbage collector's way, so
    # a full collection walks only what was made since. Without this each one walked the whole
    # heap, about 150 ms, and opening a backlog of cases spent a fifth of its CPU in them.
    gc.collect()
    gc.freeze()
    # A young collection every 10,000 new container objects rather than Python's 700: a batch's
    # events, rows and records live for the batch, so at 700 each was looked at by several young
    # collections before its promotion. In a cases backlog this took the garbage collector's time
    # from about 1.25 s to 0.7 s per 12,000 cases; the memory it lets wait is a few megabytes.
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    # uvicorn turns SIGTERM/SIGINT into the app's lifespan shutdown: the graceful path.
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.graceful_shutdown_s),
    )
