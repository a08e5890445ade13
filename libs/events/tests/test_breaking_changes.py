"""breaking_changes on synthetic old/new schemas."""

import copy
from typing import Any, Literal

import pytest
from civic_events.schemas import breaking_changes
from pydantic import BaseModel

pytestmark = pytest.mark.unit

OLD: dict[str, Any] = {
    "type": "object",
    "title": "CaseStatusChanged",
    "properties": {
        "reason": {"type": "string", "title": "Reason"},
        "attempts": {"type": "integer"},
        "channel": {"enum": ["email", "sms"], "type": "string"},
        "resident_id": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]},
        "contact": {"$ref": "#/$defs/Contact"},
    },
    "required": ["reason", "channel"],
    "$defs": {
        "Contact": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "uprn": {"type": "string"}},
            "required": ["name"],
        }
    },
}


def _changed(edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(OLD)
    edit(new)
    return new


def test_identical_schemas_break_nothing() -> None:
    assert breaking_changes(OLD, copy.deepcopy(OLD)) == []


def test_new_optional_property_is_allowed() -> None:
    new = _changed(lambda s: s["properties"].update(changed_by={"type": "string"}))
    assert breaking_changes(OLD, new) == []


def test_annotations_are_ignored() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["reason"].update(description="Why.", title="Why", examples=["x"])
        s["description"] = "A case changed status."

    assert breaking_changes(OLD, _changed(edit)) == []


def test_removed_property() -> None:
    new = _changed(lambda s: s["properties"].pop("attempts"))
    assert breaking_changes(OLD, new) == ["attempts: property removed or renamed"]


def test_renamed_property() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["cause"] = s["properties"].pop("reason")
        s["required"] = ["cause", "channel"]

    assert breaking_changes(OLD, _changed(edit)) == [
        "reason: property removed or renamed (new properties: cause)",
        "cause: new required property",
    ]


def test_type_changed() -> None:
    new = _changed(lambda s: s["properties"]["attempts"].update(type="string"))
    assert breaking_changes(OLD, new) == ["attempts: type changed from integer to string"]


def test_format_changed() -> None:
    new = _changed(lambda s: s["properties"]["reason"].update(format="date-time"))
    assert breaking_changes(OLD, new) == ["reason: format changed from None to date-time"]


def test_property_newly_required() -> None:
    new = _changed(lambda s: s["required"].append("attempts"))
    assert breaking_changes(OLD, new) == ["attempts: property is now required"]


def test_property_no_longer_required() -> None:
    new = _changed(lambda s: s["required"].remove("reason"))
    assert breaking_changes(OLD, new) == ["reason: property is no longer required"]


def test_new_required_property() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["case_type"] = {"type": "string"}
        s["required"].append("case_type")

    assert breaking_changes(OLD, _changed(edit)) == ["case_type: new required property"]


def test_enum_narrowed_and_widened() -> None:
    narrowed = _changed(lambda s: s["properties"]["channel"].update(enum=["email"]))
    widened = _changed(lambda s: s["properties"]["channel"].update(enum=["email", "sms", "push"]))
    assert breaking_changes(OLD, narrowed) == ['channel: values no longer allowed: "sms"']
    assert breaking_changes(OLD, widened) == ['channel: new values old consumers reject: "push"']


def test_const_changed() -> None:
    old = {"properties": {"kind": {"const": "a", "type": "string"}}, "type": "object"}
    new = {"properties": {"kind": {"const": "b", "type": "string"}}, "type": "object"}
    assert breaking_changes(old, new) == [
        'kind: values no longer allowed: "a"',
        'kind: new values old consumers reject: "b"',
    ]


def test_nullable_made_required_value() -> None:
    new = _changed(
        lambda s: s["properties"].update(resident_id={"type": "string", "format": "uuid"})
    )
    assert breaking_changes(OLD, new) == ["resident_id: type changed: no longer accepts null"]


def test_value_made_nullable() -> None:
    new = _changed(
        lambda s: s["properties"].update(
            attempts={"anyOf": [{"type": "integer"}, {"type": "null"}]}
        )
    )
    assert breaking_changes(OLD, new) == ["attempts: type changed: may now be null"]


def test_change_inside_a_referenced_definition() -> None:
    new = _changed(lambda s: s["$defs"]["Contact"]["properties"].pop("uprn"))
    assert breaking_changes(OLD, new) == ["contact.uprn: property removed or renamed"]


def test_renamed_definition_with_the_same_shape_is_not_a_change() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["definitions"] = {"Person": s["$defs"].pop("Contact")}
        s["properties"]["contact"] = {"$ref": "#/definitions/Person"}

    assert breaking_changes(OLD, _changed(edit)) == []


def test_ref_replaced_by_a_different_shape() -> None:
    new = _changed(lambda s: s["properties"].update(contact={"type": "string"}))
    assert breaking_changes(OLD, new) == ["contact: type changed from object to string"]


def test_change_inside_an_optional_nested_model() -> None:
    def nullable_contact(s: dict[str, Any]) -> None:
        s["properties"]["contact"] = {"anyOf": [{"$ref": "#/$defs/Contact"}, {"type": "null"}]}

    old = _changed(nullable_contact)
    new = copy.deepcopy(old)
    new["$defs"]["Contact"]["required"] = ["name", "uprn"]
    assert breaking_changes(old, new) == ["contact.uprn: property is now required"]


def test_array_items_compared() -> None:
    old = {
        "type": "object",
        "properties": {"rounds": {"type": "array", "items": {"type": "string"}}},
    }
    new = copy.deepcopy(old)
    new["properties"]["rounds"]["items"] = {"type": "integer"}
    assert breaking_changes(old, new) == ["rounds[]: type changed from string to integer"]


def test_recursive_schemas_terminate() -> None:
    node = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
    }
    schema = {"$ref": "#/$defs/Node", "$defs": {"Node": node}}
    assert breaking_changes(schema, copy.deepcopy(schema)) == []


def test_on_pydantic_generated_schemas() -> None:
    class Before(BaseModel):
        status: str
        channel: Literal["email", "sms"]

    class AddedOptional(BaseModel):
        status: str
        channel: Literal["email", "sms"]
        note: str | None = None

    class Broken(BaseModel):
        state: str
        channel: Literal["email"]

    before = Before.model_json_schema()
    assert breaking_changes(before, AddedOptional.model_json_schema()) == []
    assert breaking_changes(before, Broken.model_json_schema()) == [
        "status: property removed or renamed (new properties: state)",
        'channel: values no longer allowed: "sms"',
        "state: new required property",
    ]
