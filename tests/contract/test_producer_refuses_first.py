"""Whatever cases would refuse, intake refuses first: a 202 is never followed by a dead letter.

For every form in intake's catalogue, submissions are generated from the form's own JSON Schema
(its answers) and the submission body's (contact, location, channel; the contact's and address's
free text unconstrained), posted in process to intake's HTTP API, and every FormSubmitted intake
stages for a 202 (its outbox row, exactly the bytes the relay publishes) is decoded as cases
decodes it and applied by cases' own processor to a real cases database. No record may be
dead-lettered, and every accepted reference must have its case.

Generation is derandomised (Hypothesis's fixed seed per test), so CI sees the same submissions
each run: EXAMPLES_PER_FORM per form, about 15 s in all.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
import pytest
import schemathesis
import sqlalchemy as sa
from civic_events.envelope import decode
from civic_runtime.consumers import ConsumedRecord
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES_PER_FORM = 40
# A few addresses shared between examples, so that submissions also meet residents already on
# record (whose new details are held for confirmation), not only new ones.
KNOWN_EMAILS = ["resident.one@example.org", "Resident.Two@Example.ORG"]
# UK mobiles and landlines, national or international, spaced or not.
PHONES = ["07911 123456", "+447911123457", "+44 7911 123 458", "020 7946 0018", "0121 496 0000"]


class EligibleEverywhere:
    """The waste contractor says every bin was missed today: every missed-bin report is in time."""

    async def latest_collection(self, *, uprn: str, bin_type: str, today: date) -> Any:
        from intake.domain.eligibility import Collection

        return Collection(uprn=uprn, bin_type=bin_type, scheduled_date=today, status="missed")


def free_text(limit: int, *, min_length: int = 0) -> dict[str, Any]:
    """Any text up to `limit`, often without control characters (which intake refuses)."""
    return {
        "anyOf": [
            {
                "type": "string",
                "minLength": 1,
                "maxLength": limit,
                "pattern": "^[^\\u0000-\\u001f\\u007f]+$",
            },
            {"type": "string", "minLength": min_length, "maxLength": limit},
        ]
    }


def _location_schema(accepts: tuple[str, ...], bounds: tuple[float, ...]) -> dict[str, Any]:
    """One of the kinds the form accepts: a UPRN, an address, or a point in the district's box."""
    south, west, north, east = bounds
    kinds: list[dict[str, Any]] = []
    if "uprn" in accepts:
        kinds.append(
            {
                "required": ["uprn"],
                "properties": {"uprn": {"type": "string", "pattern": "^[1-9][0-9]{0,11}$"}},
            }
        )
    if "address" in accepts:
        kinds.append(
            {"required": ["address"], "properties": {"address": free_text(500, min_length=1)}}
        )
    if "coordinates" in accepts:
        kinds.append(
            {
                "required": ["latitude", "longitude"],
                "properties": {
                    "latitude": {"type": "number", "minimum": south, "maximum": north},
                    "longitude": {"type": "number", "minimum": west, "maximum": east},
                },
            }
        )
    return {"anyOf": [{"type": "object", "additionalProperties": False, **kind} for kind in kinds]}


def submission_schema(form: Any, bounds: tuple[float, ...]) -> dict[str, Any]:
    """A submission's body: the form's answers as its JSON Schema says, the rest as intake's."""
    answers = copy.deepcopy(form.schema)
    answers.pop("$schema", None)
    answers.pop("$id", None)
    body: dict[str, Any] = {
        "type": "object",
        "required": ["answers", "contact", "preferred_channel", "consent"],
        "properties": {
            "answers": answers,
            "contact": {
                "type": "object",
                "required": ["email"],
                "properties": {
                    "name": free_text(200),
                    "email": {
                        "anyOf": [
                            {"enum": KNOWN_EMAILS},
                            {"type": "string", "format": "email"},
                        ]
                    },
                    "phone": {"enum": PHONES},
                    "address": free_text(500),
                },
                "additionalProperties": False,
            },
            "preferred_channel": {"enum": ["email", "none"]},
            "consent": {"const": True},
            "description": free_text(4000),
            "language": {"enum": ["en", "cy"]},
        },
        "additionalProperties": False,
    }
    if form.location_accepts:
        body["properties"]["location"] = _location_schema(form.location_accepts, bounds)
        if form.location_required:
            body["required"].append("location")
    return body


def generate_bodies(form: Any, bounds: tuple[float, ...]) -> list[dict[str, Any]]:
    """EXAMPLES_PER_FORM valid bodies for `form`, the same ones on every run."""
    document = {
        "openapi": "3.1.0",
        "info": {"title": form.form_id, "version": str(form.version)},
        "paths": {
            f"/v1/forms/{form.form_id}/submissions": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": submission_schema(form, bounds)}
                        },
                    },
                    "responses": {"202": {"description": "Accepted"}},
                }
            }
        },
    }
    (operation,) = [
        result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()
    ]
    bodies: list[dict[str, Any]] = []

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(
        max_examples=EXAMPLES_PER_FORM,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: schemathesis.Case) -> None:
        bodies.append(case.body)

    collect()
    return bodies


@asynccontextmanager
async def intake_app(database_url: str, prefix: str, kafka: str) -> AsyncIterator[Any]:
    from intake.bootstrap import create_app
    from intake.config import IntakeSettings

    app = create_app(
        IntakeSettings(
            environment="test",
            database_url=database_url,
            kafka_bootstrap_servers=kafka,
            topic_prefix=prefix,
            log_json=False,
            log_level="WARNING",
            idempotency_purge_enabled=False,
            # Every example comes from one address: the limit per address is not under test.
            form_submissions_per_address_per_hour=0,
            # What is staged is read from the outbox; nothing needs publishing.
            outbox_enabled=False,
        ),
        waste_contractor=EligibleEverywhere(),
    )
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def cases_app(database_url: str, prefix: str, kafka: str) -> AsyncIterator[Any]:
    from cases.bootstrap import create_app
    from cases.config import CasesSettings

    app = create_app(
        CasesSettings(
            environment="test",
            database_url=database_url,
            kafka_bootstrap_servers=kafka,
            topic_prefix=prefix,
            log_json=False,
            log_level="WARNING",
            # Records are handed to the processor below, as its Kafka subscriber would.
            consumer_enabled=False,
            outbox_enabled=False,
            sla_checker_enabled=False,
            waste_contractor_url="",
            retry_max_attempts=2,
            retry_initial_backoff_ms=1,
            retry_max_backoff_ms=5,
        )
    )
    async with app.router.lifespan_context(app):
        yield app


async def staged_submissions(app: Any, prefix: str) -> list[ConsumedRecord]:
    """intake's staged FormSubmitted events as the records its relay would publish."""
    async with app.state.runtime.engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT topic, key, headers, payload FROM outbox "
                "WHERE event_type LIKE '%.FormSubmitted.%' ORDER BY id"
            )
        )
        return [
            ConsumedRecord(
                topic=prefix + row.topic,
                partition=0,
                offset=offset,
                key=row.key.encode(),
                value=bytes(row.payload),
                headers=[(name, value.encode()) for name, value in row.headers],
            )
            for offset, row in enumerate(rows)
        ]


async def test_every_submission_intake_accepts_opens_its_case(
    new_database: Callable[[], Awaitable[str]], topic_prefix: str, infrastructure: Any
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    intake_database, cases_database = await new_database(), await new_database()
    accepted: dict[str, dict[str, Any]] = {}  # reference → the body intake accepted
    refused: dict[str, int] = {}
    async with intake_app(intake_database, topic_prefix, kafka) as intake:
        state = intake.state.intake
        bounds = state.council.area.bounds
        forms = state.catalogue.all_current()
        assert len(forms) >= 10, [form.form_id for form in forms]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=intake), base_url="http://test"
        ) as client:
            for form in forms:
                accepted_here = 0
                for number, body in enumerate(generate_bodies(form, bounds)):
                    # Every other submission takes the idempotent path (its own transaction).
                    headers = {"Idempotency-Key": f"{form.form_id}-{number}"} if number % 2 else {}
                    answer = await client.post(
                        f"/v1/forms/{form.form_id}/submissions", json=body, headers=headers
                    )
                    assert answer.status_code in (202, 422), (answer.status_code, answer.text)
                    if answer.status_code == 202:
                        accepted[answer.json()["reference"]] = body
                        accepted_here += 1
                    else:
                        refused[form.form_id] = refused.get(form.form_id, 0) + 1
                # Free text is unconstrained, so intake refuses some (a control character, a
                # point outside the district); enough must pass for this test to check much.
                assert accepted_here >= EXAMPLES_PER_FORM // 4, (form.form_id, refused)
        records = await staged_submissions(intake, topic_prefix)
    assert len(records) == len(accepted)

    # Decoded as cases decodes it (the contract's received rules, not the producer's).
    for record in records:
        decode(record.headers, record.value)

    async with cases_app(cases_database, topic_prefix, kafka) as cases:
        outcomes = await cases.state.runtime.processor.process_batch(records)
        dead = [
            accepted[record.key.decode()]
            for record, outcome in zip(records, outcomes, strict=True)
            if outcome != "applied"
        ]
        assert dead == [], f"{len(dead)} accepted submission(s) not applied by cases: {dead[:3]}"
        async with cases.state.runtime.engine.connect() as connection:
            opened = set(await connection.scalars(sa.text("SELECT reference FROM cases_case")))
    assert opened == set(accepted)
