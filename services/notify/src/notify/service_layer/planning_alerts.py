"""Neighbour planning alerts: when consultation on an application starts, every resident who asked
to hear of applications near their home, and lives within their radius of the site, is told once.

The applicant and agent are not found here: they hear through the case's own events.
"""

from __future__ import annotations

import sqlalchemy as sa
from civic_events.planning import ConsultationStarted
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.tables import ResidentPreferences
from notify.domain import purposes
from notify.domain.neighbourhood import (
    MAX_PLANNING_ALERT_RADIUS_METRES,
    Point,
    box_around,
    within_radius,
)
from notify.service_layer.notifications import request_notification

_r = ResidentPreferences.__table__


async def alert_neighbours(*, session: AsyncSession, event: ConsultationStarted) -> int:
    """Record one `planning_nearby` notification per subscribed neighbour; returns how many new."""
    if event.site_coordinates is None:
        return 0
    site = Point(event.site_coordinates.latitude, event.site_coordinates.longitude)
    box = box_around(site, MAX_PLANNING_ALERT_RADIUS_METRES)
    candidates = await session.execute(
        sa.select(
            _r.c.resident_id,
            _r.c.home_latitude,
            _r.c.home_longitude,
            _r.c.planning_alert_radius_metres,
        )
        .where(
            _r.c.planning_alerts.is_(True),
            _r.c.erased.is_(False),
            _r.c.home_latitude.between(box.min_latitude, box.max_latitude),
            _r.c.home_longitude.between(box.min_longitude, box.max_longitude),
        )
        .order_by(_r.c.resident_id)
    )
    told = 0
    for row in candidates.all():
        home = Point(row.home_latitude, row.home_longitude)
        distance = within_radius(home, site, row.planning_alert_radius_metres)
        if distance is None:
            continue
        request = purposes.planning_nearby(event, row.resident_id, distance_metres=distance)
        if await request_notification(session=session, request=request) is not None:
            told += 1
    return told
