"""A demo district, generated from a seed: the same seed gives the same bytes.

Towns stand where they are in Surrey, inside the boundary drawn around them (`boundary.py`); each
town is a tangle of streets with houses numbered odd
on one side and even on the other, a postcode every dozen or so houses, and a 12-digit UPRN each.
Waste rounds cut the district into a grid: the column is the collection weekday, so neighbours
share a round as they do in life. Residents are a sample of households with contact preferences;
phone numbers come only from Ofcom's drama range and emails only from example.com/example.org.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civic_simulators.district import places
from civic_simulators.district.boundary import bounding_box, inside, vertices

DISTRICT_NAME = "Wey and Mole Valley (demo district)"
# The demo council's ONS code: of the shape of a district's (E07…), but given to no real council.
ONS_CODE = "E07999999"
DEFAULT_PATH = Path(".local/demo/district.json")
# Ofcom's drama range: +44 7700 900000-900999. Notify's own test numbers sit at 900000-900009
# (900002 fails permanently, 900003 temporarily), so the demo hands out 900010 upwards only.
DRAMA_RANGE = range(900010, 901000)
WEEKDAYS = 5
ROUND_ROWS = 8
STAGES = ("received", "validated", "consultation", "awaiting_decision")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters Royal Mail uses in inward codes
METRES_PER_DEGREE_LAT = 111_320.0


def generate(
    *, seed: int = 1, households: int = 40_000, residents: int = 3_000, applications: int = 20
) -> dict[str, Any]:
    """The district as a JSON-ready dict, in the format of the demo district file."""
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by design
    homes = _households(rng, households)
    rounds = _rounds(rng, {home["round_id"] for home in homes})
    phones = [f"+447700{number}" for number in DRAMA_RANGE]
    rng.shuffle(phones)
    contacts = _ContactDetails(rng, phones)
    planning = _applications(rng, homes, applications, contacts)
    people = _residents(rng, homes, residents, contacts)
    return {
        "seed": seed,
        "district": {"name": DISTRICT_NAME, "ons_code": ONS_CODE, "boundary": vertices()},
        "rounds": rounds,
        "households": homes,
        "residents": people,
        "planning_applications": planning,
    }


def dumps(district: dict[str, Any]) -> bytes:
    return json.dumps(district, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def write(district: dict[str, Any], path: Path = DEFAULT_PATH) -> int:
    """Write the file (atomically, so a reader never sees half of it); returns its size."""
    content = dumps(district)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_bytes(content)
    partial.replace(path)
    return len(content)


def load(path: Path | str = DEFAULT_PATH) -> dict[str, Any]:
    district: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return district


# --- households --------------------------------------------------------------------------


def _town_centres() -> list[tuple[float, float]]:
    return [places.TOWN_CENTRES[town] for town, _, _ in places.TOWNS]


def _shares(total: int) -> list[int]:
    weights = [share for _, _, share in places.TOWNS]
    exact = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _round_of(lat: float, lon: float) -> str:
    south, west, north, east = bounding_box()
    column = min(WEEKDAYS - 1, int((lon - west) / (east - west) * WEEKDAYS))
    row = min(ROUND_ROWS - 1, int((lat - south) / (north - south) * ROUND_ROWS))
    return f"R{column + 1}{row + 1:02d}"


def _place(lat: float, lon: float, centre: tuple[float, float]) -> tuple[float, float]:
    """The point, or moved towards its town's centre until it is inside the district."""
    for _ in range(40):
        point = (round(lat, 6), round(lon, 6))
        if inside(*point):
            return point
        lat, lon = lat + (centre[0] - lat) * 0.2, lon + (centre[1] - lon) * 0.2
    return round(centre[0], 6), round(centre[1], 6)


def _households(rng: random.Random, total: int) -> list[dict[str, Any]]:
    homes: list[dict[str, Any]] = []
    postcodes: set[str] = set()
    uprn = 100061000000
    street_names = [f"{s} {k}" for s in places.STREET_STEMS for k in places.STREET_KINDS]
    lon_scale = math.cos(math.radians(51.3))
    for (town, districts, _), centre, count in zip(
        places.TOWNS, _town_centres(), _shares(total), strict=True
    ):
        names = rng.sample(street_names, len(street_names))
        spread = 0.003 + 0.0005 * math.sqrt(count / 10)
        while count > 0:
            street = names.pop() if names else f"{rng.choice(places.STREET_STEMS)} Mews"
            houses = min(count, rng.randint(8, 90))
            count -= houses
            start_lat = centre[0] + rng.gauss(0, spread)
            start_lon = centre[1] + rng.gauss(0, spread) / lon_scale
            heading = rng.uniform(0, math.pi)
            outward = rng.choice(districts)
            postcode = ""
            for number in range(1, houses + 1):
                if (number - 1) % rng.randint(10, 18) == 0 or not postcode:
                    postcode = _new_postcode(rng, outward, postcodes)
                along = ((number - 1) // 2) * 14.0  # metres between neighbours on one side
                side = 12.0 if number % 2 else -12.0
                north_m = along * math.sin(heading) + side * math.cos(heading)
                east_m = along * math.cos(heading) - side * math.sin(heading)
                lat, lon = _place(
                    start_lat + north_m / METRES_PER_DEGREE_LAT,
                    start_lon + east_m / (METRES_PER_DEGREE_LAT * lon_scale),
                    centre,
                )
                uprn += rng.randint(1, 3)
                homes.append(
                    {
                        "uprn": f"{uprn:012d}",
                        "address": f"{number} {street}, {town}, {postcode}",
                        "postcode": postcode,
                        "latitude": lat,
                        "longitude": lon,
                        "round_id": _round_of(lat, lon),
                    }
                )
    return homes


def _new_postcode(rng: random.Random, outward: str, taken: set[str]) -> str:
    while True:
        inward = f"{rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        postcode = f"{outward} {inward}"
        if postcode not in taken:
            taken.add(postcode)
            return postcode


def _rounds(rng: random.Random, used: set[str]) -> list[dict[str, Any]]:
    rounds = []
    for round_id in sorted(used):
        bin_types = ["refuse", "recycling", "food"]
        if rng.random() < 0.85:
            bin_types.append("garden")
        if rng.random() < 0.3:
            bin_types.append("glass")
        rounds.append(
            {"round_id": round_id, "weekday": int(round_id[1]) - 1, "bin_types": bin_types}
        )
    return rounds


# --- people --------------------------------------------------------------------------------


@dataclass
class _ContactDetails:
    """The district's phone numbers (from the drama range, each given once) and email addresses
    (each unique), shared by residents, applicants and agents."""

    rng: random.Random
    phones: list[str]
    emails: set[str] = field(default_factory=set)

    def email(self, name: str) -> str:
        stem = ".".join("".join(c for c in part if c.isalnum()) for part in name.lower().split())
        domain = self.rng.choice(("example.com", "example.org"))
        address = f"{stem}@{domain}"
        number = 2
        while address in self.emails:
            address = f"{stem}{number}@{domain}"
            number += 1
        self.emails.add(address)
        return address

    def phone(self) -> str | None:
        """A number not given to anyone yet, or None once the range is used up."""
        return self.phones.pop() if self.phones else None


def _residents(
    rng: random.Random, homes: list[dict[str, Any]], total: int, contacts: _ContactDetails
) -> list[dict[str, Any]]:
    people = []
    chosen = rng.sample(range(len(homes)), min(total, len(homes)))
    for index, home in enumerate(chosen, start=1):
        first, last = rng.choice(places.FIRST_NAMES), rng.choice(places.LAST_NAMES)
        draw = rng.random()
        channel = "email" if draw < 0.5 else "sms" if draw < 0.75 else "push"
        wants_phone = channel == "sms" or rng.random() < 0.15
        phone = contacts.phone() if wants_phone else None
        if channel == "sms" and phone is None:
            channel = "email"  # the drama range is used up: nobody gets a real number
        has_email = channel != "sms" or rng.random() < 0.5
        planning_alerts = rng.random() < 0.12
        people.append(
            {
                "resident_key": f"demo-{index:05d}",
                "name": f"{first} {last}",
                "email": contacts.email(f"{first} {last}") if has_email else None,
                "phone": phone,
                "uprn": homes[home]["uprn"],
                "preferred_channel": channel,
                "case_updates": rng.random() < 0.9,
                "disruption_alerts": rng.random() < 0.6,
                "planning_alerts": planning_alerts,
                "planning_alert_radius_metres": (
                    rng.choice((100, 250, 500, 1000)) if planning_alerts else None
                ),
            }
        )
    return people


def _contact(contacts: _ContactDetails, name: str, address: str) -> dict[str, Any]:
    return {
        "name": name,
        "email": contacts.email(name),
        # The draw only while numbers remain, as the seed's districts were made.
        "phone": contacts.phone() if contacts.phones and contacts.rng.random() < 0.7 else None,
        "address": address,
    }


def _applications(
    rng: random.Random, homes: list[dict[str, Any]], total: int, contacts: _ContactDetails
) -> list[dict[str, Any]]:
    applications = []
    sites = rng.sample(range(len(homes)), min(total, len(homes)))
    number = rng.randint(100, 400)
    weights = (50, 25, 10, 8, 7)
    for stage_index, site_index in enumerate(sites):
        site = homes[site_index]
        application_type, suffix, proposals = rng.choices(places.APPLICATION_KINDS, weights)[0]
        number += rng.randint(1, 40)
        applicant_name = f"{rng.choice(places.FIRST_NAMES)} {rng.choice(places.LAST_NAMES)}"
        applicant_address = (
            site["address"]
            if application_type in ("householder", "prior_approval", "tree_works")
            else homes[rng.randrange(len(homes))]["address"]
        )
        agent = None
        if rng.random() < 0.5:
            firm = rng.choice(places.AGENT_FIRMS)
            agent = _contact(contacts, firm, homes[rng.randrange(len(homes))]["address"])
        applications.append(
            {
                "reference": f"26/{number:05d}/{suffix}",
                "application_type": application_type,
                "proposal": rng.choice(proposals),
                "site": {
                    "uprn": site["uprn"],
                    "address": site["address"],
                    "latitude": site["latitude"],
                    "longitude": site["longitude"],
                },
                "applicant": _contact(contacts, applicant_name, applicant_address),
                "agent": agent,
                "stage": STAGES[stage_index % len(STAGES)],
            }
        )
    return applications
