"""`python -m notify [serve | migrate [upgrade|downgrade] [revision]]`."""

from __future__ import annotations

from civic_runtime.cli import run

from notify.bootstrap import MIGRATIONS_DIR, create_app
from notify.config import NotifySettings


def main() -> None:
    run(
        prog="notify",
        load_settings=NotifySettings,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )


if __name__ == "__main__":
    main()
