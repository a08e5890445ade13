"""Payments, refunds and the webhook log.

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


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else sa.text("now()"),
    )


def upgrade() -> None:
    op.create_table(
        "payments_payment",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("payment_request_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("answers_request_id", sa.Uuid, nullable=False),
        sa.Column("case_reference", sa.String(100), nullable=False),
        sa.Column("service_code", sa.String(50), nullable=False),
        sa.Column("resident_id", sa.Uuid, nullable=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("return_token", sa.String(64), nullable=False, unique=True),
        sa.Column("gateway_payment_id", sa.String(100), nullable=False, unique=True),
        sa.Column("next_url", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("finished", sa.Boolean, nullable=False),
        sa.Column("failure_code", sa.String(10), nullable=True),
        sa.Column("failure_message", sa.String(255), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _timestamp("finished_at", nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0 AND amount <= 10000000", name="ck_payments_payment_amount"),
    )
    op.create_index(
        "ux_payments_payment_live",
        "payments_payment",
        ["case_reference", "service_code"],
        unique=True,
        postgresql_where=sa.text("status NOT IN ('failed', 'cancelled', 'error')"),
    )
    op.create_index(
        "ix_payments_payment_unfinished",
        "payments_payment",
        ["next_check_at"],
        postgresql_where=sa.text("NOT finished"),
    )
    op.create_table(
        "payments_refund",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("payment_id", sa.Uuid, sa.ForeignKey("payments_payment.id"), nullable=False),
        sa.Column("gateway_refund_id", sa.String(100), nullable=False, unique=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(255), nullable=True),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("trigger_key", sa.String(200), nullable=True, unique=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("confirmed_at", nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_payments_refund_amount"),
    )
    op.create_index("ix_payments_refund_payment", "payments_refund", ["payment_id"])
    op.create_index(
        "ix_payments_refund_submitted",
        "payments_refund",
        ["next_check_at"],
        postgresql_where=sa.text("status = 'submitted'"),
    )
    op.create_table(
        "payments_webhook",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        _timestamp("received_at"),
        sa.Column("signature_valid", sa.Boolean, nullable=False),
        sa.Column("webhook_message_id", sa.String(100), nullable=True),
        sa.Column("applied_message_id", sa.String(100), nullable=True, unique=True),
        sa.Column("event_type", sa.String(100), nullable=True),
        sa.Column("resource_id", sa.String(100), nullable=True),
        sa.Column("outcome", sa.String(30), nullable=False),
        sa.Column("body", postgresql.JSONB, nullable=True),
    )
    op.create_index("ix_payments_webhook_received_at", "payments_webhook", ["received_at"])


def downgrade() -> None:
    op.drop_table("payments_webhook")
    op.drop_table("payments_refund")
    op.drop_table("payments_payment")
