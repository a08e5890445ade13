"""The council's profile: the demo council loads, and every way a profile can be wrong stops the
start with one line naming the file and what is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from civic_runtime.council import DEMO_COUNCIL_FILE, InvalidCouncil, load_council

pytestmark = pytest.mark.unit

EPSOM = (51.336, -0.267)
LONDON = (51.5072, -0.1276)
CAMBRIDGE = (52.205, 0.119)


def _copy_demo(folder: Path, profile: str | None = None) -> Path:
    path = folder / "council.toml"
    path.write_text(profile if profile is not None else DEMO_COUNCIL_FILE.read_text())
    shutil.copy(DEMO_COUNCIL_FILE.parent / "boundary.geojson", folder / "boundary.geojson")
    return path


def _with_boundary(folder: Path, boundary: Any) -> Path:
    path = _copy_demo(folder)
    text = boundary if isinstance(boundary, str) else json.dumps(boundary)
    (folder / "boundary.geojson").write_text(text)
    return path


def test_the_demo_council_loads_with_its_area_and_calendar() -> None:
    council = load_council(DEMO_COUNCIL_FILE)
    assert council.name == "Wey and Mole Valley District Council (demo)"
    assert council.profile.ons_code == council.area.code == "E07999999"
    assert council.profile.demo and council.profile.bank_holidays == "england-and-wales"
    assert council.area.contains(*EPSOM)
    assert not council.area.contains(*LONDON) and not council.area.contains(*CAMBRIDGE)
    assert council.reference_prefix("WST") == "WST"
    # Street issues are public on Open311; a missed bin (a home) is not.
    assert "fly_tipping" in council.profile.open311_public_services
    assert "missed_bin" not in council.profile.open311_public_services


def test_a_missing_profile_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidCouncil, match="council profile is missing") as refused:
        load_council(tmp_path / "council.toml")
    assert str(tmp_path / "council.toml") in str(refused.value)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("name = ", "name = = "), "not valid TOML"),
        (('bank_holidays = "england-and-wales"', 'bank_holidays = "wales"'), "bank_holidays"),
        (('ons_code = "E07999999"', 'ons_code = "Epsom"'), "ons_code"),
        (("demo = true", "demo = true\nmayor = 'x'"), "mayor: Extra inputs are not permitted"),
        (('WST = "WST"', 'WST = "wst"'), "in capitals"),
        (('WST = "WST"', 'WST = "W"'), "2 to 5 capital letters"),
        (('WST = "WST"', 'WST = "ENV"'), "share a reference prefix"),
        (('"fly_tipping"', '"Fly Tipping"'), "'Fly Tipping' is not a service code"),
        (('WST = "WST"', 'WASTE = "WST"'), "not a form family"),
    ],
)
def test_a_wrong_profile_is_refused_in_one_line(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    profile = DEMO_COUNCIL_FILE.read_text().replace(*change)
    with pytest.raises(InvalidCouncil, match=complaint) as refused:
        load_council(_copy_demo(tmp_path, profile))
    assert "\n" not in str(refused.value)


def test_a_profile_without_its_name_is_refused(tmp_path: Path) -> None:
    profile = DEMO_COUNCIL_FILE.read_text().replace(
        'name = "Wey and Mole Valley District Council (demo)"\n', ""
    )
    with pytest.raises(InvalidCouncil, match="name: Field required"):
        load_council(_copy_demo(tmp_path, profile))


def test_the_demo_council_is_refused_in_production_and_a_real_one_is_not(tmp_path: Path) -> None:
    with pytest.raises(InvalidCouncil, match="demo council"):
        load_council(DEMO_COUNCIL_FILE, environment="production")
    real = _copy_demo(tmp_path, DEMO_COUNCIL_FILE.read_text().replace("demo = true", ""))
    assert load_council(real, environment="production").area.contains(*EPSOM)


def test_a_missing_boundary_is_named(tmp_path: Path) -> None:
    path = _copy_demo(tmp_path)
    (tmp_path / "boundary.geojson").unlink()
    with pytest.raises(InvalidCouncil, match="boundary file is missing"):
        load_council(path)


def test_the_boundary_is_found_where_the_profile_says(tmp_path: Path) -> None:
    profile = DEMO_COUNCIL_FILE.read_text().replace(
        'boundary = "boundary.geojson"', 'boundary = "ons/LAD_DEC_2024_UK_BUC.geojson"'
    )
    path = _copy_demo(tmp_path, profile)
    (tmp_path / "ons").mkdir()
    (tmp_path / "boundary.geojson").rename(tmp_path / "ons" / "LAD_DEC_2024_UK_BUC.geojson")
    assert load_council(path).area.contains(*EPSOM)


@pytest.mark.parametrize(
    ("boundary", "complaint"),
    [
        ("<kml>not json</kml>", "not GeoJSON"),
        ([1, 2, 3], "not a GeoJSON object"),
        ({"features": []}, "not a GeoJSON object"),
        ({"type": "FeatureCollection", "features": []}, "no Polygon or MultiPolygon"),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [-0.267, 51.336]},
                    }
                ],
            },
            "no Polygon or MultiPolygon",
        ),
    ],
)
def test_a_boundary_that_is_not_a_polygon_is_refused(
    tmp_path: Path, boundary: Any, complaint: str
) -> None:
    with pytest.raises(InvalidCouncil, match=complaint) as refused:
        load_council(_with_boundary(tmp_path, boundary))
    assert "boundary.geojson" in str(refused.value)
