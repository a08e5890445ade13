"""Builds the payments service from its settings: the only place where its parts are wired together."""

from __future__ import annotations

from pathlib import Path

from civic_runtime.app import create_service
from civic_runtime.settings import ServiceSettings
from fastapi import FastAPI

from payments.entrypoints.consumers import handlers

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: ServiceSettings) -> FastAPI:
    return create_service(
        settings,
        title="Civic Events — payments",
        description="Payment requests, GOV.UK Pay gateway integration, signed webhooks, refunds.",
        migrations_dir=MIGRATIONS_DIR,
        handlers=handlers,
    )
