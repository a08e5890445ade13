"""Intake: durable form submissions (202 once FormSubmitted is committed to the outbox).

Two figures, against real PostgreSQL and Kafka, intake called in-process through ASGI (no socket,
so the client's cost does not halve the 2 cores): the throughput of 64 concurrent clients, and the
latency of an open-loop arrival rate of 500 submissions a second. Printed as JSON too:
`python -m bench.intake_submissions`.

`python -m bench.intake_submissions --instances 2` measures a deployment choice instead: that many
intake processes (`python -m intake serve`, uvicorn with uvloop and httptools) on loopback ports,
the 64 clients spread round-robin over them through real sockets. The client's own cost then falls
on the same 2 cores, so the figure is labelled apart and is not comparable one-for-one.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from intake.bootstrap import create_app
from intake.config import IntakeSettings

from bench.stack import KAFKA, scratch

CONCURRENCY = 64
THROUGHPUT_SUBMISSIONS = 4_000
RATE_PER_S = 500
RATE_SECONDS = 10
# A rate this machine sustains, so that latency is measured without a queue.
GENTLE_RATE_PER_S = 50

BODY: dict[str, Any] = {
    "answers": {"problem": "broken_glass"},
    "location": {"latitude": 52.205, "longitude": 0.119},
    "contact": {"name": "Bench Resident", "email": "bench@example.org", "phone": "07911 123456"},
    "preferred_channel": "email",
    "consent": True,
}
URL = "/v1/forms/street-cleansing/submissions"


async def _throughput(*clients: httpx.AsyncClient) -> dict[str, Any]:
    remaining = THROUGHPUT_SUBMISSIONS
    accepted = 0
    latencies: list[float] = []

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining, accepted
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await client.post(URL, json=BODY)
            latencies.append((time.perf_counter() - started) * 1000)
            accepted += response.status_code == 202

    started = time.perf_counter()
    await asyncio.gather(*(worker(clients[n % len(clients)]) for n in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    return {
        "clients": CONCURRENCY,
        "submissions": THROUGHPUT_SUBMISSIONS,
        "accepted": accepted,
        "seconds": round(elapsed, 2),
        "accepted_per_s": round(accepted / elapsed, 1),
        **_cuts(latencies),
    }


async def _at_rate(client: httpx.AsyncClient, rate: int, seconds: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one() -> None:
        started = time.perf_counter()
        response = await client.post(URL, json=BODY)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    tasks: list[asyncio.Task[None]] = []
    interval = 1 / rate
    started = time.perf_counter()
    for n in range(rate * seconds):
        # Open loop: arrivals keep to the clock whether or not earlier requests have finished.
        delay = started + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    offered = len(tasks) / (time.perf_counter() - started)
    return {
        "target_per_s": rate,
        "achieved_per_s": round(offered, 1),
        "statuses": {str(k): v for k, v in statuses.items()},
        **_cuts(latencies),
    }


def _cuts(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(sorted(samples), n=100)
    return {
        "p50_ms": round(cuts[49], 1),
        "p99_ms": round(cuts[98], 1),
        "max_ms": round(max(samples), 1),
    }


async def measure() -> dict[str, Any]:
    async with scratch() as (database_url, prefix):
        settings = IntakeSettings(
            environment="test",
            database_url=database_url,
            kafka_bootstrap_servers=KAFKA,
            topic_prefix=prefix,
            log_level="WARNING",
            consumer_enabled=False,
        )
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=60
            ) as client,
        ):
            for _ in range(50):  # warm the pool and the code paths
                await client.post(URL, json=BODY)
            throughput = await _throughput(client)
            rate = await _at_rate(client, RATE_PER_S, RATE_SECONDS)
            gentle = await _at_rate(client, GENTLE_RATE_PER_S, RATE_SECONDS)
    return {
        "durable_submissions": throughput,
        "latency_at_500_per_s": rate,
        f"latency_at_{GENTLE_RATE_PER_S}_per_s": gentle,
    }


async def run() -> str:
    figures = await measure()
    throughput, rate = figures["durable_submissions"], figures["latency_at_500_per_s"]
    gentle = figures[f"latency_at_{GENTLE_RATE_PER_S}_per_s"]
    return "\n".join(
        [
            "## Intake: durable submissions (202 after the outbox commit)",
            "",
            f"- {throughput['clients']} concurrent clients: {throughput['accepted_per_s']:,.0f} "
            f"accepted/s (p50 {throughput['p50_ms']} ms, p99 {throughput['p99_ms']} ms); "
            "goal ≥ 2,000/s",
            f"- open loop at {rate['target_per_s']}/s: p50 {rate['p50_ms']} ms, p99 "
            f"{rate['p99_ms']} ms, max {rate['max_ms']} ms, statuses {rate['statuses']}; "
            "goal p99 < 50 ms",
            f"- open loop at {gentle['target_per_s']}/s: p50 {gentle['p50_ms']} ms, p99 "
            f"{gentle['p99_ms']} ms",
            "",
            "```json",
            json.dumps(figures, indent=2),
            "```",
            "",
        ]
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def _intake_processes(
    database_url: str, prefix: str, instances: int
) -> AsyncIterator[list[str]]:
    processes: list[asyncio.subprocess.Process] = []
    urls: list[str] = []
    try:
        # One after the other: each publishes the form catalogue at start.
        for _ in range(instances):
            port = _free_port()
            env = {
                **os.environ,
                "INTAKE_ENVIRONMENT": "test",
                "INTAKE_DATABASE_URL": database_url,
                "INTAKE_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
                "INTAKE_TOPIC_PREFIX": prefix,
                "INTAKE_HTTP_PORT": str(port),
                "INTAKE_CONSUMER_ENABLED": "false",
                "INTAKE_LOG_LEVEL": "WARNING",
            }
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "intake", "serve", env=env
                )
            )
            url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=url) as probe:
                for _ in range(600):
                    try:
                        if (await probe.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"intake on {url} did not become ready")
            urls.append(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=30)


async def measure_instances(instances: int) -> dict[str, Any]:
    async with (
        scratch() as (database_url, prefix),
        _intake_processes(database_url, prefix, instances) as urls,
    ):
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        clients = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for url in urls]
        try:
            for client in clients:
                for _ in range(50):
                    await client.post(URL, json=BODY)
            throughput = await _throughput(*clients)
        finally:
            for client in clients:
                await client.aclose()
    return {f"durable_submissions_{instances}_processes_over_sockets": throughput}


if __name__ == "__main__":
    if "--instances" in sys.argv:
        count = int(sys.argv[sys.argv.index("--instances") + 1])
        print(json.dumps(asyncio.run(measure_instances(count)), indent=2))
    else:
        print(json.dumps(asyncio.run(measure()), indent=2))
