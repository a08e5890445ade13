"""Long commands' progress: a bar on a terminal, a line now and then elsewhere, nothing when off."""

from __future__ import annotations

import io
import time

import pytest
from civic_runtime.progress import NoProgress, show_progress
from rich.console import Console

pytestmark = pytest.mark.unit


def console(*, terminal: bool) -> tuple[Console, io.StringIO]:
    written = io.StringIO()
    return Console(file=written, force_terminal=terminal, width=100), written


def test_on_a_terminal_a_bar_counts_the_work_done() -> None:
    errors, written = console(terminal=True)
    with show_progress("demo residents", console=errors) as sink:
        sink.start(3000)
        sink.advance(250)
    assert "demo residents" in written.getvalue() and "250/3000" in written.getvalue()


def test_elsewhere_a_line_every_few_seconds_while_it_runs_and_none_after() -> None:
    errors, written = console(terminal=False)
    with show_progress("redriving cases.lifecycle.v1.dlq", console=errors, every_s=0.05) as sink:
        sink.start(10)
        sink.advance(4)
        time.sleep(0.18)
    lines = written.getvalue().splitlines()
    assert 2 <= len(lines) <= 4
    assert all(
        line.startswith("redriving cases.lifecycle.v1.dlq: 4 of 10 after ") for line in lines
    )
    time.sleep(0.1)
    assert written.getvalue().splitlines() == lines  # the thread stopped with the block


def test_work_not_counted_says_what_it_is_doing_and_for_how_long() -> None:
    errors, written = console(terminal=False)
    with show_progress("outbox_latency", counted=False, console=errors, every_s=0.05) as sink:
        sink.describe("outbox_latency: a burst of 5000 events")
        time.sleep(0.08)
    assert written.getvalue().startswith(
        "outbox_latency: a burst of 5000 events: still going after 0s"
    )


def test_a_fast_command_adds_nothing_to_a_log_and_off_means_off() -> None:
    errors, written = console(terminal=False)
    with show_progress("quick", console=errors) as sink:
        sink.start(1)
        sink.advance()
    with show_progress("json mode", console=errors, enabled=False) as sink:
        assert isinstance(sink, NoProgress)
    assert written.getvalue() == ""
