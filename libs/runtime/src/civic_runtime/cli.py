"""Command lines: the parser every operator command uses, and what every service shares,
`serve` (the default) and `migrate`.

Exit status 2 means nothing was done: the command line was refused, or what the command needs
(PostgreSQL, Kafka) did not answer. Either way the reason is one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from pydantic import ValidationError

from civic_runtime import preflight
from civic_runtime.council import InvalidCouncil
from civic_runtime.settings import ServiceSettings, UnsafeSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

YOUNG_COLLECTION_THRESHOLD = 10_000
EXIT_NOTHING_DONE = 2


class OperatorParser(argparse.ArgumentParser):
    """argparse, but a refused command line is one line on stderr, not a usage block.

    Subcommands' parsers are of this class too (argparse makes them of their parent's class).
    """

    def error(self, message: str) -> NoReturn:
        fail(self.prog, f"{message} (see {self.prog} --help)")


def refuse(prog: str, message: str) -> int:
    """`prog: error: message` on stderr; answers the exit status to end with."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return EXIT_NOTHING_DONE


def fail(prog: str, message: str) -> NoReturn:
    raise SystemExit(refuse(prog, message))


def require(
    prog: str, *, database_url: str | None = None, kafka_bootstrap_servers: str | None = None
) -> None:
    """Refuse unless the database and the Kafka cluster given answer."""
    try:
        asyncio.run(
            preflight.check(
                database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap_servers
            )
        )
    except preflight.Unreachable as exc:
        fail(prog, str(exc))


def run(
    *,
    prog: str,
    load_settings: Callable[[], ServiceSettings],
    create_app: Callable[[ServiceSettings], FastAPI],
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    parser = OperatorParser(prog=prog)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve HTTP and consume Kafka (the default)")
    migrate = commands.add_parser("migrate", help="apply (or undo) database migrations")
    migrate.add_argument(
        "direction", choices=["upgrade", "downgrade"], nargs="?", default="upgrade"
    )
    migrate.add_argument("revision", nargs="?")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        fail(prog, f"invalid setting {where}: {first['msg']} (see the service's README)")
    serving = args.command != "migrate"
    require(
        prog,
        database_url=settings.database_url,
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers if serving else None,
    )
    if not serving:
        from civic_runtime import migrations  # Alembic: only for this command

        if args.direction == "upgrade":
            migrations.upgrade(migrations_dir, settings.database_url, args.revision or "head")
        else:
            migrations.downgrade(migrations_dir, settings.database_url, args.revision or "-1")
        return

    try:
        app = create_app(settings)
    except (InvalidCouncil, UnsafeSettings) as exc:
        fail(prog, str(exc))
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
    # Imported here: the operator commands that use this module's parser have no use for it.
    import uvicorn

    # uvicorn turns SIGTERM/SIGINT into the app's lifespan shutdown: the graceful path.
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        # X-Forwarded-For is read by civic_runtime.clients, from TRUSTED_PROXIES only; uvicorn
        # would otherwise believe it from 127.0.0.1 (or FORWARDED_ALLOW_IPS) on its own.
        proxy_headers=False,
        timeout_graceful_shutdown=int(settings.graceful_shutdown_s),
    )
