import gc
from pathlib import Path
from typing import Any

import pytest
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

    monkeypatch.setattr(cli.uvicorn, "run", fake_run)
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
    # The modules, classes and the app: a full collection no longer walks them.
    assert served["frozen"] > 10_000
    assert served["threshold"] == (cli.YOUNG_COLLECTION_THRESHOLD, *threshold[1:])
