"""`python -m civic_simulators.planning_backoffice [--host …] [--port 8102]`; everything else from
`PLANNING_SIM_*` environment variables (tools/simulators/README.md)."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from civic_simulators.planning_backoffice.app import create_app
from civic_simulators.planning_backoffice.settings import PlanningSimulatorSettings


def main() -> None:
    settings = PlanningSimulatorSettings.from_env()
    parser = argparse.ArgumentParser(prog="civic_simulators.planning_backoffice")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args()
    settings.host, settings.port = args.host, args.port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, access_log=False)


if __name__ == "__main__":
    main()
