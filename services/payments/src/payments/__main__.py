"""`python -m payments [serve | migrate [upgrade|downgrade] [revision]]`."""

from __future__ import annotations

from civic_runtime.cli import run

from payments.bootstrap import MIGRATIONS_DIR, create_app
from payments.config import PaymentsSettings


def main() -> None:
    run(
        prog="payments",
        load_settings=PaymentsSettings,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )


if __name__ == "__main__":
    main()
