"""`python -m civic_simulators.smtp_sink [--smtp-port 1025] [--http-port 8025]`."""

from __future__ import annotations

import argparse

import uvicorn

from civic_simulators.smtp_sink.sink import SmtpSink, create_inbox_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="civic_simulators.smtp_sink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args()
    sink = SmtpSink(host=args.host, port=args.smtp_port)
    sink.start()
    try:
        uvicorn.run(create_inbox_app(sink), host=args.host, port=args.http_port)
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
