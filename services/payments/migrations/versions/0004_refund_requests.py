"""An officer's refund remembers what was asked under its Idempotency-Key, and who asked.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payments_refund", sa.Column("request_sha256", sa.String(64), nullable=True))
    # "officer:" and an officer id of up to 100 characters, as the identity provider gives it.
    op.alter_column("payments_refund", "requested_by", type_=sa.String(120))


def downgrade() -> None:
    op.alter_column("payments_refund", "requested_by", type_=sa.String(100))
    op.drop_column("payments_refund", "request_sha256")
