"""The demo district generator: the same seed gives the same bytes, in the agreed format."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from civic_events.contact import Contact
from civic_simulators.district import council, dumps, generate, load, write
from civic_simulators.district.boundary import bounding_box, inside, vertices

pytestmark = pytest.mark.unit

POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9]{1,2} [0-9][A-Z]{2}$")
DRAMA = re.compile(r"^\+447700900[0-9]{3}$")
STAGES = {"received", "validated", "consultation", "awaiting_decision"}


@pytest.fixture(scope="module")
def district() -> dict[str, Any]:
    return generate(seed=7, households=5_000, residents=1_500)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_another_district() -> None:
    first = dumps(generate(seed=3, households=2_000, residents=300))
    assert first == dumps(generate(seed=3, households=2_000, residents=300))
    assert first != dumps(generate(seed=4, households=2_000, residents=300))


def test_households_have_unique_uprns_surrey_postcodes_and_a_known_round(
    district: dict[str, Any],
) -> None:
    homes = district["households"]
    assert len(homes) == 5_000
    assert len({h["uprn"] for h in homes}) == len(homes)
    rounds = {r["round_id"]: r for r in district["rounds"]}
    for home in homes:
        assert re.fullmatch(r"[0-9]{12}", home["uprn"])
        assert POSTCODE.match(home["postcode"]), home["postcode"]
        assert home["address"].endswith(home["postcode"])
        assert home["round_id"] in rounds
        assert inside(home["latitude"], home["longitude"])
    for round_ in rounds.values():
        assert 1 <= len(round_["round_id"]) <= 50 and round_["weekday"] in range(5)
        assert {"refuse", "recycling"} <= set(round_["bin_types"])
    # Rounds are geographic: one weekday per round, and several weekdays across the district.
    assert len({r["weekday"] for r in rounds.values()}) >= 3


def test_residents_are_reachable_only_at_safe_addresses_and_numbers(
    district: dict[str, Any],
) -> None:
    people = district["residents"]
    assert len(people) == 1_500
    uprns = {h["uprn"] for h in district["households"]}
    emails = [p["email"] for p in people if p["email"]]
    phones = [p["phone"] for p in people if p["phone"]]
    assert len(set(emails)) == len(emails) and len(set(phones)) == len(phones) <= 1000
    assert {p["preferred_channel"] for p in people} == {"email", "sms", "push"}
    for number, person in enumerate(people, start=1):
        assert person["resident_key"] == f"demo-{number:05d}"
        assert person["uprn"] in uprns
        assert person["email"] or person["phone"]
        if person["email"]:
            assert person["email"].rsplit("@", 1)[1] in {"example.com", "example.org"}
        if person["phone"]:
            assert DRAMA.match(person["phone"]) and int(person["phone"][-3:]) >= 10
        if person["preferred_channel"] == "sms":
            assert person["phone"]
        else:
            assert person["email"]
        assert (person["planning_alert_radius_metres"] is not None) == person["planning_alerts"]
    assert any(p["planning_alerts"] for p in people)
    assert any(not p["case_updates"] for p in people) and any(p["case_updates"] for p in people)


def test_planning_applications_are_in_progress_on_real_sites_with_valid_contacts(
    district: dict[str, Any],
) -> None:
    applications = district["planning_applications"]
    homes = {h["uprn"]: h for h in district["households"]}
    assert len(applications) == 20
    assert len({a["reference"] for a in applications}) == 20
    assert {a["stage"] for a in applications} == STAGES
    every_phone = {p["phone"] for p in district["residents"]}
    for application in applications:
        assert re.fullmatch(r"26/[0-9]{5}/[A-Z]{2,3}", application["reference"])
        site = application["site"]
        assert homes[site["uprn"]]["latitude"] == site["latitude"]
        Contact.model_validate(application["applicant"])
        if application["agent"] is not None:
            Contact.model_validate(application["agent"])
        for contact in (application["applicant"], application["agent"] or {}):
            if contact.get("phone"):
                assert DRAMA.match(contact["phone"]) and contact["phone"] not in every_phone


def test_the_full_district_is_quick_and_the_phones_never_run_past_the_drama_range() -> None:
    started = time.perf_counter()
    district = generate(seed=1, households=40_000, residents=3_000)
    assert time.perf_counter() - started < 5
    phones = [p["phone"] for p in district["residents"] if p["phone"]]
    assert 500 < len(phones) <= 990
    crowded = generate(seed=1, households=3_000, residents=3_000)
    assert sum(1 for p in crowded["residents"] if p["phone"]) <= 990


def test_the_command_writes_the_file_that_load_reads(tmp_path: Path) -> None:
    out = tmp_path / "demo" / "district.json"
    options = ["--seed", "2", "--households", "1000", "--residents", "100", "--out", str(out)]
    subprocess.run(
        [sys.executable, "-m", "civic_simulators.district", *options],
        check=True,
        capture_output=True,
    )
    expected = generate(seed=2, households=1_000, residents=100)
    assert out.read_bytes() == dumps(expected)
    assert load(out) == expected
    assert write(expected, tmp_path / "again.json") == len(dumps(expected))


def test_the_boundary_is_the_towns_and_holds_every_seeds_households() -> None:
    south, west, north, east = bounding_box()
    assert 51.0 < south < north < 51.5 and -0.7 < west < east < 0.0  # Surrey
    for seed in (2, 3, 11):
        district = generate(seed=seed, households=3_000, residents=100)
        assert district["district"]["boundary"] == vertices()
        assert all(inside(h["latitude"], h["longitude"]) for h in district["households"])


def test_the_demo_councils_files_are_the_same_bytes_every_time(tmp_path: Path) -> None:
    assert council.files() == council.files()
    subprocess.run(
        [sys.executable, "-m", "civic_simulators.district.council", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name, content in council.files().items():
        assert (tmp_path / name).read_bytes() == content
    feature = council.boundary_geojson()["features"][0]
    assert feature["properties"]["LAD24CD"] == "E07999999"
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and [[lat, lon] for lon, lat in ring] == vertices()
