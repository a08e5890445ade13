"""The district's boundary: a simplified polygon (WGS 84) that map points must fall inside.

An illustrative district around (52.2 N, 0.1 E); a real deployment would load the council's
boundary from the ONS Open Geography Portal. Ray casting is exact enough at this scale.
"""

from __future__ import annotations

# (latitude, longitude) vertices, in order around the boundary.
DISTRICT_BOUNDARY: tuple[tuple[float, float], ...] = (
    (52.3400, 0.0200),
    (52.3300, 0.1900),
    (52.2700, 0.3000),
    (52.1700, 0.2800),
    (52.1000, 0.1900),
    (52.1100, 0.0100),
    (52.1800, -0.0800),
    (52.2800, -0.0700),
)


def inside_district(latitude: float, longitude: float) -> bool:
    inside = False
    points = DISTRICT_BOUNDARY
    j = len(points) - 1
    for i, (lat_i, lon_i) in enumerate(points):
        lat_j, lon_j = points[j]
        if (lon_i > longitude) != (lon_j > longitude):
            crossing = lat_i + (longitude - lon_i) * (lat_j - lat_i) / (lon_j - lon_i)
            if latitude < crossing:
                inside = not inside
        j = i
    return inside
