import gc
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from civic_runtime import cli
from civic_runtime.settings import ServiceSettings
from fastapi import FastAPI

pytestmark = pytest.mark.unit


def test_serve_freezes_what_start_up_built_and_collects_the_young_less_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: dict[str, Any] = {}
    built: list[object] = []

    def create_app(settings: ServiceSettings) -> FastAPI:
        app = FastAPI()
        built.append(app)
        return app

    def fake_run(app: FastAPI, **options: Any) -> None:
        served["app"] = app
        served["frozen"] = gc.get_freeze_count()
        served["threshold"] = gc.get_threshold()
        served["port"] = options["port"]
        served["proxy_headers"] = options["proxy_headers"]

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setattr(cli, "require", lambda *args, **kwargs: None)
    gc.unfreeze()
    threshold = gc.get_threshold()
    try:
        cli.run(
            prog="svc",
            load_settings=lambda: ServiceSettings(service_name="svc", http_port=8123),
            create_app=create_app,
            migrations_dir=Path("unused"),
            argv=["serve"],
        )
    finally:
        gc.unfreeze()  # this test process goes on collecting as before
        gc.set_threshold(*threshold)
    assert served["app"] is built[0]
    assert served["port"] == 8123
    assert served["proxy_headers"] is False  # the runtime reads X-Forwarded-For (clients.py)
    # The modules, classes and the app: a full collection no longer walks them.
    assert served["frozen"] > 10_000
    assert served["threshold"] == (cli.YOUNG_COLLECTION_THRESHOLD, *threshold[1:])


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        cli.run(
            prog="svc",
            load_settings=lambda: ServiceSettings(service_name="svc"),
            create_app=lambda settings: FastAPI(),
            migrations_dir=Path("unused"),
            argv=argv,
        )
    assert exit_.value.code == 2
    return capsys.readouterr().err


def test_a_refused_command_line_is_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = refused(capsys, ["migrate", "sideways"])
    assert err.count("\n") == 1
    assert err.startswith("svc migrate: error: argument direction: invalid choice: 'sideways'")
    assert "svc migrate --help" in err
    assert refused(capsys, ["teleport"]).startswith("svc: error: argument command: ")


def test_subcommands_refuse_in_one_line_too(capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli.OperatorParser(prog="tool")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("create").add_argument("name")
    for argv, expected in (
        ([], "tool: error: the following arguments are required: action"),
        (["create"], "tool create: error: the following arguments are required: name"),
    ):
        with pytest.raises(SystemExit) as exit_:
            parser.parse_args(argv)
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and err.startswith(expected) and err.count("\n") == 1


def test_serve_with_a_bad_council_file_is_one_line_and_exit_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from civic_runtime.council import load_council

    monkeypatch.setattr(cli, "require", lambda *args, **kwargs: None)
    missing = tmp_path / "council.toml"
    with pytest.raises(SystemExit) as exit_:
        cli.run(
            prog="svc",
            load_settings=lambda: ServiceSettings(service_name="svc"),
            create_app=lambda settings: (load_council(missing), FastAPI())[1],
            migrations_dir=Path("unused"),
            argv=["serve"],
        )
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("svc: error: ") and str(missing) in lines[0]


def test_an_invalid_setting_is_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.run(
            prog="svc",
            load_settings=lambda: ServiceSettings(service_name="svc", http_port="x"),  # type: ignore[arg-type]
            create_app=lambda settings: FastAPI(),
            migrations_dir=Path("unused"),
            argv=["serve"],
        )
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("svc: error: invalid setting http_port")
