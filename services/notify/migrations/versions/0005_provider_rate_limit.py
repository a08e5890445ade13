"""A rate limit per provider shared by every instance: one token bucket row per provider; and an
index for the reconciliation poll (messages handed over with no receipt yet), which runs on every
idle dispatcher pass.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_rate_limit",
        sa.Column("provider", sa.String(30), primary_key=True),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("last_granted", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index(
        "ix_notify_notification_unreceipted",
        "notify_notification",
        ["sent_at"],
        postgresql_where=sa.text("status = 'sent'"),
    )


def downgrade() -> None:
    op.drop_index("ix_notify_notification_unreceipted", table_name="notify_notification")
    op.drop_table("notify_rate_limit")
