"""Where a message goes when it is not to the resident's details on record: the address a resident
with none confirmed has just given, for the link that confirms it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notify_notification", sa.Column("destination", postgresql.JSONB))


def downgrade() -> None:
    op.drop_column("notify_notification", "destination")
