"""Alembic environment of the notify service's database (the logic is shared, in civic_runtime)."""

from civic_runtime.migrations import run_env

run_env()
