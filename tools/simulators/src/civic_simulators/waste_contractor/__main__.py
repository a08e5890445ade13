"""`python -m civic_simulators.waste_contractor [--host …] [--port …] [--api-key …]`; everything
else from `WASTE_SIM_*` environment variables (tools/simulators/README.md)."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from civic_simulators.waste_contractor.app import create_app
from civic_simulators.waste_contractor.settings import WasteSimulatorSettings


def main() -> None:
    settings = WasteSimulatorSettings.from_env()
    parser = argparse.ArgumentParser(prog="civic_simulators.waste_contractor")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--api-key", default=settings.api_key)
    args = parser.parse_args()
    settings.host, settings.port, settings.api_key = args.host, args.port, args.api_key
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, access_log=False)


if __name__ == "__main__":
    main()
