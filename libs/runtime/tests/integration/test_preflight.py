"""A command checks that the database and Kafka it needs answer before it starts, and says in one
line which did not and how to start it (exit status 2, nothing done)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from civic_runtime import admin, cli, preflight
from civic_runtime.settings import ServiceSettings
from fastapi import FastAPI

pytestmark = pytest.mark.integration

NOBODY = "127.0.0.1:1"  # a port where nothing listens: refused at once


async def test_what_answers_passes(database_url: str, infrastructure: Any) -> None:
    await preflight.check(
        database_url=database_url,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
    )


async def test_each_refusal_names_what_and_where_without_the_password(database_url: str) -> None:
    url = sa.make_url(database_url)
    refused = url.set(host="127.0.0.1", port=1).render_as_string(hide_password=False)
    missing = url.set(database="no_such_database").render_as_string(hide_password=False)
    cases = [
        (
            {"database_url": refused},
            "cannot reach PostgreSQL at 127.0.0.1:1/",
            "connection refused",
        ),
        (
            {"database_url": missing},
            f"cannot reach PostgreSQL at {preflight.database_address(missing)}",
            'database "no_such_database" does not exist',
        ),
        ({"kafka_bootstrap_servers": NOBODY}, f"cannot reach Kafka at {NOBODY}", "no broker"),
    ]
    for where, what, why in cases:
        with pytest.raises(preflight.Unreachable) as refusal:
            await preflight.check(**where)
        message = str(refusal.value)
        assert message.startswith(what) and why in message and "make infra-up" in message
        assert f":{url.password}@" not in message and "\n" not in message


def test_migrate_with_the_database_down_is_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    down = f"postgresql+asyncpg://civic:civic@{NOBODY}/svc"
    with pytest.raises(SystemExit) as exit_:
        cli.run(
            prog="svc",
            load_settings=lambda: ServiceSettings(service_name="svc", database_url=down),
            create_app=lambda settings: FastAPI(),
            migrations_dir=Path("unused"),
            argv=["migrate"],
        )
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.startswith(f"svc: error: cannot reach PostgreSQL at {NOBODY}/svc")


def test_serve_with_kafka_down_is_refused_before_the_app_is_built(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    built: list[FastAPI] = []
    with pytest.raises(SystemExit) as exit_:
        cli.run(
            prog="svc",
            load_settings=lambda: ServiceSettings(
                service_name="svc", database_url=database_url, kafka_bootstrap_servers=NOBODY
            ),
            create_app=lambda settings: built.append(FastAPI()) or built[-1],
            migrations_dir=Path("unused"),
            argv=["serve"],
        )
    assert exit_.value.code == 2 and not built
    assert capsys.readouterr().err.startswith(f"svc: error: cannot reach Kafka at {NOBODY}")


def test_ensure_topics_with_kafka_down_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        admin.main(["ensure-topics", "--bootstrap-servers", NOBODY])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.startswith(f"civic_runtime.admin: error: cannot reach Kafka at {NOBODY}")
