"""Who lives near a planning site: great-circle distances on WGS 84 coordinates."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_METRES = 6_371_008.8  # the mean radius: well within a metre at a district's scale
DEFAULT_PLANNING_ALERT_RADIUS_METRES = 500
MAX_PLANNING_ALERT_RADIUS_METRES = 5_000  # the most `residents.v1` allows


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def distance_metres(a: Point, b: Point) -> float:
    """The haversine distance between two points."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    d_phi = phi2 - phi1
    d_lambda = math.radians(b.longitude - a.longitude)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Box:
    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float


def box_around(centre: Point, metres: float) -> Box:
    """A latitude/longitude box holding every point within `metres` of `centre` (a cheap first
    filter in SQL; the exact distance decides)."""
    d_lat = math.degrees(metres / EARTH_RADIUS_METRES)
    cos_lat = max(math.cos(math.radians(centre.latitude)), 1e-6)
    d_lon = min(180.0, math.degrees(metres / (EARTH_RADIUS_METRES * cos_lat)))
    return Box(
        min_latitude=centre.latitude - d_lat,
        max_latitude=centre.latitude + d_lat,
        min_longitude=centre.longitude - d_lon,
        max_longitude=centre.longitude + d_lon,
    )


def within_radius(home: Point, site: Point, radius_metres: int | None) -> float | None:
    """The distance when `site` is within the resident's radius (the default when unset)."""
    distance = distance_metres(home, site)
    limit = radius_metres if radius_metres is not None else DEFAULT_PLANNING_ALERT_RADIUS_METRES
    return distance if distance <= limit else None
