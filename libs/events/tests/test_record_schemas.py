import json

import pytest
from civic_events.base import Event
from civic_events.envelope import ATTRIBUTE_HEADERS, encode
from civic_events.record_schemas import record_schemas
from civic_events.registry import EVENT_TYPES
from civic_events.schemas import schema_for
from event_factories import example
from jsonschema import Draft202012Validator

pytestmark = pytest.mark.unit

ALL_MODELS = sorted(EVENT_TYPES.values(), key=lambda model: model.ce_type)
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _assert_valid(instance: object, schema: dict[str, object]) -> None:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [error.message for error in validator.iter_errors(instance)]
    assert not errors


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_an_encoded_record_matches_its_schemas(model: type[Event]) -> None:
    schemas = record_schemas(model)
    record = encode(example(model), traceparent=TRACEPARENT, tracestate="congo=t61rcWkgMzE")

    _assert_valid(record.key.decode(), schemas.key)
    _assert_valid({name: value.decode() for name, value in record.headers}, schemas.headers)
    value = json.loads(record.value)
    _assert_valid(value, schemas.value)
    assert set(value) <= set(schemas.value["properties"])


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_the_value_is_the_contract_less_the_fields_carried_as_headers(model: type[Event]) -> None:
    contract = schema_for(model)
    value = record_schemas(model).value

    assert {**value, "properties": contract["properties"], "required": contract["required"]} == (
        contract
    )
    assert set(value["properties"]) == set(contract["properties"]) - set(ATTRIBUTE_HEADERS)
    assert value["required"] == [n for n in contract["required"] if n not in ATTRIBUTE_HEADERS]


def test_a_record_of_another_type_does_not_match_the_headers() -> None:
    schemas = record_schemas(EVENT_TYPES["uk.gov.council.cases.CaseOpened.v1"])
    record = encode(example(EVENT_TYPES["uk.gov.council.cases.CaseClosed.v1"]))
    headers = {name: value.decode() for name, value in record.headers}

    assert list(Draft202012Validator(schemas.headers).iter_errors(headers))
