"""The shipped form files: each loads, is valid JSON Schema 2020-12, and names fields and rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from intake.adapters.form_files import read_form_files
from intake.config import FORMS_DIR
from intake.domain.catalogue import Catalogue
from intake.domain.forms import FormDefinition, InvalidFormDefinition
from intake_factories import INVALID_ANSWERS, VALID_SUBMISSIONS

pytestmark = pytest.mark.unit

COUNCIL_FORMS = {
    "missed-bin",
    "bulky-waste",
    "assisted-collection",
    "new-bin",
    "fly-tipping",
    "street-cleansing",
    "abandoned-vehicle",
    "planning-comment",
    "general-enquiry",
    "foi-request",
}


def test_the_council_forms_are_shipped() -> None:
    forms = read_form_files(FORMS_DIR)
    assert {form.form_id for form in forms} == COUNCIL_FORMS
    assert {form.family for form in forms} == {"WST", "ENV", "PLN", "ENQ", "FOI"}
    for form in forms:
        assert form.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert [q["name"] for q in form.questions]  # the order of questions is given


@pytest.mark.parametrize("form_id", sorted(COUNCIL_FORMS))
def test_valid_answers_pass_and_a_broken_field_is_named_with_its_rule(form_id: str) -> None:
    form = Catalogue(read_form_files(FORMS_DIR)).current(form_id)
    assert form is not None
    assert form.validate(VALID_SUBMISSIONS[form_id]["answers"]) == []
    answers, field, rule = INVALID_ANSWERS[form_id]
    errors = form.validate(answers)
    assert (field, rule) in [(e.field, e.rule) for e in errors]


def test_the_forms_own_error_message_is_used() -> None:
    form = Catalogue(read_form_files(FORMS_DIR)).current("missed-bin")
    assert form is not None
    [error] = form.validate({"bin_presented": True})
    assert error.message == "Select which bin was missed"


def test_a_new_version_is_current_and_the_old_one_stays_readable(tmp_path: Path) -> None:
    document = json.loads((FORMS_DIR / "street-cleansing.v1.json").read_text())
    (tmp_path / "street-cleansing.v1.json").write_text(json.dumps(document))
    document["version"] = 2
    document["schema"]["properties"]["problem"]["enum"].append("weeds")
    (tmp_path / "street-cleansing.v2.json").write_text(json.dumps(document))
    catalogue = Catalogue(read_form_files(tmp_path))
    current, old = catalogue.current("street-cleansing"), catalogue.version("street-cleansing", 1)
    assert current is not None and old is not None
    assert current.version == 2 and catalogue.versions("street-cleansing") == [1, 2]
    assert current.validate({"problem": "weeds"}) == []
    assert old.validate({"problem": "weeds"}) != []


def test_a_broken_definition_is_refused() -> None:
    with pytest.raises(InvalidFormDefinition):
        FormDefinition.from_document(
            {"id": "x", "version": 1, "family": "WST", "schema": {"type": 7}}
        )
    with pytest.raises(InvalidFormDefinition):
        FormDefinition.from_document({"id": "Bad Id", "version": 1})


@pytest.mark.parametrize(
    ("location", "complaint"),
    [
        (None, "location"),
        ({"required": True}, "location.accepts"),
        ({"required": "yes", "accepts": ["uprn"]}, "required"),
        ({"required": True, "accepts": ["lat_long"]}, "location.accepts"),
        ({"required": True, "accepts": []}, "none is accepted"),
    ],
)
def test_a_form_must_say_which_location_it_takes(location: object, complaint: str) -> None:
    document = json.loads((FORMS_DIR / "fly-tipping.v1.json").read_text())
    if location is None:
        del document["location"]
    else:
        document["location"] = location
    with pytest.raises(InvalidFormDefinition, match=complaint):
        FormDefinition.from_document(document)


def test_the_forms_summary_says_which_location_it_takes() -> None:
    form = Catalogue(read_form_files(FORMS_DIR)).current("missed-bin")
    assert form is not None
    assert form.summary()["location"] == {"required": True, "accepts": ["uprn"]}
