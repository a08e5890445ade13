"""The demo district's boundary: drawn around its towns, so every household can be placed inside.

The hull of the town centres, widened by `MARGIN_KM` on every side (in kilometres, not degrees:
a degree of longitude is two-thirds of a degree of latitude here) and kept to a few dozen
vertices. It depends on the towns alone, never on the seed, so any seed's households fit the one
boundary the demo council publishes (`python -m civic_simulators.district.council`).
"""

from __future__ import annotations

import math
from functools import cache

import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.polygon import orient

from civic_simulators.district import places

MARGIN_KM = 5.0
KM_PER_DEGREE_LAT = 111.32
_ORIGIN_LAT = 51.3  # where the scale of longitude is taken; the district spans 0.2 degrees


def _lon_scale() -> float:
    return math.cos(math.radians(_ORIGIN_LAT))


@cache
def boundary() -> Polygon:
    """The boundary in GeoJSON's order: x is longitude, y latitude."""
    scale = _lon_scale()
    centres = [
        (lon * scale * KM_PER_DEGREE_LAT, lat * KM_PER_DEGREE_LAT)
        for lat, lon in places.TOWN_CENTRES.values()
    ]
    widened = MultiPoint(centres).convex_hull.buffer(MARGIN_KM, quad_segs=4)
    outline = [
        (round(x / (scale * KM_PER_DEGREE_LAT), 6), round(y / KM_PER_DEGREE_LAT, 6))
        for x, y in widened.exterior.coords
    ]
    # RFC 7946 wants the outer ring anticlockwise.
    polygon = orient(Polygon(outline), sign=1.0)
    shapely.prepare(polygon)
    return polygon


def inside(latitude: float, longitude: float) -> bool:
    return bool(shapely.intersects_xy(boundary(), longitude, latitude))


def bounding_box() -> tuple[float, float, float, float]:
    """(south, west, north, east)."""
    west, south, east, north = boundary().bounds
    return south, west, north, east


def vertices() -> list[list[float]]:
    """The boundary's vertices as [latitude, longitude] pairs, in order, the first repeated last."""
    return [[lat, lon] for lon, lat in boundary().exterior.coords]
