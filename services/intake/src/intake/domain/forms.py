"""A form definition: a versioned JSON Schema for the answers plus what a page needs to render it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

LocationKind = Literal["uprn", "address", "coordinates"]
# A property (its UPRN), an address as words, a map point (WGS 84).
LOCATION_KINDS: tuple[LocationKind, ...] = ("uprn", "address", "coordinates")
FAMILIES = ("WST", "ENV", "PLN", "ENQ", "FOI")
_FORM_ID = re.compile(r"^[a-z][a-z0-9-]*$")


class InvalidFormDefinition(ValueError):
    """A form file that cannot be published."""


def _check_location(form_id: str, location: Any) -> None:
    """Every form says where it may be reported, so Open311 clients can be told too."""
    if not isinstance(location, dict) or not isinstance(location.get("required"), bool):
        raise InvalidFormDefinition(f"{form_id}: location needs `required` (true or false)")
    accepts = location.get("accepts")
    if not isinstance(accepts, list) or not set(accepts) <= set(LOCATION_KINDS):
        raise InvalidFormDefinition(
            f"{form_id}: location.accepts is a list of {', '.join(LOCATION_KINDS)}"
        )
    if location["required"] and not accepts:
        raise InvalidFormDefinition(f"{form_id}: a location is required but none is accepted")


@dataclass(frozen=True)
class FieldError:
    """One failing field and the rule it broke, in the resident's words where the form has them."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


@dataclass(frozen=True)
class FormDefinition:
    form_id: str
    version: int
    title: str
    family: str
    case_type: str
    service_code: str
    definition: dict[str, Any]
    _validator: Draft202012Validator = field(repr=False, compare=False)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> FormDefinition:
        try:
            form_id = document["id"]
            version = document["version"]
            schema = document["schema"]
            if not isinstance(form_id, str) or not _FORM_ID.match(form_id):
                raise InvalidFormDefinition(f"form id {form_id!r} is not kebab-case")
            if not isinstance(version, int) or version < 1:
                raise InvalidFormDefinition(f"{form_id}: version must be a positive integer")
            if document["family"] not in FAMILIES:
                raise InvalidFormDefinition(f"{form_id}: unknown family {document['family']!r}")
            _check_location(form_id, document["location"])
            Draft202012Validator.check_schema(schema)
            names = [question["name"] for question in document["questions"]]
            missing = set(schema.get("properties", {})) - set(names)
            if missing:
                raise InvalidFormDefinition(f"{form_id}: questions missing for {sorted(missing)}")
            return cls(
                form_id=form_id,
                version=version,
                title=document["title"],
                family=document["family"],
                case_type=document["case_type"],
                service_code=document["service_code"],
                definition=document,
                _validator=Draft202012Validator(
                    schema, format_checker=Draft202012Validator.FORMAT_CHECKER
                ),
            )
        except (KeyError, TypeError) as exc:
            raise InvalidFormDefinition(f"form definition lacks {exc}") from exc
        except SchemaError as exc:
            raise InvalidFormDefinition(f"invalid JSON Schema: {exc.message}") from exc

    @property
    def questions(self) -> list[dict[str, Any]]:
        questions: list[dict[str, Any]] = self.definition["questions"]
        return questions

    @property
    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self.definition["schema"]
        return schema

    @property
    def location_required(self) -> bool:
        return bool(self.definition.get("location", {}).get("required", False))

    @property
    def location_accepts(self) -> tuple[str, ...]:
        return tuple(self.definition.get("location", {}).get("accepts", ()))

    @property
    def contact_required(self) -> bool:
        return self.definition.get("contact") == "required"

    @property
    def eligibility(self) -> str | None:
        rule: str | None = self.definition.get("eligibility")
        return rule

    def validate(self, answers: Any) -> list[FieldError]:
        """Every way `answers` breaks the schema, each naming its field and rule."""
        errors: list[FieldError] = []
        for error in sorted(self._validator.iter_errors(answers), key=lambda e: list(e.path)):
            rule = str(error.validator)
            path = [str(part) for part in error.absolute_path]
            if rule == "required" and isinstance(error.instance, dict):
                # jsonschema reports a missing property on its parent: name the property itself.
                for name in error.validator_value:
                    if name not in error.instance:
                        errors.append(self._error([*path, name], rule, error.message))
                continue
            if rule == "additionalProperties" and isinstance(error.instance, dict):
                allowed = set(error.schema.get("properties", {}))
                for name in sorted(set(error.instance) - allowed):
                    errors.append(
                        self._error(
                            [*path, name], "additionalProperties", "not a question on this form"
                        )
                    )
                continue
            errors.append(self._error(path, rule, error.message))
        return errors

    def _error(self, path: list[str], rule: str, fallback: str) -> FieldError:
        name = path[0] if path else ""
        message = fallback
        for question in self.questions:
            if question["name"] == name:
                message = question.get("errors", {}).get(rule, fallback)
        return FieldError(field=".".join(["answers", *path]), rule=rule, message=message)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.form_id,
            "version": self.version,
            "title": self.title,
            "description": self.definition.get("description", ""),
            "group": self.definition.get("group"),
            "service_code": self.service_code,
            "location": self.definition["location"],
            "payment": bool(self.definition.get("payment", False)),
        }
