"""One running platform shared by the end-to-end flow tests of a session (starting it takes ~20 s).

Every test makes its own residents and references, so tests do not see each other's data.
"""

from __future__ import annotations

import itertools
import random
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from e2e_platform import Platform, start_platform, stop_platform
from otlp_receiver import OtlpReceiver


@pytest.fixture(scope="session")
async def platform(infrastructure: Any, topic_session: Any) -> AsyncIterator[Platform]:
    from civic_runtime.admin import ensure_topics, registry_topics
    from civic_runtime.topic_sessions import delete_topics

    prefix = topic_session.new_prefix()
    topics = registry_topics(prefix, partitions=2)
    await ensure_topics(infrastructure.kafka_bootstrap_servers, topics)
    workdir = Path(tempfile.mkdtemp(prefix="civic-e2e-"))
    # Every service exports its spans to this receiver, as it would to a collector.
    receiver = OtlpReceiver()
    receiver.start()
    running = await start_platform(
        bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        admin_database_url=infrastructure.admin_database_url,
        topic_prefix=prefix,
        workdir=workdir,
        extra_env={
            "*": {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "200",
            }
        },
    )
    running.traces = receiver
    try:
        yield running
    finally:
        receiver.stop()
        codes = await stop_platform(running, infrastructure.admin_database_url)
        await delete_topics(infrastructure.kafka_bootstrap_servers, [name for name, _ in topics])
        print(f"e2e platform stopped: exit codes {codes}; logs in {workdir}")


_phone_numbers = itertools.count(random.randrange(1000))


@pytest.fixture
def new_resident() -> dict[str, Any]:
    """Contact details no other test of the session uses (intake accepts only valid UK numbers, so not Ofcom's drama range)."""
    tag = uuid.uuid4().hex[:10]
    number = next(_phone_numbers) % 1000
    return {
        "name": f"Resident {tag}",
        "email": f"resident-{tag}@example.org",
        "phone": f"07911 123{number:03d}",
    }


@pytest.fixture(autouse=True)
def _platform_logs_on_failure(request: pytest.FixtureRequest) -> Any:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "platform" in request.fixturenames:
        running: Platform = request.getfixturevalue("platform")
        print(running.logs())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
