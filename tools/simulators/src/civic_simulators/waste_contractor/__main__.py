"""`python -m civic_simulators.waste_contractor [--host 127.0.0.1] [--port 8101] [--api-key …]`."""

from __future__ import annotations

import argparse

import uvicorn

from civic_simulators.waste_contractor.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="civic_simulators.waste_contractor")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--api-key", default="sim-key")
    args = parser.parse_args()
    uvicorn.run(create_app(api_key=args.api_key), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
