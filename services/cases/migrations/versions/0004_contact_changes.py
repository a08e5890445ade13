"""Contact details given for a resident without proof, held until the resident confirms them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases_contact_change",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "resident_id",
            sa.Uuid,
            sa.ForeignKey("cases_resident.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("proposed", postgresql.JSONB, nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("reference", sa.String(100)),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_cases_contact_change_resident", "cases_contact_change", ["resident_id"])


def downgrade() -> None:
    op.drop_table("cases_contact_change")
