"""Contact normalisation, channel and consent, location and the council's area."""

from __future__ import annotations

import pytest
from intake.adapters.form_files import read_form_files
from intake.config import FORMS_DIR
from intake.domain.catalogue import Catalogue
from intake.domain.forms import FieldError
from intake.domain.submissions import normalise_details, normalise_email, normalise_phone
from intake_factories import DEMO_COUNCIL, IN_DISTRICT, OUTSIDE_DISTRICT

pytestmark = pytest.mark.unit
CATALOGUE = Catalogue(read_form_files(FORMS_DIR))
AREA = DEMO_COUNCIL.area
CAMBRIDGE = {"latitude": 52.205, "longitude": 0.119}


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07911 123456", "+447911123456"),
        ("+44 7911 123456", "+447911123456"),
        ("(01223) 457000", "+441223457000"),
        ("+33 1 42 68 53 00", "+33142685300"),
    ],
)
def test_phone_numbers_become_e164(raw: str, e164: str) -> None:
    errors: list[FieldError] = []
    assert normalise_phone(raw, errors) == e164
    assert errors == []


@pytest.mark.parametrize("raw", ["12", "07911", "phone me", "0" * 40])
def test_impossible_phone_numbers_are_named(raw: str) -> None:
    errors: list[FieldError] = []
    assert normalise_phone(raw, errors) is None
    assert [(e.field, e.rule) for e in errors] == [("contact.phone", "phone")]


def test_emails_are_checked_and_normalised() -> None:
    errors: list[FieldError] = []
    assert normalise_email("Ada@EXAMPLE.org", errors) == "Ada@example.org"
    assert normalise_email("ada@", errors) is None
    assert [(e.field, e.rule) for e in errors] == [("contact.email", "email")]


def test_map_points_must_fall_inside_the_councils_area() -> None:
    form = CATALOGUE.current("fly-tipping")
    assert form is not None
    details, errors = normalise_details({"location": IN_DISTRICT}, form, area=AREA)
    assert errors == [] and details is not None and details.location is not None
    assert details.location.coordinates is not None
    for outside in (OUTSIDE_DISTRICT, CAMBRIDGE):
        details, errors = normalise_details({"location": outside}, form, area=AREA)
        assert details is None
        assert ("location.coordinates", "district") in {(e.field, e.rule) for e in errors}


def test_a_channel_needs_consent_and_the_matching_contact() -> None:
    form = CATALOGUE.current("general-enquiry")
    assert form is not None
    body = {"contact": {"email": "a@example.org"}, "preferred_channel": "sms", "consent": False}
    details, errors = normalise_details(body, form, area=AREA)
    assert details is None
    assert {(e.field, e.rule) for e in errors} == {
        ("consent", "required"),
        ("contact.phone", "required"),
    }


def test_none_is_a_channel_and_needs_no_consent() -> None:
    form = CATALOGUE.current("general-enquiry")
    assert form is not None
    details, errors = normalise_details(
        {"contact": {"name": "Ada"}, "preferred_channel": "none"}, form, area=AREA
    )
    assert errors == [] and details is not None and details.preferred_channel == "none"


def test_a_form_takes_only_the_kinds_of_location_it_accepts() -> None:
    form = CATALOGUE.current("missed-bin")
    assert form is not None
    _, errors = normalise_details(
        {"contact": {"email": "a@example.org"}, "location": IN_DISTRICT}, form, area=AREA
    )
    assert ("location", "accepts") in {(e.field, e.rule) for e in errors}
    _, errors = normalise_details({"contact": {"email": "a@example.org"}}, form, area=AREA)
    assert ("location", "required") in {(e.field, e.rule) for e in errors}


def test_kinds_a_form_does_not_take_are_left_unread_beside_one_it_does() -> None:
    """Open311 clients send a map point with every report, a property's UPRN or not."""
    form = CATALOGUE.current("missed-bin")
    assert form is not None
    details, errors = normalise_details(
        {"contact": {"email": "a@example.org"}, "location": {"uprn": "100061000001", **CAMBRIDGE}},
        form,
        area=AREA,
    )
    assert errors == [] and details is not None and details.location is not None
    assert (details.location.uprn, details.location.coordinates) == ("100061000001", None)


@pytest.mark.parametrize(
    "uprn", ["²", "\uff11\uff12\uff13", "\u0661\u0662", "10006100000²", True, -1, "1" * 13]
)
def test_a_uprn_is_up_to_twelve_ascii_digits(uprn: object) -> None:
    form = CATALOGUE.current("missed-bin")
    assert form is not None
    details, errors = normalise_details(
        {"contact": {"email": "a@example.org"}, "location": {"uprn": uprn}}, form, area=AREA
    )
    assert details is None
    assert [(e.rule, e.message) for e in errors if e.field == "location.uprn"] == [
        ("pattern", "A UPRN is up to 12 digits")
    ]
