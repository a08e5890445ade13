"""Throwaway topics for test sessions and benchmark runs, and the deletion of those left behind.

A process that makes throwaway topics first claims a session: an exclusive `flock` on
`<folder>/<session>.lock`, held until the session ends or the process dies (the kernel lets go of
a dead process's locks, however it died: SIGKILL, a second Ctrl-C). Every prefix it hands out
names the session: `<label>-<owner>-<session>-<n>.`. `sweep_stale` deletes the topics of every
session whose lock nobody holds, so sessions running at the same time against one broker never
delete each other's topics, and the next session cleans up after one that was killed.

`owner` stands for the lock folder (host and path). A sweep judges only sessions whose locks it
can see: on a broker shared with another checkout or machine, their topics are left to them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import os
import re
import secrets
import socket
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

# The lock folder under a repository's root, shared by its tests and benchmarks.
LOCK_FOLDER = Path(".local", "test-sessions")

SESSION_TOPIC = re.compile(
    r"^[a-z][a-z0-9]*-(?P<owner>[0-9a-f]{6})-(?P<session>[0-9a-f]{12})-[0-9]+\."
)
# Prefixes that tests, end-to-end tests and benchmarks made before sessions held locks: no live
# process can own one any more.
UNCLAIMED_TOPIC = re.compile(r"^(t[0-9a-f]{10}|e2e[0-9a-f]{8}|b[0-9a-f]{8}|bench[0-9a-f]{8})\.")

_UNKNOWN_TOPIC_OR_PARTITION = 3
# Names per DeleteTopics request: one request for a session's topics, a few for a big backlog,
# each well within the controller's timeout.
_DELETE_BATCH = 100


def owner_of(folder: Path) -> str:
    """The token in the prefixes of the sessions whose locks are in `folder`."""
    return hashlib.sha256(f"{socket.gethostname()}:{folder.resolve()}".encode()).hexdigest()[:6]


class TopicSession:
    """One process's claim on the topics under its prefixes; `claim` to start one."""

    def __init__(self, *, folder: Path, label: str, session: str, lock_fd: int) -> None:
        self.folder = folder
        self.label = label
        self.session = session
        self.owner = owner_of(folder)
        self._lock_fd: int | None = lock_fd
        self._numbers = itertools.count(1)

    @classmethod
    def claim(cls, folder: Path, *, label: str) -> TopicSession:
        """A new session, its lock in `folder` held until `end()` or the process ends."""
        if not re.fullmatch(r"[a-z][a-z0-9]*", label):
            raise ValueError(f"a session's label is lowercase letters and digits, not {label!r}")
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            session = secrets.token_hex(6)
            path = folder / f"{session}.lock"
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o644)
            except FileExistsError:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)
            # A sweep may have found the file between its creation and the lock, and removed it:
            # a lock on a removed file guards nothing, so that claim starts again.
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    os.write(fd, f"pid {os.getpid()}, {label}\n".encode())
                    return cls(folder=folder, label=label, session=session, lock_fd=fd)
            os.close(fd)

    @property
    def lock_path(self) -> Path:
        return self.folder / f"{self.session}.lock"

    def new_prefix(self) -> str:
        """A prefix no other call answers, naming this session."""
        return f"{self.label}-{self.owner}-{self.session}-{next(self._numbers)}."

    def owns(self, topic: str) -> bool:
        found = SESSION_TOPIC.match(topic)
        return found is not None and (found["owner"], found["session"]) == (
            self.owner,
            self.session,
        )

    async def delete_own_topics(self, bootstrap_servers: str) -> list[str]:
        """Delete every topic of this session on the broker (whoever made it); answer them."""
        async with _admin(bootstrap_servers) as admin:
            own = [name for name in await admin.list_topics() if self.owns(name)]
            await _delete(admin, own)
        return own

    def end(self) -> None:
        """Let go of the lock and remove its file (topics still left are now any sweep's)."""
        if self._lock_fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.lock_path.unlink()
        os.close(self._lock_fd)
        self._lock_fd = None


async def delete_topics(bootstrap_servers: str, names: Iterable[str]) -> None:
    """Delete `names` on one admin connection, in batches; a name already gone is no error."""
    doomed = list(names)
    if not doomed:
        return
    async with _admin(bootstrap_servers) as admin:
        await _delete(admin, doomed)


async def sweep_stale(bootstrap_servers: str, folder: Path) -> list[str]:
    """Delete the topics of every session of `folder` whose lock nobody holds, and those of the
    prefixes from before sessions; remove the stale lock files. Answer the topics deleted."""
    owner = owner_of(folder)
    held: dict[str, bool] = {}
    doomed: list[str] = []
    async with _admin(bootstrap_servers) as admin:
        for name in await admin.list_topics():
            found = SESSION_TOPIC.match(name)
            if found is None:
                if UNCLAIMED_TOPIC.match(name):
                    doomed.append(name)
                continue
            if found["owner"] != owner:
                continue
            session = found["session"]
            if session not in held:
                held[session] = _lock_held(folder / f"{session}.lock")
            if not held[session]:
                doomed.append(name)
        await _delete(admin, doomed)
    _remove_stale_locks(folder)
    return doomed


@contextlib.asynccontextmanager
async def _admin(bootstrap_servers: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="civic-topic-sessions"
    )
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def _delete(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    refused: list[str] = []
    for start in range(0, len(names), _DELETE_BATCH):
        response = await admin.delete_topics(names[start : start + _DELETE_BATCH])
        for name, code, *_ in response.topic_error_codes:
            # Unknown: another session's sweep, or a test that deleted its own, got there first.
            if code not in (0, _UNKNOWN_TOPIC_OR_PARTITION):
                refused.append(f"{name} (error code {code})")
    if refused:
        raise RuntimeError(f"could not delete topics: {', '.join(refused)}")


def _lock_held(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _remove_stale_locks(folder: Path) -> None:
    for path in folder.glob("*.lock"):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        # Removed while locked, so a claim that created this file just now sees it gone and
        # starts again instead of holding a lock nobody can see.
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)
