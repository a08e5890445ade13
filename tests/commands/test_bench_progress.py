"""`python -m bench` says which benchmark runs, shows its progress, and prints its figures as soon
as they are known, not all at the end. Checked with fake benchmarks (the real ones take minutes)."""

from __future__ import annotations

import asyncio
import io

import pytest
from civic_runtime.progress import ProgressSink
from rich.console import Console

from bench import __main__ as bench

pytestmark = pytest.mark.unit


class Fake:
    """A benchmark that notes what had been printed when it started, and names one phase."""

    def __init__(self, name: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.name, self.capsys = name, capsys
        self.printed_before: str = ""

    async def run(self, progress: ProgressSink | None = None) -> str:
        self.printed_before = self.capsys.readouterr().out
        assert progress is not None
        progress.describe(f"{self.name}: the hard part")
        await asyncio.sleep(0.15)
        return f"## {self.name}\n\n- 42 things/s"


async def test_names_progress_and_figures_as_they_come(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "LINE_EVERY_S", 0.05)
    first, second = Fake("first", capsys), Fake("second", capsys)
    stderr = io.StringIO()
    sections = await bench.run_benchmarks(
        {"first": first, "second": second},
        settle_s=0,
        progress_console=Console(file=stderr, force_terminal=False),
    )
    assert sections == ["## first\n\n- 42 things/s", "## second\n\n- 42 things/s"]
    assert first.printed_before.strip() == "▶ first (1 of 2)"
    # The first benchmark's figures were out before the second began.
    assert "## first\n\n- 42 things/s\n(first: 0 s)" in second.printed_before
    assert second.printed_before.rstrip().endswith("▶ second (2 of 2)")
    lines = stderr.getvalue().splitlines()
    assert "first: the hard part: still going after 0s" in lines
    assert "second: the hard part: still going after 0s" in lines


def test_a_run_can_be_narrowed_to_some_benchmarks_and_a_bad_name_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert list(bench._chosen(["cases_opened", "outbox_latency"])) == [
        "cases_opened",
        "outbox_latency",
    ]
    assert bench._chosen([]) is bench.BENCHMARKS
    with pytest.raises(SystemExit) as exit_:
        bench._chosen(["cases_openned"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.startswith(
        "python -m bench: error: no benchmark 'cases_openned': the benchmarks are"
    )
