"""A submission's photo link (Open311 `media_url`), shown back in GET /requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("intake_submission", sa.Column("media_url", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("intake_submission", "media_url")
