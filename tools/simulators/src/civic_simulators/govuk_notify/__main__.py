"""`python -m civic_simulators.govuk_notify [--host 127.0.0.1] [--port 8104]`."""

from __future__ import annotations

import argparse

import uvicorn

from civic_simulators.govuk_notify.app import SimulatorConfig, create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="civic_simulators.govuk_notify")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8104)
    args = parser.parse_args()
    uvicorn.run(create_app(SimulatorConfig.from_environment()), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
