"""The SHA-256 of the token a submission's receipt gives its submitter to read its status.

Receipts written before it have none: their status is shown to no one by intake (the resident
status API of cases still answers with its proofs).

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
    op.add_column("intake_submission", sa.Column("status_token_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("intake_submission", "status_token_hash")
