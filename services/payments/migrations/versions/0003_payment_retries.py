"""A resident pays again after a failed payment: retries, and the cases payments saw closed.

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
    # The failed payment a retry replaces; unique: one retry per failed payment.
    op.add_column(
        "payments_payment",
        sa.Column(
            "retry_of",
            sa.Uuid,
            sa.ForeignKey("payments_payment.id"),
            nullable=True,
            unique=True,
        ),
    )
    # Insertion order (existing rows are numbered in no particular order, which is harmless:
    # they predate retries, and only retries rely on it).
    op.add_column(
        "payments_payment",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False),
    )
    op.create_table(
        "payments_closed_case",
        sa.Column("case_reference", sa.String(100), primary_key=True),
        sa.Column("outcome", sa.String(50), nullable=False),
        sa.Column(
            "closed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
    )


def downgrade() -> None:
    op.drop_table("payments_closed_case")
    op.drop_column("payments_payment", "seq")
    op.drop_column("payments_payment", "retry_of")
