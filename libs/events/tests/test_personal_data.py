"""Only FormSubmitted, ApplicationReceived and residents.v1 events carry contact details;
every other event names a resident by id only."""

import types
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from civic_events.base import Event
from civic_events.intake import FormSubmitted
from civic_events.planning import ApplicationReceived
from civic_events.registry import EVENT_TYPES
from civic_events.topics import RESIDENTS
from pydantic import BaseModel

pytestmark = pytest.mark.unit

FORBIDDEN = ("email", "phone", "address", "contact")


def _may_carry_contact_details(model: type[Event]) -> bool:
    return model in (FormSubmitted, ApplicationReceived) or model.topic == RESIDENTS


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    if origin is Annotated:
        return _models_in(get_args(annotation)[0])
    if origin in (Union, types.UnionType) or origin is not None:
        return [model for arg in get_args(annotation) for model in _models_in(arg)]
    return []


def personal_fields(
    model: type[BaseModel], path: str = "", seen: frozenset = frozenset()
) -> list[str]:
    """Dotted paths of fields whose names suggest contact details, through nested models."""
    found: list[str] = []
    for name, field in model.model_fields.items():
        where = f"{path}{name}"
        if any(word in name.lower() for word in FORBIDDEN):
            found.append(where)
        for nested in _models_in(field.annotation):
            if nested not in seen:
                found += personal_fields(nested, f"{where}.", seen | {model})
    return found


CARRIERS = [m for m in EVENT_TYPES.values() if _may_carry_contact_details(m)]
OTHERS = [m for m in EVENT_TYPES.values() if not _may_carry_contact_details(m)]


@pytest.mark.parametrize("model", OTHERS, ids=lambda model: model.__name__)
def test_no_contact_details_outside_the_allowed_events(model: type[Event]) -> None:
    assert personal_fields(model) == []


def test_the_allowed_events_are_the_ones_the_design_names() -> None:
    assert sorted(m.__name__ for m in CARRIERS) == [
        "ApplicationReceived",
        "ContactChangeRequested",
        "ContactPreferencesChanged",
        "FormSubmitted",
        "ResidentErased",
        "ResidentUpserted",
    ]


def test_the_check_finds_contact_details_however_deeply_nested() -> None:
    class Person(BaseModel):
        phone: str

    class Household(BaseModel):
        members: tuple[Person, ...]

    class Leaky(BaseModel):
        household: Household | None = None
        owner_email: str

    assert personal_fields(Leaky) == ["household.members.phone", "owner_email"]
    assert "applicant.email" in personal_fields(ApplicationReceived)
