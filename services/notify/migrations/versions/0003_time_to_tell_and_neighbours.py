"""Time to tell and neighbour planning alerts: when a notification's cause happened; where each
resident lives and how far from home they want to hear of planning applications.

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
    op.add_column("notify_notification", sa.Column("triggered_at", sa.DateTime(timezone=True)))
    op.add_column("notify_resident", sa.Column("home_latitude", sa.Float()))
    op.add_column("notify_resident", sa.Column("home_longitude", sa.Float()))
    op.add_column("notify_resident", sa.Column("planning_alert_radius_metres", sa.Integer()))
    # When the resident last changed their choices through our API: an older residents.v1 event
    # does not undo them.
    op.add_column("notify_resident", sa.Column("choices_changed_at", sa.DateTime(timezone=True)))
    # Neighbour alerts look residents up by a latitude band first.
    op.create_index(
        "ix_notify_resident_planning_home",
        "notify_resident",
        ["home_latitude"],
        postgresql_where=sa.text("planning_alerts AND home_latitude IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notify_resident_planning_home", table_name="notify_resident")
    op.drop_column("notify_resident", "choices_changed_at")
    op.drop_column("notify_resident", "planning_alert_radius_metres")
    op.drop_column("notify_resident", "home_longitude")
    op.drop_column("notify_resident", "home_latitude")
    op.drop_column("notify_notification", "triggered_at")
