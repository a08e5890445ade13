"""No single value can make an event too big or unreadable: every string and list of every event
has a length limit and free text no control characters, checked when the event is built; a
consumer reading the log keeps the v1 contract (see civic_events.limits)."""

import re
from typing import Any

import pytest
from civic_events.contact import Contact
from civic_events.envelope import decode, encode
from civic_events.registry import EVENT_TYPES
from civic_events.schemas import export_schemas
from event_factories import application_invalid, form_submitted
from pydantic import ValidationError

pytestmark = pytest.mark.unit

_BOUNDED_FORMATS = {"date", "date-time", "uuid"}
_UNBOUNDED = re.compile(r"(?<!\\)[+*]|\{\d+,\}")


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _leaves(node: dict[str, Any], root: dict[str, Any], path: str) -> list[tuple[str, dict]]:
    node = _resolve(node, root)
    found: list[tuple[str, dict]] = [(path, node)]
    for option in node.get("anyOf", []):
        found += _leaves(option, root, path)
    for name, prop in node.get("properties", {}).items():
        found += _leaves(prop, root, f"{path}.{name}" if path else name)
    if isinstance(node.get("items"), dict):
        found += _leaves(node["items"], root, f"{path}[]")
    return found


def _unlimited(schema: dict[str, Any]) -> list[str]:
    problems = []
    for path, node in _leaves(schema, schema, ""):
        if node.get("type") == "string":
            bounded = (
                "maxLength" in node
                or "x-producer-maxLength" in node
                or "enum" in node
                or "const" in node
                or node.get("format") in _BOUNDED_FORMATS
                or ("pattern" in node and not _UNBOUNDED.search(node["pattern"]))
            )
            if not bounded:
                problems.append(f"{path}: a string without a length limit")
            free_text = not ({"enum", "const", "pattern", "format"} & set(node))
            if free_text and "x-producer-text" not in node:
                problems.append(f"{path}: free text without the control-character rule")
        if node.get("type") == "array" and not {"maxItems", "x-producer-maxItems"} & set(node):
            problems.append(f"{path}: a list without a limit")
        if node.get("additionalProperties") and "x-producer-maxProperties" not in node:
            problems.append(f"{path}: a map without a limit")
    return problems


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_every_string_list_and_map_of_every_event_has_a_limit(ce_type: str) -> None:
    assert _unlimited(export_schemas()[ce_type]) == []


@pytest.mark.parametrize("value", ["Alex\x00Example", "Alex\x07", "Alex\nExample", "\ud800"])
def test_a_name_with_a_control_character_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Contact(name=value)
    assert [(e["loc"], e["type"]) for e in refused.value.errors()] == [
        (("name",), "control_character")
    ]


def test_multi_line_text_keeps_tabs_and_line_breaks_but_not_other_controls() -> None:
    factory = application_invalid
    assert factory(reasons=("Plans missing:\n\t- site plan\r\n",)).reasons
    with pytest.raises(ValidationError) as refused:
        factory(reasons=("ok", "bell\x07"))
    assert refused.value.errors()[0]["loc"] == ("reasons", 1)


def test_free_text_and_lists_over_their_limits_are_refused() -> None:
    factory = application_invalid
    with pytest.raises(ValidationError, match="at most 10000 characters"):
        factory(reasons=("x" * 10_001,))
    with pytest.raises(ValidationError, match="at most 100 items"):
        factory(reasons=("a reason",) * 101)


def test_answers_are_limited_and_each_refusal_names_the_answer() -> None:
    factory = form_submitted
    with pytest.raises(ValidationError) as refused:
        factory(
            answers={
                "notes": "x" * 10_001,
                "items": [{"label": "nul\x00"}],
                "many": list(range(101)),
                "deep": [[[[["too deep"]]]]],
            }
        )
    assert {(e["loc"], e["type"]) for e in refused.value.errors()} == {
        (("answers", "notes"), "string_too_long"),
        (("answers", "items", 0, "label"), "control_character"),
        (("answers", "many"), "too_long"),
        (("answers", "deep", 0, 0, 0, 0), "too_deep"),
    }
    with pytest.raises(ValidationError, match="at most 100 items"):
        factory(answers={f"q{n}": n for n in range(101)})


def test_a_consumer_still_reads_what_the_v1_contract_allows() -> None:
    """The producer's rules are not the contract's: a message already on the log stays
    readable, even one no producer would send today."""
    event = application_invalid()
    record = encode(event.model_copy(update={"reasons": ("nul\x00",) * 150}))
    assert decode(record.headers, record.value).reasons == ("nul\x00",) * 150  # type: ignore[attr-defined]
