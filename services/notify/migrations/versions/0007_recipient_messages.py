"""The messages handed over to each recipient in the last hour, for the limit per recipient that
every instance shares: the recipient as a SHA-256, the notification, when it was counted.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_recipient_message",
        sa.Column("recipient_key", sa.String(64), primary_key=True),
        sa.Column("notification_id", sa.Uuid(), primary_key=True),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_notify_recipient_message_counted_at", "notify_recipient_message", ["counted_at"]
    )


def downgrade() -> None:
    op.drop_table("notify_recipient_message")
