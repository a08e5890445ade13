"""The council's area from an ONS-style GeoJSON boundary: points inside and outside, the council's
feature picked from a national file, and the files that are refused rather than guessed at."""

from __future__ import annotations

from typing import Any

import pytest
from civic_runtime.council import CouncilArea, InvalidBoundary

pytestmark = pytest.mark.unit

# A square around Epsom, longitude first as GeoJSON has it.
SQUARE = [[[-0.30, 51.30], [-0.20, 51.30], [-0.20, 51.37], [-0.30, 51.37], [-0.30, 51.30]]]


def feature(code: str, ring: Any = SQUARE, kind: str = "Polygon") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"FID": 1, "LAD24CD": code, "LAD24NM": f"Council {code}"},
        "geometry": {"type": kind, "coordinates": ring},
    }


def collection(*features: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **extra}


def test_points_inside_outside_and_on_the_boundary() -> None:
    area = CouncilArea.from_geojson(collection(feature("E07000208")), code="E07000208")
    assert (area.code, area.name) == ("E07000208", "Council E07000208")
    assert area.contains(51.336, -0.267)
    assert area.contains(51.30, -0.25)  # on the edge counts as inside
    assert not area.contains(51.5072, -0.1276)  # London
    assert not area.contains(-0.267, 51.336)  # latitude and longitude swapped
    assert area.bounds == (51.30, -0.30, 51.37, -0.20)


def test_a_multipolygon_and_a_bare_geometry_are_read() -> None:
    islands = [SQUARE, [[[1.0, 52.0], [1.1, 52.0], [1.1, 52.1], [1.0, 52.0]]]]
    area = CouncilArea.from_geojson(feature("E07000208", islands, "MultiPolygon")["geometry"])
    assert area.contains(51.336, -0.267) and area.contains(52.05, 1.08)
    assert not area.contains(52.05, 0.5)


def test_the_councils_feature_is_picked_from_a_national_file() -> None:
    elsewhere = [[[1.0, 52.0], [1.1, 52.0], [1.1, 52.1], [1.0, 52.0]]]
    national = collection(feature("E06000001", elsewhere), feature("E07000208"))
    area = CouncilArea.from_geojson(national, code="E07000208")
    assert area.code == "E07000208" and area.contains(51.336, -0.267)
    with pytest.raises(InvalidBoundary, match="none has the code E07000999"):
        CouncilArea.from_geojson(national, code="E07000999")
    with pytest.raises(InvalidBoundary, match="which one is the council's"):
        CouncilArea.from_geojson(national)


def test_another_councils_boundary_is_refused() -> None:
    with pytest.raises(InvalidBoundary, match="E06000001's, not E07000208's"):
        CouncilArea.from_geojson(collection(feature("E06000001")), code="E07000208")


def test_british_national_grid_is_refused_not_guessed_at() -> None:
    eastings = [[[520000, 160000], [525000, 160000], [525000, 165000], [520000, 160000]]]
    with pytest.raises(InvalidBoundary, match="WGS 84"):
        CouncilArea.from_geojson(collection(feature("E07000208", eastings)))
    named = collection(
        feature("E07000208"), crs={"type": "name", "properties": {"name": "EPSG:27700"}}
    )
    with pytest.raises(InvalidBoundary, match="EPSG:27700"):
        CouncilArea.from_geojson(named)
    crs84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert CouncilArea.from_geojson(collection(feature("E07000208"), crs=crs84))


@pytest.mark.parametrize(
    ("ring", "complaint"),
    [
        ([[[-0.3, 51.3], [-0.2, 51.37], [-0.2, 51.3], [-0.3, 51.37], [-0.3, 51.3]]], "not valid"),
        ([[[-0.3, 51.3], [-0.2, 51.3]]], "cannot be read"),
        ([[[-0.3, 51.3], [-0.2, 51.3], [-0.1, 51.3], [-0.3, 51.3]]], "not valid"),  # a line
        ("not coordinates", "cannot be read"),
        ([], "empty"),
    ],
)
def test_a_broken_polygon_is_refused(ring: Any, complaint: str) -> None:
    with pytest.raises(InvalidBoundary, match=complaint):
        CouncilArea.from_geojson(collection(feature("E07000208", ring)))
