"""`python -m cases [serve | migrate [upgrade|downgrade] [revision] | load-demo [FILE]]`."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["load-demo"]:
        # Imported here: loading the demo needs neither the web app nor the broker.
        from cases.entrypoints.demo_cli import main as load_demo

        load_demo(sys.argv[2:])
        return

    from civic_runtime.cli import run

    from cases.bootstrap import MIGRATIONS_DIR, create_app
    from cases.config import CasesSettings

    run(
        prog="cases",
        load_settings=CasesSettings,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
    )


if __name__ == "__main__":
    main()
