"""Throwaway topics against the real broker: a live session keeps its topics, a killed one's go.

Each test's sessions keep their locks in the test's own folder, so its sweeps judge only them.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from civic_runtime.admin import ensure_topics
from civic_runtime.topic_sessions import (
    SESSION_TOPIC,
    UNCLAIMED_TOPIC,
    TopicSession,
    delete_topics,
    sweep_stale,
)

pytestmark = pytest.mark.integration

# A session in a process of its own: claims, makes two topics, says its prefix, and lives until
# its stdin closes (or it is killed).
SESSION_PROCESS = """
import asyncio, sys
from pathlib import Path
from civic_runtime.admin import ensure_topics
from civic_runtime.topic_sessions import TopicSession

session = TopicSession.claim(Path(sys.argv[1]), label="t")
prefix = session.new_prefix()
asyncio.run(ensure_topics(sys.argv[2], [(prefix + "a", 1), (prefix + "b", 1)]))
print(prefix, flush=True)
sys.stdin.read()
"""


async def session_process(
    folder: Path, bootstrap: str, eventually: Any
) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SESSION_PROCESS,
        str(folder),
        bootstrap,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line, "the session process ended before making its topics"
    prefix = line.decode().strip()
    await visible(bootstrap, {prefix + "a", prefix + "b"}, eventually)
    return process, prefix


async def topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def lock_files(folder: Path) -> list[str]:
    return [path.stem for path in folder.glob("*.lock")]


async def visible(bootstrap: str, names: set[str], eventually: Any) -> None:
    """Wait until the broker lists `names`: it learns of new topics a moment after the controller
    has created them, and a sweep sees only what it lists."""

    async def listed() -> bool:
        return names <= await topics(bootstrap)

    await eventually(listed, timeout=10)


@pytest.fixture
def bootstrap(infrastructure: Any) -> str:
    return str(infrastructure.kafka_bootstrap_servers)


async def test_a_sweep_keeps_a_live_sessions_topics_and_deletes_a_killed_ones(
    tmp_path: Path, bootstrap: str, eventually: Any
) -> None:
    live, live_prefix = await session_process(tmp_path, bootstrap, eventually)
    killed, killed_prefix = await session_process(tmp_path, bootstrap, eventually)
    live_topics = {live_prefix + "a", live_prefix + "b"}
    killed_topics = {killed_prefix + "a", killed_prefix + "b"}
    try:
        killed.kill()
        await killed.wait()
        assert len(lock_files(tmp_path)) == 2  # a killed process leaves its file

        deleted = set(await sweep_stale(bootstrap, tmp_path))

        assert killed_topics <= deleted
        assert all(UNCLAIMED_TOPIC.match(name) for name in deleted - killed_topics)
        await eventually(lambda: _none_left(bootstrap, killed_topics))
        assert live_topics <= await topics(bootstrap)
        assert lock_files(tmp_path) == [
            SESSION_TOPIC.match(live_prefix)["session"]  # type: ignore[index]
        ]
    finally:
        if live.returncode is None:
            live.kill()
        await live.wait()
        await delete_topics(bootstrap, live_topics | killed_topics)


async def _none_left(bootstrap: str, names: set[str]) -> bool:
    return not names & await topics(bootstrap)


async def test_a_sweep_leaves_unprefixed_topics_and_other_folders_sessions(
    tmp_path: Path, bootstrap: str, eventually: Any
) -> None:
    tag = uuid.uuid4().hex[:10]
    unprefixed = f"sweep-check.{tag}.v1"
    from_before_sessions = f"t{tag}.sweep-check.v1"
    # A session of another folder that has ended: stale, but not this folder's to judge.
    elsewhere = TopicSession.claim(tmp_path / "elsewhere", label="t")
    other_folders = elsewhere.new_prefix() + "sweep-check.v1"
    elsewhere.end()
    created = [unprefixed, from_before_sessions, other_folders]
    await ensure_topics(bootstrap, [(name, 1) for name in created])
    await visible(bootstrap, set(created), eventually)
    before = await topics(bootstrap)
    try:
        deleted = set(await sweep_stale(bootstrap, tmp_path / "here"))

        assert from_before_sessions in deleted
        assert all(UNCLAIMED_TOPIC.match(name) for name in deleted)
        await eventually(lambda: _none_left(bootstrap, {from_before_sessions}))
        # Other sessions running now may delete their own meanwhile: only the rest must stay.
        platform = {name for name in before if not SESSION_TOPIC.match(name)} - deleted
        assert {unprefixed, other_folders} | platform <= await topics(bootstrap)

        assert other_folders in await sweep_stale(bootstrap, tmp_path / "elsewhere")
    finally:
        await delete_topics(bootstrap, created)


async def test_a_session_deletes_its_own_topics_and_lock_at_its_end(
    tmp_path: Path, bootstrap: str, eventually: Any
) -> None:
    session = TopicSession.claim(tmp_path, label="bench")
    first, second = session.new_prefix(), session.new_prefix()
    assert first != second
    mine = {first + "a", second + "a"}
    try:
        await ensure_topics(bootstrap, [(name, 1) for name in mine])
        await visible(bootstrap, mine, eventually)
        # Held by this process: another descriptor's flock is refused, so a sweep keeps them.
        assert not set(await sweep_stale(bootstrap, tmp_path)) & mine

        assert set(await session.delete_own_topics(bootstrap)) == mine
    finally:
        session.end()
        await delete_topics(bootstrap, mine)
    assert not lock_files(tmp_path)
