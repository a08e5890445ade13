"""`python -m intake [serve | migrate [upgrade|downgrade] [revision]]`."""

from __future__ import annotations

from civic_runtime.cli import run

from intake.bootstrap import MIGRATIONS_DIR, create_app
from intake.config import IntakeSettings


def main() -> None:
    run(
        prog="intake",
        load_settings=IntakeSettings,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )


if __name__ == "__main__":
    main()
