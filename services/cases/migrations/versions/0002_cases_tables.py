"""Residents, cases, the timeline and the status API's rate limit.

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


def _when(name: str, *, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cases_resident",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(20)),
        sa.Column("address", sa.String(500)),
        sa.Column("uprn", sa.String(12)),
        sa.Column("postcode", sa.String(10)),
        sa.Column("preferred_channel", sa.String(10), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("case_updates", sa.Boolean, nullable=False),
        sa.Column("disruption_alerts", sa.Boolean, nullable=False),
        sa.Column("planning_alerts", sa.Boolean, nullable=False),
        _when("consent_at"),
        sa.Column("consent_source", sa.String(100)),
        _when("erased_at"),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
    )
    op.create_index(
        "ux_cases_resident_email",
        "cases_resident",
        ["email"],
        unique=True,
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.create_index("ix_cases_resident_phone", "cases_resident", ["phone"])

    op.create_table(
        "cases_case",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("reference", sa.String(100), nullable=False, unique=True),
        sa.Column("case_type", sa.String(50), nullable=False),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("resident_id", sa.Uuid, sa.ForeignKey("cases_resident.id")),
        sa.Column("agent_resident_id", sa.Uuid, sa.ForeignKey("cases_resident.id")),
        sa.Column("form_id", sa.String(50)),
        sa.Column("form_version", sa.Integer),
        sa.Column("opened_from", sa.Uuid),
        sa.Column("uprn", sa.String(12)),
        sa.Column("address", sa.String(500)),
        sa.Column("postcode", sa.String(10)),
        sa.Column("description", sa.Text),
        sa.Column("answers", postgresql.JSONB, nullable=False),
        sa.Column("assigned_to", sa.String(100)),
        sa.Column("outcome", sa.String(50)),
        sa.Column("payment_request_id", sa.Uuid),
        sa.Column("amount_pence", sa.Integer),
        sa.Column("paid", sa.Boolean, nullable=False),
        sa.Column("sla_name", sa.String(50)),
        _when("sla_due_at"),
        _when("sla_paused_at"),
        _when("sla_breached_at"),
        _when("last_update_at"),
        _when("opened_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("closed_at"),
        _when("anonymised_at"),
    )
    op.create_index("ix_cases_case_resident", "cases_case", ["resident_id"])
    op.create_index("ix_cases_case_status_type", "cases_case", ["case_type", "status"])
    op.create_index(
        "ix_cases_case_sla_open",
        "cases_case",
        ["sla_due_at"],
        postgresql_where=sa.text("sla_breached_at IS NULL AND closed_at IS NULL"),
    )
    op.create_index("ix_cases_case_payment_request", "cases_case", ["payment_request_id"])

    op.create_table(
        "cases_timeline",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("case_id", sa.Uuid, sa.ForeignKey("cases_case.id")),
        sa.Column("resident_id", sa.Uuid, sa.ForeignKey("cases_resident.id")),
        _when("occurred_at", nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("detail", postgresql.JSONB, nullable=False),
        sa.Column("event_id", sa.Uuid),
        sa.Column("actor", sa.String(100)),
        sa.Column("internal", sa.Boolean, nullable=False),
    )
    op.create_index("ix_cases_timeline_case", "cases_timeline", ["case_id", "occurred_at"])
    op.create_index("ix_cases_timeline_resident", "cases_timeline", ["resident_id", "occurred_at"])

    op.create_table(
        "cases_status_lookup",
        sa.Column("client", sa.String(100), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cases_status_lookup")
    op.drop_table("cases_timeline")
    op.drop_table("cases_case")
    op.drop_table("cases_resident")
