"""`python -m cases [serve | migrate [upgrade|downgrade] [revision]]`."""

from __future__ import annotations

from civic_runtime.cli import run

from cases.bootstrap import MIGRATIONS_DIR, create_app
from cases.config import CasesSettings


def main() -> None:
    run(
        prog="cases",
        load_settings=CasesSettings,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )


if __name__ == "__main__":
    main()
