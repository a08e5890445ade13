"""Background work of a service process: what `create_service(..., background=[...])` runs.

A `BackgroundJob` is anything with `start()` and `stop()`: the runtime starts it after the
service's start-up and stops it before its own shutdown. `PeriodicJob` is the usual kind, one
round now and then: cases' SLA checks and work orders, payments' reconciliation and retention,
intake's idempotency purge and the consumers' lag monitor run this way. A round that fails is
logged and the next round comes anyway, so a gateway or database outage pauses the job rather
than ending it. A long-running loop of its own (notify's dispatcher, intake's group commit) is a
`BackgroundJob` too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

logger = logging.getLogger(__name__)


class BackgroundJob(Protocol):
    def start(self) -> None:
        """Start the work as a task of the running event loop and return at once."""

    async def stop(self) -> None:
        """Stop the work and return once it has stopped."""


class PeriodicJob:
    """Runs `run_round` every `interval_s` seconds between `start()` and `stop()`."""

    def __init__(
        self,
        *,
        name: str,
        run_round: Callable[[], Awaitable[object]],
        interval_s: Callable[[], float],
    ) -> None:
        self._name = name
        self._run_round = run_round
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._run_round()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("%s round failed", self._name)
            await asyncio.sleep(self._interval_s())
