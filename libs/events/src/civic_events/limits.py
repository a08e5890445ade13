"""What a producer may put in an event, beyond what the v1 contract lets a consumer read.

Free text and lists have length limits, and text carries no control characters (a NUL or a
lone surrogate cannot be stored in PostgreSQL or encoded as UTF-8, and one such value in an
event would dead-letter it at every consumer). These rules are the producer's: they hold when
an event is built (pydantic validation, so nothing over them reaches the outbox), and not when
one is read back (`decode` validates in the `RECEIVED` context), because a ``.v1`` contract may
only grow: a new consumer must still read the messages already on the log. The exported schemas
show them as ``x-producer-*`` keywords, which the compatibility check treats as annotations.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticKnownError, core_schema

NAME_CHARACTERS: Final = 200
TEXT_CHARACTERS: Final = 10_000
LIST_ITEMS: Final = 100
ANSWERS: Final = 100
ANSWER_DEPTH: Final = 5

_RECEIVED_KEY = "civic_events.received"
RECEIVED: Final[Mapping[str, bool]] = {_RECEIVED_KEY: True}
"""The validation context of an event read back from Kafka or storage: producer rules skipped."""

# C0 controls, DEL and lone surrogates; a multi-line text may hold tab, line feed and return.
_NOT_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _received(info: ValidationInfo) -> bool:
    context = info.context
    return isinstance(context, Mapping) and bool(context.get(_RECEIVED_KEY))


def _character_error(value: str, multiline: bool) -> PydanticCustomError | None:
    found = (_NOT_IN_TEXT if multiline else _NOT_IN_A_LINE).search(value)
    if found is None:
        return None
    return PydanticCustomError(
        "control_character",
        "must not contain the control character U+{code}",
        {"code": f"{ord(found.group()):04X}"},
    )


def _text_error(value: str, max_length: int | None, multiline: bool) -> Exception | None:
    if max_length is not None and len(value) > max_length:
        return PydanticKnownError("string_too_long", {"max_length": max_length})
    return _character_error(value, multiline)


class _ProducerRule:
    """A producer's rule on a field: checked after the field's own validation, except on what is
    read back (`RECEIVED`), and shown in the JSON Schema by its `x-producer-*` keywords."""

    __slots__ = ()

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(self._checked, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(self._keywords())
        return json_schema

    def _checked(self, value: Any, info: ValidationInfo) -> Any:
        if not _received(info):
            self._check(value)
        return value

    def _keywords(self) -> dict[str, Any]:
        raise NotImplementedError

    def _check(self, value: Any) -> None:
        """Raise the pydantic error `value` breaks the rule with, if it does."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ProducerText(_ProducerRule):
    """A string's producer rules: no control characters (tab, CR and LF allowed if
    `multiline`), and at most `max_length` characters where the contract sets no limit."""

    max_length: int | None = None
    multiline: bool = False

    def _keywords(self) -> dict[str, Any]:
        keywords: dict[str, Any] = {
            "x-producer-text": "multi-line" if self.multiline else "single-line"
        }
        if self.max_length is not None:
            keywords["x-producer-maxLength"] = self.max_length
        return keywords

    def _check(self, value: str) -> None:
        error = _text_error(value, self.max_length, self.multiline)
        if error is not None:
            raise error


@dataclass(frozen=True, slots=True)
class ProducerItems(_ProducerRule):
    """A list's producer rule: at most `max_items` items where the contract sets no limit."""

    max_items: int = LIST_ITEMS

    def _keywords(self) -> dict[str, Any]:
        return {"x-producer-maxItems": self.max_items}

    def _check(self, value: tuple[Any, ...]) -> None:
        if len(value) > self.max_items:
            raise _too_many("List", self.max_items, len(value))


@dataclass(frozen=True, slots=True)
class ProducerAnswers(_ProducerRule):
    """A form's answers (any JSON): at most `ANSWERS` of them, each name a line of at most
    `NAME_CHARACTERS`, each text at most `TEXT_CHARACTERS` (multi-line), each list at most
    `LIST_ITEMS`, nested at most `ANSWER_DEPTH` deep. Each error names the answer's path."""

    def _keywords(self) -> dict[str, Any]:
        return {
            "x-producer-maxProperties": ANSWERS,
            "x-producer-answers": {
                "nameMaxLength": NAME_CHARACTERS,
                "textMaxLength": TEXT_CHARACTERS,
                "text": "multi-line",
                "maxItems": LIST_ITEMS,
                "maxDepth": ANSWER_DEPTH,
            },
        }

    def _check(self, value: dict[str, Any]) -> None:
        errors: list[InitErrorDetails] = []
        if len(value) > ANSWERS:
            errors.append(_line((), _too_many("Object", ANSWERS, len(value)), value))
        _walk(value, (), 0, errors)
        if errors:
            raise ValidationError.from_exception_data("answers", errors)


def _line(loc: tuple[str | int, ...], error: Exception, value: Any) -> InitErrorDetails:
    if isinstance(error, PydanticKnownError):
        return InitErrorDetails(
            type=error.type, loc=loc, input=value, ctx=dict(error.context or {})
        )
    assert isinstance(error, PydanticCustomError)
    return InitErrorDetails(type=error, loc=loc, input=value)


def _too_many(kind: str, limit: int, actual: int) -> PydanticKnownError:
    return PydanticKnownError(
        "too_long", {"field_type": kind, "max_length": limit, "actual_length": actual}
    )


def _walk(
    value: Any, loc: tuple[str | int, ...], depth: int, errors: list[InitErrorDetails]
) -> None:
    if isinstance(value, str):
        if (error := _text_error(value, TEXT_CHARACTERS, multiline=True)) is not None:
            errors.append(_line(loc, error, value))
        return
    if not isinstance(value, dict | list):
        return
    if depth >= ANSWER_DEPTH:
        errors.append(
            _line(
                loc,
                PydanticCustomError(
                    "too_deep", "must be nested at most {depth} deep", {"depth": ANSWER_DEPTH}
                ),
                value,
            )
        )
        return
    if isinstance(value, list):
        if len(value) > LIST_ITEMS:
            errors.append(_line(loc, _too_many("List", LIST_ITEMS, len(value)), value))
        for index, item in enumerate(value[:LIST_ITEMS]):
            _walk(item, (*loc, index), depth + 1, errors)
        return
    for name, item in list(value.items())[:ANSWERS]:
        if (error := _text_error(name, NAME_CHARACTERS, multiline=False)) is not None:
            errors.append(_line((*loc, name[:NAME_CHARACTERS]), error, name))
            continue
        _walk(item, (*loc, name), depth + 1, errors)
