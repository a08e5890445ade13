"""Open311 GeoReport v2: forms as services, their schemas as attributes, answers from attributes.

Only forms whose answers are flat (strings, numbers, booleans, lists of choices) are offered:
a bulky-waste booking's item list has no GeoReport shape.

GeoReport v2 has no field saying where a service may be reported; each service and service
definition here carries `location`: `{"required", "accepts"}`, `accepts` naming the request's own
fields — `lat_long` (a map point, `lat` and `long`), `address_id` (a property: its UPRN),
`address_string`. Clients that do not know it ignore it.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from intake.domain.forms import FieldError, FormDefinition

TEXT_WIDGETS = ("textarea",)
# A form's location kinds, as a GeoReport request gives them.
LOCATION_FIELDS = {"coordinates": "lat_long", "uprn": "address_id", "address": "address_string"}
# What XML 1.0 cannot carry, even escaped: C0 controls but tab, LF and CR; lone surrogates;
# U+FFFE and U+FFFF. A description holding one would make the whole feed ill-formed.
_NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _datatype(schema: dict[str, Any], question: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if "enum" in schema or kind == "boolean":
        return "singlevaluelist"
    if kind in ("integer", "number"):
        return "number"
    if kind == "string":
        if schema.get("format") in ("date", "date-time"):
            return "datetime"
        return "text" if question.get("widget") in TEXT_WIDGETS else "string"
    if kind == "array" and "enum" in schema.get("items", {}):
        return "multivaluelist"
    return None


def offered(form: FormDefinition) -> bool:
    questions = {q["name"]: q for q in form.questions}
    return all(
        _datatype(schema, questions.get(name, {})) is not None
        for name, schema in form.schema.get("properties", {}).items()
    )


def location(form: FormDefinition) -> dict[str, Any]:
    return {
        "required": form.location_required,
        "accepts": [LOCATION_FIELDS[kind] for kind in form.location_accepts],
    }


def service(form: FormDefinition) -> dict[str, Any]:
    return {
        "service_code": form.service_code,
        "service_name": form.title,
        "description": form.definition.get("description", ""),
        "metadata": bool(form.schema.get("properties")),
        "type": "realtime",
        "keywords": ",".join(form.definition.get("keywords", [])),
        "group": form.definition.get("group", ""),
        "location": location(form),
    }


def _values(schema: dict[str, Any]) -> list[dict[str, str]]:
    if schema.get("type") == "boolean":
        return [{"key": "true", "name": "Yes"}, {"key": "false", "name": "No"}]
    choices = schema.get("enum") or schema.get("items", {}).get("enum") or []
    return [
        {"key": str(choice), "name": str(choice).replace("_", " ").capitalize()}
        for choice in choices
    ]


def definition(form: FormDefinition) -> dict[str, Any]:
    properties = form.schema.get("properties", {})
    required = set(form.schema.get("required", []))
    attributes = []
    for order, question in enumerate(form.questions, start=1):
        schema = properties.get(question["name"], {})
        datatype = _datatype(schema, question) or "string"
        attribute: dict[str, Any] = {
            "variable": True,
            "code": question["name"],
            "datatype": datatype,
            "required": question["name"] in required,
            "datatype_description": question.get("hint", ""),
            "order": order,
            "description": question["label"],
        }
        if datatype in ("singlevaluelist", "multivaluelist"):
            attribute["values"] = _values(schema)
        attributes.append(attribute)
    return {"service_code": form.service_code, "location": location(form), "attributes": attributes}


def answers_from_attributes(
    form: FormDefinition, attributes: dict[str, list[str]]
) -> tuple[dict[str, Any], list[FieldError]]:
    """Typed answers from `attribute[code]` strings, as the form's schema wants them."""
    properties = form.schema.get("properties", {})
    answers: dict[str, Any] = {}
    errors: list[FieldError] = []
    for code, values in attributes.items():
        schema = properties.get(code)
        if schema is None:
            answers[code] = values[0] if len(values) == 1 else values  # the schema will refuse it
            continue
        kind = schema.get("type")
        raw = values[-1]
        try:
            if kind == "array":
                answers[code] = values
            elif kind == "boolean":
                if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(raw)
                answers[code] = raw.lower() in ("true", "1", "yes")
            elif kind == "integer":
                answers[code] = int(raw)
            elif kind == "number":
                answers[code] = float(raw)
            elif raw != "":
                answers[code] = raw
        except ValueError:
            errors.append(FieldError(f"attribute[{code}]", "type", f"{code} must be a {kind}"))
    return answers, errors


def to_xml(root: str, item: str, items: list[dict[str, Any]]) -> bytes:
    """GeoReport's XML: `<root><item><field>…</field></item></root>`; lists become nested items.
    Characters XML cannot carry are left out of the text."""
    top = ElementTree.Element(root)
    for entry in items:
        _append(top, item, entry)
    return (
        b'<?xml version="1.0" encoding="utf-8"?>'
        + ElementTree.tostring(top, encoding="unicode").encode()
    )


def _append(parent: ElementTree.Element, name: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, list):
                container = ElementTree.SubElement(element, key)
                singular = {"attributes": "attribute", "values": "value"}.get(key, key.rstrip("s"))
                for each in inner:
                    _append(container, singular, each)
            else:
                _append(element, key, inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_IN_XML.sub("", str(value))
