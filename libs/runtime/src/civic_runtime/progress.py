"""How a long command shows that it is working, on stderr: one shape for every command.

On a terminal, a rich bar (or a spinner, when the amount of work is not known) with the time
spent. Elsewhere (a log file, CI), a line every `every_s` seconds while it runs: a slow command is
never silent there, and a fast one adds nothing to its log.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

EVERY_S = 10.0


class ProgressSink(Protocol):
    """Told how much work there is, then of each unit done (after it is durably done)."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int = 1) -> None: ...

    def describe(self, description: str) -> None:
        """What it is doing now, e.g. a benchmark's current phase."""


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass

    def describe(self, description: str) -> None:
        pass


class _Bar:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, count: int = 1) -> None:
        self._progress.advance(self._task, count)

    def describe(self, description: str) -> None:
        self._progress.update(self._task, description=description)


class _Lines:
    """The same news as the bar, as a line every `every_s` seconds, from a thread of its own
    (the work may hold the event loop for longer than that)."""

    def __init__(self, console: Console, description: str, every_s: float) -> None:
        self._console, self._description, self._every_s = console, description, every_s
        self._total: int | None = None
        self._done = 0
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress-lines", daemon=True)

    def start(self, total: int) -> None:
        self._total = total

    def advance(self, count: int = 1) -> None:
        self._done += count

    def describe(self, description: str) -> None:
        self._description = description

    def line(self) -> str:
        elapsed = _duration(time.monotonic() - self._started)
        if self._total is None and not self._done:
            return f"{self._description}: still going after {elapsed}"
        total = "?" if self._total is None else self._total
        return f"{self._description}: {self._done} of {total} after {elapsed}"

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self._console.print(self.line(), markup=False, highlight=False)

    def __enter__(self) -> _Lines:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def show_progress(
    description: str,
    *,
    counted: bool = True,
    console: Console | None = None,
    enabled: bool = True,
    transient: bool = False,
    every_s: float = EVERY_S,
) -> Iterator[ProgressSink]:
    """Show the progress of the block's work. `counted`: it has units to count (a bar with
    "done/total"); else a spinner and the time spent. `transient`: the bar is gone when done."""
    errors = console or Console(file=sys.stderr, highlight=False)
    if not enabled:
        yield NoProgress()
        return
    if not errors.is_terminal:
        with _Lines(errors, description, every_s) as lines:
            yield lines
        return
    columns: list[str | ProgressColumn] = [SpinnerColumn(), TextColumn("{task.description}")]
    if counted:
        columns += [BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TimeElapsedColumn(), console=errors, transient=transient) as bar:
        yield _Bar(bar, bar.add_task(description, total=None))


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
