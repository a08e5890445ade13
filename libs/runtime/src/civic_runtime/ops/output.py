"""What a command prints: rich tables and progress bars for people, JSON on stdout for scripts.

Progress goes to stderr (`civic_runtime.progress`: a bar on a terminal, a line now and then
elsewhere, nothing with `--json`); with `--json` stdout carries exactly one JSON document (the
result, or `{"error": …}`), so a script can always parse it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from civic_runtime.progress import ProgressSink, show_progress


class Output:
    def __init__(self, *, json_mode: bool, prog: str = "python -m civic_runtime.ops") -> None:
        self.json_mode, self.prog = json_mode, prog
        # Bound now, not at import, so that tests capturing sys.stdout see what is printed.
        # Piped to a file or another program, a table keeps its rows whole rather than 80 wide.
        width = None if sys.stdout.isatty() else 200
        self.console = Console(file=sys.stdout, highlight=False, width=width)
        self.errors = Console(file=sys.stderr, highlight=False)

    @property
    def interactive(self) -> bool:
        return not self.json_mode and sys.stdin.isatty() and sys.stderr.isatty()

    def result(self, payload: Any, render: Callable[[Console], None]) -> None:
        if self.json_mode:
            sys.stdout.write(json.dumps(payload, indent=2, default=_json_default) + "\n")
        else:
            render(self.console)

    def note(self, message: str) -> None:
        """A remark for the person at the terminal; never on stdout in JSON mode."""
        if not self.json_mode:
            self.errors.print(message)

    def error(self, message: str) -> None:
        # The shape of the parser's own refusals (`prog: error: why`), so that every refusal of
        # the command reads alike.
        self.errors.print(f"{self.prog}: [bold red]error:[/] {message}", soft_wrap=True)
        if self.json_mode:
            sys.stdout.write(json.dumps({"error": message}) + "\n")

    @contextmanager
    def progress(self, description: str, *, counted: bool = True) -> Iterator[ProgressSink]:
        with show_progress(
            description, counted=counted, console=self.errors, enabled=not self.json_mode
        ) as sink:
            yield sink


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    rendered = Table(title=title, title_justify="left")
    for column in columns:
        rendered.add_column(column, overflow="fold")
    for row in rows:
        rendered.add_row(*("-" if cell is None else str(cell) for cell in row))
    return rendered
