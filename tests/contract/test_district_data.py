"""The demo district agrees with intake: the same boundary, and every household and planning
site inside it (so a demo submission at any address passes intake's district check)."""

from __future__ import annotations

import pytest
from civic_simulators.district import generate
from intake.domain.district import DISTRICT_BOUNDARY, inside_district

pytestmark = pytest.mark.unit


def test_the_district_file_carries_intakes_boundary_and_every_place_is_inside_it() -> None:
    district = generate(seed=1, households=40_000, residents=3_000)
    assert [tuple(vertex) for vertex in district["district"]["boundary"]] == list(DISTRICT_BOUNDARY)
    outside = [
        home["uprn"]
        for home in district["households"]
        if not inside_district(home["latitude"], home["longitude"])
    ]
    assert outside == []
    for application in district["planning_applications"]:
        site = application["site"]
        assert inside_district(site["latitude"], site["longitude"]), application["reference"]


@pytest.mark.parametrize("seed", [2, 3, 11])
def test_other_seeds_stay_inside_too(seed: int) -> None:
    district = generate(seed=seed, households=5_000, residents=200)
    assert all(inside_district(h["latitude"], h["longitude"]) for h in district["households"])
