"""The runtime's outbox and inbox tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from civic_runtime.migrations import create_runtime_tables, drop_runtime_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_runtime_tables()


def downgrade() -> None:
    drop_runtime_tables()
