"""The types of each resident's cases, from CaseOpened: which officers' teams may see the resident.

Filled, for the cases opened before, from the acknowledgements already requested (each names its
case type: `case_opened.<case type>`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_resident_case_type",
        sa.Column("resident_id", sa.Uuid, primary_key=True),
        sa.Column("case_type", sa.String(50), primary_key=True),
    )
    op.execute(
        "INSERT INTO notify_resident_case_type (resident_id, case_type) "
        "SELECT DISTINCT resident_id, split_part(template_name, '.', 2) FROM notify_notification "
        "WHERE purpose = 'case_opened' AND split_part(template_name, '.', 2) <> '' "
        "ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.drop_table("notify_resident_case_type")
