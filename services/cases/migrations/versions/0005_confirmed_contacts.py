"""When each resident's email address and phone number were confirmed; where a confirmation link
was sent for a resident with none confirmed.

Residents already on record count as confirmed from their creation: they predate confirmation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases_resident", sa.Column("email_confirmed_at", sa.DateTime(timezone=True)))
    op.add_column("cases_resident", sa.Column("phone_confirmed_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE cases_resident SET email_confirmed_at = created_at WHERE email IS NOT NULL")
    op.execute("UPDATE cases_resident SET phone_confirmed_at = created_at WHERE phone IS NOT NULL")
    op.add_column("cases_contact_change", sa.Column("sent_to_detail", sa.String(10)))
    op.add_column("cases_contact_change", sa.Column("sent_to", sa.String(254)))


def downgrade() -> None:
    op.drop_column("cases_contact_change", "sent_to")
    op.drop_column("cases_contact_change", "sent_to_detail")
    op.drop_column("cases_resident", "phone_confirmed_at")
    op.drop_column("cases_resident", "email_confirmed_at")
