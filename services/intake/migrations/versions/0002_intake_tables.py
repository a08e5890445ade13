"""Intake's tables: form versions, submission receipts and updates, idempotency keys, API
clients, back-office receipts; and one reference sequence per form family.

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

FAMILIES = ("wst", "env", "pln", "enq", "foi")


def upgrade() -> None:
    now = sa.text("now()")
    op.create_table(
        "intake_form_version",
        sa.Column("form_id", sa.String(50), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("family", sa.String(3), nullable=False),
        sa.Column("service_code", sa.String(50), nullable=False),
        sa.Column("definition", postgresql.JSONB, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
    )
    op.create_table(
        "intake_submission",
        sa.Column("reference", sa.String(30), primary_key=True),
        sa.Column("form_id", sa.String(50), nullable=False),
        sa.Column("form_version", sa.Integer, nullable=False),
        sa.Column("service_code", sa.String(50), nullable=False),
        sa.Column("submitted_via", sa.String(20), nullable=False),
        sa.Column("api_client_id", sa.Uuid, nullable=True),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("location", postgresql.JSONB, nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("status_notes", sa.Text, nullable=True),
        sa.Column("case_status", sa.String(50), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
    )
    op.create_index("ix_intake_submission_received_at", "intake_submission", ["received_at"])
    op.create_index("ix_intake_submission_service_code", "intake_submission", ["service_code"])
    op.create_table(
        "intake_submission_update",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("reference", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("external_status_code", sa.String(50), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_intake_submission_update_reference", "intake_submission_update", ["reference"]
    )
    op.create_index(
        "ix_intake_submission_update_updated_at", "intake_submission_update", ["updated_at"]
    )
    op.create_table(
        "intake_idempotency_key",
        sa.Column("scope", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer, nullable=True),
        sa.Column("response_body", postgresql.JSONB, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_intake_idempotency_key_expires_at", "intake_idempotency_key", ["expires_at"]
    )
    op.create_table(
        "intake_api_client",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("scopes", postgresql.ARRAY(sa.String(30)), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("signing_secret", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "intake_backoffice_receipt",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("system", sa.String(20), nullable=False),
        sa.Column("api_client_id", sa.Uuid, nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
    )
    for family in FAMILIES:
        op.execute(f"CREATE SEQUENCE intake_reference_{family}_seq START 1 CACHE 1")


def downgrade() -> None:
    for family in FAMILIES:
        op.execute(f"DROP SEQUENCE IF EXISTS intake_reference_{family}_seq")
    op.drop_table("intake_backoffice_receipt")
    op.drop_table("intake_api_client")
    op.drop_index("ix_intake_idempotency_key_expires_at", table_name="intake_idempotency_key")
    op.drop_table("intake_idempotency_key")
    op.drop_index("ix_intake_submission_update_updated_at", table_name="intake_submission_update")
    op.drop_index("ix_intake_submission_update_reference", table_name="intake_submission_update")
    op.drop_table("intake_submission_update")
    op.drop_index("ix_intake_submission_service_code", table_name="intake_submission")
    op.drop_index("ix_intake_submission_received_at", table_name="intake_submission")
    op.drop_table("intake_submission")
    op.drop_table("intake_form_version")
