"""Work orders to the waste contractor; updates held for cases not open yet; residents' homes,
rounds and planning-alert radius.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases_resident", sa.Column("planning_alert_radius_metres", sa.Integer))
    op.add_column("cases_resident", sa.Column("home_latitude", sa.Float))
    op.add_column("cases_resident", sa.Column("home_longitude", sa.Float))
    op.add_column(
        "cases_resident",
        sa.Column("collection_round_ids", postgresql.JSONB, nullable=False, server_default="[]"),
    )
    op.create_table(
        "cases_work_orders",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases_case.id"), nullable=False),
        sa.Column("council_reference", sa.String(100), nullable=False, unique=True),
        sa.Column("uprn", sa.String(12), nullable=False),
        sa.Column("bin_type", sa.String(30), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(500)),
        sa.Column("job_reference", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "ix_cases_work_orders_due",
        "cases_work_orders",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "cases_held_updates",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("system", sa.String(50), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_cases_held_updates_reference", "cases_held_updates", ["reference", "occurred_at"]
    )
    op.create_index("ix_cases_held_updates_expiry", "cases_held_updates", ["expires_at"])


def downgrade() -> None:
    op.drop_table("cases_held_updates")
    op.drop_table("cases_work_orders")
    for column in (
        "collection_round_ids",
        "home_longitude",
        "home_latitude",
        "planning_alert_radius_metres",
    ):
        op.drop_column("cases_resident", column)
