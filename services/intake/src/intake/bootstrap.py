"""Builds the intake service from its settings: the only place where its parts are wired together."""

from __future__ import annotations

from pathlib import Path

from civic_runtime.app import create_service
from civic_runtime.settings import ServiceSettings
from fastapi import FastAPI

from intake.entrypoints.consumers import handlers

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: ServiceSettings) -> FastAPI:
    return create_service(
        settings,
        title="Civic Events — intake",
        description="Online forms, Open311 GeoReport v2 and back-office webhooks in; validated events out.",
        migrations_dir=MIGRATIONS_DIR,
        handlers=handlers,
    )
