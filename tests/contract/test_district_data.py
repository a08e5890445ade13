"""The demo district agrees with the demo council the services load: the checked-in profile is
what the generator makes, and every household and planning site lies inside its boundary as
the services read it (so a demo report at any address passes intake's area check)."""

from __future__ import annotations

import pytest
from civic_runtime.council import DEMO_COUNCIL_FILE, load_council
from civic_simulators.district import council, generate

pytestmark = pytest.mark.unit


def test_the_checked_in_council_is_what_the_generator_makes() -> None:
    for name, content in council.files().items():
        assert (DEMO_COUNCIL_FILE.parent / name).read_bytes() == content, (
            f"deploy/council/{name} is stale: run `python -m civic_simulators.district.council`"
        )


def test_every_household_and_planning_site_of_the_demo_district_is_inside() -> None:
    area = load_council(DEMO_COUNCIL_FILE).area
    district = generate(seed=1, households=40_000, residents=3_000)
    assert district["district"]["ons_code"] == area.code
    outside = [
        home["uprn"]
        for home in district["households"]
        if not area.contains(home["latitude"], home["longitude"])
    ]
    assert outside == []
    for application in district["planning_applications"]:
        site = application["site"]
        assert area.contains(site["latitude"], site["longitude"]), application["reference"]


@pytest.mark.parametrize("seed", [2, 3, 11])
def test_other_seeds_stay_inside_too(seed: int) -> None:
    area = load_council(DEMO_COUNCIL_FILE).area
    district = generate(seed=seed, households=5_000, residents=200)
    assert all(area.contains(h["latitude"], h["longitude"]) for h in district["households"])
