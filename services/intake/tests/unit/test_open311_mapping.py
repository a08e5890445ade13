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
