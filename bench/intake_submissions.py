"""Intake: durable form submissions (202 once FormSubmitted is committed to the outbox).

Intake runs as it is deployed: `python -m intake serve` processes (uvicorn with uvloop and
httptools), one per core by default, on loopback ports, as replicas behind a load balancer; the
client spreads its connections round-robin over them. Real PostgreSQL and Kafka. The client is a
few lines of HTTP/1.1 over keep-alive sockets (requests written from bytes prepared once, answers
read by Content-Length), so that it takes little of the 2 cores the service is measured on; its
cost still falls on the same machine.

Two figures, printed as JSON: the throughput of 64 concurrent clients (closed loop), and the
latency of an open-loop arrival rate of 500 submissions a second (a request is sent on the clock
whether or not earlier ones were answered; a new connection is opened when none is free).

    python -m bench.intake_submissions [--instances N] [--submissions N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from civic_runtime.progress import NoProgress, ProgressSink

from bench.stack import CpuMeter, scratch, services

CONCURRENCY = 64
THROUGHPUT_SUBMISSIONS = 10_000
RATE_PER_S = 500
RATE_SECONDS = 10
# Processes of intake: one per core.
INSTANCES = os.cpu_count() or 2

BODY: dict[str, Any] = {
    "answers": {"problem": "broken_glass"},
    "location": {"latitude": 51.359994, "longitude": -0.231726},
    "contact": {"name": "Bench Resident", "email": "bench@example.org", "phone": "07911 123456"},
    "preferred_channel": "email",
    "consent": True,
}
URL = "/v1/forms/street-cleansing/submissions"


def _request(body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST {URL} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


class _Connection:
    """One keep-alive HTTP/1.1 connection: a request at a time, its answer read whole."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> _Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(head[9:12])

    def close(self) -> None:
        self.writer.close()


async def _throughput(ports: list[int], request: bytes, submissions: int) -> dict[str, Any]:
    remaining = submissions
    statuses: dict[int, int] = {}
    latencies: list[float] = []

    async def client(port: int) -> None:
        nonlocal remaining
        connection = await _Connection.open(port)
        try:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                status = await connection.send(request)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(ports[n % len(ports)]) for n in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    accepted = statuses.get(202, 0)
    return {
        "clients": CONCURRENCY,
        "submissions": submissions,
        "accepted": accepted,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(elapsed, 2),
        "accepted_per_s": round(accepted / elapsed, 1),
        **_cuts(latencies),
    }


async def _at_rate(ports: list[int], request: bytes, rate: int, seconds: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    idle: dict[int, list[_Connection]] = {port: [] for port in ports}
    opened = 0

    async def one(port: int) -> None:
        nonlocal opened
        started = time.perf_counter()
        status = 0
        while idle[port] and not status:
            connection = idle[port].pop()
            try:
                status = await connection.send(request)
            except (asyncio.IncompleteReadError, ConnectionError):
                # Idle past the server's keep-alive timeout (uvicorn's 5 s), closed unread:
                # another connection, as any client's pool does.
                connection.close()
        if not status:
            connection = await _Connection.open(port)
            opened += 1
            status = await connection.send(request)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        idle[port].append(connection)

    tasks: list[asyncio.Task[None]] = []
    interval = 1 / rate
    started = time.perf_counter()
    for n in range(rate * seconds):
        # Open loop: arrivals keep to the clock whether or not earlier requests have finished.
        delay = started + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(ports[n % len(ports)])))
    await asyncio.gather(*tasks)
    offered = len(tasks) / (time.perf_counter() - started)
    for connections in idle.values():
        for connection in connections:
            connection.close()
    return {
        "target_per_s": rate,
        "achieved_per_s": round(offered, 1),
        "connections": opened,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        **_cuts(latencies),
    }


def _cuts(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(sorted(samples), n=100)
    return {
        "p50_ms": round(cuts[49], 1),
        "p99_ms": round(cuts[98], 1),
        "max_ms": round(max(samples), 1),
    }


@asynccontextmanager
async def _intake_processes(
    database_url: str, prefix: str, instances: int
) -> AsyncIterator[tuple[list[int], list[int]]]:
    """The ports and process ids of `instances` intake processes."""
    settings = {
        "DATABASE_URL": database_url,
        "TOPIC_PREFIX": prefix,
        "CONSUMER_ENABLED": "false",
        # Every submission comes from the bench's one address: the limit per address is off.
        "FORM_SUBMISSIONS_PER_ADDRESS_PER_HOUR": "0",
    }
    # One after the other: each publishes the form catalogue at start.
    async with services("intake", settings, instances) as started:
        yield [port for _process, port in started], [process.pid for process, _port in started]


async def measure(
    instances: int = INSTANCES,
    submissions: int = THROUGHPUT_SUBMISSIONS,
    progress: ProgressSink | None = None,
) -> dict[str, Any]:
    progress = progress or NoProgress()
    progress.describe(f"intake_submissions: starting {instances} `intake serve` processes")
    request = _request(BODY)
    async with (
        scratch() as (database_url, prefix),
        _intake_processes(database_url, prefix, instances) as (ports, pids),
    ):
        # Warm each process's pool and code paths.
        warm = await asyncio.gather(*(_Connection.open(port) for port in ports))
        for connection in warm:
            for _ in range(100):
                await connection.send(request)
            connection.close()
        # Where the 2 cores go, per submission: intake, PostgreSQL, Kafka, and this client.
        meter = CpuMeter(intake=pids, client=[os.getpid()])
        progress.describe(f"intake_submissions: {submissions:,} submissions, {CONCURRENCY} clients")
        throughput = await _throughput(ports, request, submissions)
        throughput["cpu_ms_per_submission"] = {
            name: round(ms, 2) for name, ms in meter.ms_per(throughput["submissions"]).items()
        }
        await asyncio.sleep(2)  # let the relay drain the backlog before the latency run
        progress.describe(f"intake_submissions: open loop at {RATE_PER_S}/s for {RATE_SECONDS} s")
        rate = await _at_rate(ports, request, RATE_PER_S, RATE_SECONDS)
    return {
        "instances": instances,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "durable_submissions": throughput,
        f"latency_at_{RATE_PER_S}_per_s": rate,
    }


async def run(progress: ProgressSink | None = None) -> str:
    figures = await measure(progress=progress)
    throughput, rate = figures["durable_submissions"], figures[f"latency_at_{RATE_PER_S}_per_s"]
    return "\n".join(
        [
            "## Intake: durable submissions (202 after the outbox commit)",
            "",
            f"- {figures['instances']} `intake serve` processes, {throughput['clients']} "
            f"concurrent clients over keep-alive sockets: {throughput['accepted_per_s']:,.0f} "
            f"accepted/s (p50 {throughput['p50_ms']} ms, p99 {throughput['p99_ms']} ms); "
            "goal ≥ 2,000/s",
            f"- open loop at {rate['target_per_s']}/s: p50 {rate['p50_ms']} ms, p99 "
            f"{rate['p99_ms']} ms, max {rate['max_ms']} ms, statuses {rate['statuses']}; "
            "goal p99 < 50 ms",
            "",
            "```json",
            json.dumps(figures, indent=2),
            "```",
            "",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.intake_submissions")
    parser.add_argument("--instances", type=int, default=INSTANCES)
    parser.add_argument("--submissions", type=int, default=THROUGHPUT_SUBMISSIONS)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(measure(arguments.instances, arguments.submissions)), indent=2))
