"""`python -m notify [serve | migrate [upgrade|downgrade] [revision] | load-rounds <csv> |
broadcast <id> [--follow]]`."""

from __future__ import annotations

import sys

from civic_runtime.cli import run

from notify.bootstrap import MIGRATIONS_DIR, create_app
from notify.config import NotifySettings
from notify.entrypoints import cli


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in cli.COMMANDS:
        cli.run(sys.argv[1:])
        return
    run(
        prog="notify",
        load_settings=NotifySettings,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )


if __name__ == "__main__":
    main()
