"""The provider call in the trace: the W3C trace context a notification was created in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notify_notification", sa.Column("traceparent", sa.String(55)))
    op.add_column("notify_notification", sa.Column("tracestate", sa.String(512)))


def downgrade() -> None:
    op.drop_column("notify_notification", "tracestate")
    op.drop_column("notify_notification", "traceparent")
