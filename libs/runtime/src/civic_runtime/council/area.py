"""The council's area: its boundary as the ONS Open Geography Portal publishes it (GeoJSON, WGS 84),
and whether a map point falls inside it.

ONS files are a FeatureCollection of (Multi)Polygon features with properties such as `LAD24CD`
and `LAD24NM`; a national file holds every council, so the council's own feature is picked by
its code. A file in British National Grid (eastings and northings) is refused, not guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import MultiPolygon, Polygon, shape

CODE_PROPERTY = re.compile(r"^[A-Z]+[0-9]{2}CD$")
NAME_PROPERTY = re.compile(r"^[A-Z]+[0-9]{2}NM$")
WGS84_NAMES = ("CRS84", "4326")


class InvalidBoundary(ValueError):
    """A boundary file that cannot be the council's area."""


@dataclass(frozen=True, eq=False)
class CouncilArea:
    geometry: Polygon | MultiPolygon
    code: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        # Prepared once: each point test is then a quick index walk, not a scan of every vertex.
        shapely.prepare(self.geometry)

    def contains(self, latitude: float, longitude: float) -> bool:
        """Inside or on the boundary (GeoJSON is longitude first)."""
        return bool(shapely.intersects_xy(self.geometry, longitude, latitude))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east)."""
        west, south, east, north = self.geometry.bounds
        return south, west, north, east

    @classmethod
    def from_geojson(cls, document: Any, *, code: str | None = None) -> CouncilArea:
        """The area in an ONS-style GeoJSON document; `code` (e.g. `E07000208`) picks the
        council's feature from a file of several, and must match a single feature's code."""
        if not isinstance(document, dict) or "type" not in document:
            raise InvalidBoundary("not a GeoJSON object (no `type`)")
        _check_crs(document.get("crs"))
        features = _features(document)
        polygons = [f for f in features if _geometry_type(f) in ("Polygon", "MultiPolygon")]
        if not polygons:
            raise InvalidBoundary("no Polygon or MultiPolygon feature")
        chosen = _choose(polygons, code)
        properties = chosen.get("properties") or {}
        geometry = _geometry(chosen["geometry"])
        return cls(
            geometry=geometry,
            code=_property(properties, CODE_PROPERTY),
            name=_property(properties, NAME_PROPERTY),
        )


def _check_crs(crs: Any) -> None:
    if crs is None:
        return  # RFC 7946: GeoJSON without `crs` is WGS 84
    name = str((crs.get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
    if not any(wgs84 in name for wgs84 in WGS84_NAMES):
        raise InvalidBoundary(
            f"coordinates are in {name or 'an unknown CRS'}: download the boundary in WGS 84"
        )


def _features(document: dict[str, Any]) -> list[dict[str, Any]]:
    kind = document["type"]
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise InvalidBoundary("a FeatureCollection without a `features` list")
        return [f for f in features if isinstance(f, dict)]
    if kind == "Feature":
        return [document]
    return [{"type": "Feature", "properties": {}, "geometry": document}]


def _geometry_type(feature: dict[str, Any]) -> str | None:
    geometry = feature.get("geometry")
    return geometry.get("type") if isinstance(geometry, dict) else None


def _property(properties: dict[str, Any], pattern: re.Pattern[str]) -> str | None:
    for key, value in properties.items():
        if pattern.match(key) and isinstance(value, str):
            return value
    return None


def _choose(features: list[dict[str, Any]], code: str | None) -> dict[str, Any]:
    codes = [_property(f.get("properties") or {}, CODE_PROPERTY) for f in features]
    if code is not None and code in codes:
        matching = [f for f, c in zip(features, codes, strict=True) if c == code]
        if len(matching) > 1:
            raise InvalidBoundary(f"{len(matching)} features have the code {code}")
        return matching[0]
    if len(features) > 1:
        raise InvalidBoundary(
            f"{len(features)} polygon features and none has the code {code}"
            if code
            else f"{len(features)} polygon features: which one is the council's?"
        )
    if code is not None and codes[0] is not None:
        raise InvalidBoundary(f"the boundary is {codes[0]}'s, not {code}'s")
    return features[0]


def _geometry(geojson: dict[str, Any]) -> Polygon | MultiPolygon:
    try:
        geometry = shape(geojson)
    except (ShapelyError, GEOSException, ValueError, TypeError, IndexError, KeyError) as exc:
        raise InvalidBoundary(f"the polygon's coordinates cannot be read ({exc})") from exc
    if not isinstance(geometry, Polygon | MultiPolygon) or geometry.is_empty:
        raise InvalidBoundary("the polygon is empty")
    west, south, east, north = geometry.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidBoundary(
            "coordinates are not longitude and latitude (eastings and northings of the "
            "British National Grid?): download the boundary in WGS 84"
        )
    if not geometry.is_valid:
        raise InvalidBoundary(f"the polygon is not valid: {shapely.is_valid_reason(geometry)}")
    return geometry
