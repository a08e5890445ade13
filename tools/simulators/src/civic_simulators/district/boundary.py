"""The district's boundary, as intake knows it (intake.domain.district): a copy, because a
simulator does not import a service; tests/contract/test_district_data.py keeps the two equal."""

from __future__ import annotations

# (latitude, longitude) vertices, in order around the boundary.
BOUNDARY: tuple[tuple[float, float], ...] = (
    (52.3400, 0.0200),
    (52.3300, 0.1900),
    (52.2700, 0.3000),
    (52.1700, 0.2800),
    (52.1000, 0.1900),
    (52.1100, 0.0100),
    (52.1800, -0.0800),
    (52.2800, -0.0700),
)


def inside(latitude: float, longitude: float) -> bool:
    """Ray casting, the same rule as intake's, so a point inside here is inside there."""
    result = False
    j = len(BOUNDARY) - 1
    for i, (lat_i, lon_i) in enumerate(BOUNDARY):
        lat_j, lon_j = BOUNDARY[j]
        if (lon_i > longitude) != (lon_j > longitude):
            crossing = lat_i + (longitude - lon_i) * (lat_j - lat_i) / (lon_j - lon_i)
            if latitude < crossing:
                result = not result
        j = i
    return result


def bounding_box() -> tuple[float, float, float, float]:
    """(south, west, north, east)."""
    lats = [lat for lat, _ in BOUNDARY]
    lons = [lon for _, lon in BOUNDARY]
    return min(lats), min(lons), max(lats), max(lons)
