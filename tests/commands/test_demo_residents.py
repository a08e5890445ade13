"""`python -m demo.residents`: the demo district's residents imported into cases from the
command line, with the counts on stdout; refusals in one line with exit status 2."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from civic_simulators.district.generator import generate, write

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


async def load_residents_command(*argv: str, database_url: str) -> tuple[int, str, str]:
    environment = {**os.environ, "CASES_DATABASE_URL": database_url, "CASES_ENVIRONMENT": "test"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "demo.residents",
        *argv,
        cwd=ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _district_file(folder: Path, residents: int) -> Path:
    path = folder / "district.json"
    write(generate(seed=7, households=residents, residents=residents, applications=0), path)
    return path


async def test_the_command_line_loads_and_prints_its_counts(
    database_url: str, tmp_path: Path
) -> None:
    path = _district_file(tmp_path, 3)
    code, out, err = await load_residents_command(
        str(path), "--batch-size", "2", database_url=database_url
    )
    assert code == 0, err
    # Not a terminal, and done within seconds: no progress lines (they come every 10 s).
    assert "Traceback" not in err
    assert json.loads(out) == {
        "file": str(path),
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "erased": 0,
    }


async def test_bad_input_and_a_database_down_are_one_line_and_exit_status_2(
    database_url: str, tmp_path: Path
) -> None:
    path = _district_file(tmp_path, 1)
    down = "postgresql+asyncpg://civic:civic@127.0.0.1:1/cases"
    for argv, url, expected in (
        ([str(tmp_path / "absent.json")], database_url, "absent.json not found"),
        ([str(path), "--batch-size", "0"], database_url, "argument --batch-size: wants"),
        ([str(path)], down, "cannot reach PostgreSQL at 127.0.0.1:1/cases"),
    ):
        code, out, err = await load_residents_command(*argv, database_url=url)
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert err.startswith("python -m demo.residents: error: ") and expected in err, err
