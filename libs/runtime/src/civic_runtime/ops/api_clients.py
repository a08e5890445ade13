"""`api-client create`: delegated to intake, which owns API clients and their database.

Run as `python -m intake api-client create` in a subprocess with the same environment, so that
this runtime never imports a service. Intake prints the new credentials as JSON already (there is
no `--json` to pass on), once: its output is relayed unchanged.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from dataclasses import dataclass

from civic_runtime.ops.errors import OpsError


@dataclass(frozen=True)
class Delegated:
    exit_code: int
    stdout: str
    stderr: str


async def create_api_client(*, name: str, scopes: str, rotate: bool = False) -> Delegated:
    if importlib.util.find_spec("intake") is None:
        raise OpsError("intake is not installed in this environment: run this where intake runs")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "intake",
        "api-client",
        "create",
        name,
        "--scopes",
        scopes,
        *(["--rotate"] if rotate else []),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ),
    )
    stdout, stderr = await process.communicate()
    return Delegated(
        exit_code=process.returncode if process.returncode is not None else 1,
        stdout=stdout.decode(errors="replace"),
        stderr=stderr.decode(errors="replace"),
    )
