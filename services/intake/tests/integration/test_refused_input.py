"""What a consumer would refuse, intake refuses first, naming the field; and one bad submission
never fails the submissions committed with it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from intake_factories import IntakeHarness, fly_tip_request, submission

pytestmark = pytest.mark.integration


def _fields(response: Any) -> list[tuple[str, str]]:
    return [(error["field"], error["rule"]) for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"contact": {"name": "Ada\x00Lovelace", "email": "ada@example.org"}}, "contact.name"),
        ({"contact": {"name": "Ada\x1bLovelace", "email": "ada@example.org"}}, "contact.name"),
        ({"description": "broken glass\x00"}, "description"),
        ({"location": {"address": "1 High St\x0b, EX1 1AA"}}, "location.address"),
    ],
)
async def test_a_control_character_is_refused_422_naming_the_field(
    intake: IntakeHarness, override: dict[str, Any], field: str
) -> None:
    body = submission("street-cleansing", **override)
    if "location" in override:
        body["location"] = {**override["location"]}
    response = await intake.client.post("/v1/forms/street-cleansing/submissions", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (field, "control_character") in _fields(response)


async def test_multi_line_text_keeps_its_line_breaks(intake: IntakeHarness) -> None:
    body = submission("street-cleansing", description="Broken glass\r\n\tby the bus stop")
    response = await intake.client.post("/v1/forms/street-cleansing/submissions", json=body)
    assert response.status_code == 202, response.text


async def test_one_bad_submission_never_fails_its_batch_neighbours(intake: IntakeHarness) -> None:
    good = [submission("street-cleansing") for _ in range(20)]
    bad = submission("street-cleansing", description="a NUL\x00 in the database")
    responses = await asyncio.gather(
        *(
            intake.client.post("/v1/forms/street-cleansing/submissions", json=body)
            for body in [*good[:10], bad, *good[10:]]
        )
    )
    statuses = [response.status_code for response in responses]
    assert statuses == [202] * 10 + [422] + [202] * 10, [r.text for r in responses]
    assert ("description", "control_character") in _fields(responses[10])


async def test_open311_refuses_a_control_character_400_naming_the_field(
    intake: IntakeHarness,
) -> None:
    client = await intake.create_client("fixmystreet", ["open311"])
    form = fly_tip_request(
        client.api_key,
        email="reporter@example.org",
        first_name="Rita\x00",
        description="Mattress\x0b dumped",
    )
    response = await intake.client.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 400, response.text
    descriptions = " ".join(error["description"] for error in response.json())
    assert "contact.name" in descriptions


# A superscript two, and full-width digits.
@pytest.mark.parametrize("uprn", ["²", "\uff11\uff10\uff10\uff10\uff16\uff11"])
async def test_a_uprn_of_digits_other_than_ascii_is_refused_422_naming_the_field(
    intake: IntakeHarness, uprn: str
) -> None:
    body = submission("missed-bin", location={"uprn": uprn})
    response = await intake.client.post("/v1/forms/missed-bin/submissions", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [rule for field, rule in _fields(response) if field == "location.uprn"] == ["pattern"]
