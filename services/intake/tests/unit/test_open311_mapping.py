"""Forms as Open311 services: attributes from the schema, answers typed from attribute strings."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from intake.adapters.form_files import read_form_files
from intake.config import FORMS_DIR
from intake.domain import open311
from intake.domain.catalogue import Catalogue

pytestmark = pytest.mark.unit
CATALOGUE = Catalogue(read_form_files(FORMS_DIR))


def test_attribute_datatypes_follow_the_schema() -> None:
    form = CATALOGUE.current("abandoned-vehicle")
    assert form is not None
    datatypes = {a["code"]: a["datatype"] for a in open311.definition(form)["attributes"]}
    assert datatypes == {
        "registration": "string",
        "make": "string",
        "colour": "string",
        "days_seen": "number",
        "untaxed": "singlevaluelist",
    }


def test_attribute_strings_become_typed_answers() -> None:
    form = CATALOGUE.current("abandoned-vehicle")
    assert form is not None
    answers, errors = open311.answers_from_attributes(
        form, {"make": ["Ford"], "days_seen": ["3"], "untaxed": ["true"]}
    )
    assert errors == [] and answers == {"make": "Ford", "days_seen": 3, "untaxed": True}
    _, errors = open311.answers_from_attributes(form, {"days_seen": ["three"]})
    assert [(e.field, e.rule) for e in errors] == [("attribute[days_seen]", "type")]


def test_forms_without_a_flat_shape_are_not_offered() -> None:
    bulky = CATALOGUE.current("bulky-waste")
    assert bulky is not None and not open311.offered(bulky)


def test_xml_nests_lists() -> None:
    xml = open311.to_xml("services", "service", [{"service_code": "x", "metadata": True}])
    root = ElementTree.fromstring(xml)
    assert root.find("service/metadata").text == "true"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("form_id", "accepts"),
    [
        ("missed-bin", ["address_id"]),  # a property: the UPRN
        ("abandoned-vehicle", ["lat_long", "address_string"]),  # a map point or words
        ("fly-tipping", ["lat_long", "address_string", "address_id"]),
    ],
)
def test_each_service_says_where_it_may_be_reported(form_id: str, accepts: list[str]) -> None:
    form = CATALOGUE.current(form_id)
    assert form is not None
    location = {"required": True, "accepts": accepts}
    assert open311.service(form)["location"] == location
    assert open311.definition(form)["location"] == location


def test_every_offered_service_names_its_location_in_the_requests_own_fields() -> None:
    fields = {"lat_long", "address_id", "address_string"}
    for form in CATALOGUE.all_current():
        location = open311.service(form)["location"]
        assert set(location["accepts"]) <= fields, form.form_id
        assert location["accepts"] or not location["required"], form.form_id


def test_the_location_renders_in_xml() -> None:
    form = CATALOGUE.current("missed-bin")
    assert form is not None
    root = ElementTree.fromstring(open311.to_xml("services", "service", [open311.service(form)]))
    assert root.find("service/location/required").text == "true"  # type: ignore[union-attr]
    accepts = [e.text for e in root.findall("service/location/accepts/accept")]
    assert accepts == ["address_id"]


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("Sofa\x0bby the gate", "Sofaby the gate"),  # a vertical tab, pasted from a word processor
        ("bell\x07 and \x00nul\x1f", "bell and nul"),
        ("not\ufffe a\uffff character", "not a character"),
        ("lone \ud800surrogate", "lone surrogate"),
        (
            "tab\tline\nreturn\r kept; é, 🗑 and \ue000 kept",
            "tab\tline\nreturn\r kept; é, 🗑 and \ue000 kept",
        ),
    ],
)
def test_xml_drops_characters_xml_cannot_carry(given: str, shown: str) -> None:
    xml = open311.to_xml(
        "service_requests", "request", [{"description": given, "status_notes": [given]}]
    )
    root = ElementTree.fromstring(xml)  # well-formed, whatever the text held
    assert root.findtext("request/description") == shown.replace("\r", "\n")
