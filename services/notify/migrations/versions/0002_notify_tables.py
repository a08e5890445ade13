"""notify's own tables: residents' preferences, templates, notifications, rounds, broadcasts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "notify_resident",
        sa.Column("resident_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(20)),
        sa.Column("uprn", sa.String(12)),
        sa.Column("preferred_channel", sa.String(10), nullable=False),
        sa.Column("fallback_order", postgresql.ARRAY(sa.String(10)), nullable=False),
        sa.Column("round_ids", postgresql.ARRAY(sa.String(50)), nullable=False),
        sa.Column("case_updates", sa.Boolean(), nullable=False),
        sa.Column("disruption_alerts", sa.Boolean(), nullable=False),
        sa.Column("planning_alerts", sa.Boolean(), nullable=False),
        sa.Column("push_subscription", postgresql.JSONB()),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    )
    op.create_index(
        "ix_notify_resident_round_ids", "notify_resident", ["round_ids"], postgresql_using="gin"
    )
    op.create_table(
        "notify_template",
        sa.Column("name", sa.String(120), primary_key=True),
        sa.Column("channel", sa.String(10), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.Text()),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    )
    op.create_table(
        "notify_notification",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("caused_by", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(120), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("template_name", sa.String(120), nullable=False),
        sa.Column("personalisation", postgresql.JSONB(), nullable=False),
        sa.Column("channel", sa.String(10)),
        sa.Column("tried_channels", postgresql.ARRAY(sa.String(10)), nullable=False),
        sa.Column("template_version", sa.Integer()),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("provider", sa.String(30)),
        sa.Column("provider_reference", sa.String(100)),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("history", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("detail", sa.String(500)),
        sa.Column("broadcast_id", sa.Uuid()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint(
            "caused_by", "resident_id", "purpose", name="uq_notify_notification_once"
        ),
    )
    op.create_index(
        "ix_notify_notification_due",
        "notify_notification",
        ["not_before"],
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )
    op.create_index("ix_notify_notification_resident", "notify_notification", ["resident_id"])
    op.create_index("ix_notify_notification_broadcast", "notify_notification", ["broadcast_id"])
    op.create_table(
        "notify_round_household",
        sa.Column("uprn", sa.String(12), primary_key=True),
        sa.Column("round_id", sa.String(50), nullable=False),
        sa.Column("collection_day", sa.String(10)),
    )
    op.create_index("ix_notify_round_household_round_id", "notify_round_household", ["round_id"])
    op.create_table(
        "notify_broadcast",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("caused_by", sa.Uuid(), nullable=False, unique=True),
        sa.Column("round_id", sa.String(50), nullable=False),
        sa.Column("disruption_id", sa.String(100), nullable=False),
        sa.Column("personalisation", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("notify_broadcast")
    op.drop_index("ix_notify_round_household_round_id", table_name="notify_round_household")
    op.drop_table("notify_round_household")
    op.drop_index("ix_notify_notification_broadcast", table_name="notify_notification")
    op.drop_index("ix_notify_notification_resident", table_name="notify_notification")
    op.drop_index("ix_notify_notification_due", table_name="notify_notification")
    op.drop_table("notify_notification")
    op.drop_table("notify_template")
    op.drop_index("ix_notify_resident_round_ids", table_name="notify_resident")
    op.drop_table("notify_resident")
