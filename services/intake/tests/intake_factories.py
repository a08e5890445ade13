"""Test data for intake: one valid submission per form, API clients, signed requests."""

from __future__ import annotations

import copy
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from civic_runtime.council import DEMO_COUNCIL_FILE, load_council
from fastapi import FastAPI
from intake.domain.signatures import signature_header
from intake.service_layer.api_clients import IssuedCredentials, create_api_client

LONDON = ZoneInfo("Europe/London")
# The demo council (deploy/council), which intake loads unless told otherwise.
DEMO_COUNCIL = load_council(DEMO_COUNCIL_FILE)
# The demo district's first household (seed 1): 1 Pound Mead, Epsom, KT17 9BY.
IN_DISTRICT = {"latitude": 51.359994, "longitude": -0.231726}
DEMO_ADDRESS = "1 Pound Mead, Epsom, KT17 9BY"
OUTSIDE_DISTRICT = {"latitude": 51.5072, "longitude": -0.1276}  # London
UPRN = "100090123456"

CONTACT = {"name": "Ada Resident", "email": "Ada@Example.org", "phone": "07911 123456"}

VALID_SUBMISSIONS: dict[str, dict[str, Any]] = {
    "missed-bin": {
        "answers": {"bin_type": "refuse", "bin_presented": True},
        "location": {"uprn": UPRN},
    },
    "bulky-waste": {
        "answers": {
            "items": [{"item": "sofa", "quantity": 1}],
            "preferred_date": "2026-12-10",
            "location_on_property": "driveway",
        },
        "location": {"uprn": UPRN},
    },
    "assisted-collection": {
        "answers": {"reason": "Wheelchair user", "duration": "permanent", "bin_location": "Side"},
        "location": {"address": DEMO_ADDRESS},
    },
    "new-bin": {
        "answers": {"bin_type": "recycling", "reason": "damaged", "quantity": 1},
        "location": {"uprn": UPRN},
    },
    "fly-tipping": {
        "answers": {"waste_type": "household", "size": "car_boot"},
        "location": IN_DISTRICT,
    },
    "street-cleansing": {"answers": {"problem": "broken_glass"}, "location": IN_DISTRICT},
    "abandoned-vehicle": {
        "answers": {"make": "Ford", "colour": "blue", "days_seen": 14},
        "location": IN_DISTRICT,
    },
    "planning-comment": {
        "answers": {
            "application_reference": "26/00123/FUL",
            "stance": "object",
            "comment": "Too tall for the street scene.",
        }
    },
    "general-enquiry": {
        "answers": {"kind": "complaint", "service_area": "waste", "message": "Crew was rude"}
    },
    "foi-request": {
        "answers": {"request": "How many missed bins were reported in 2025?", "format": "email"}
    },
}

# One field per form broken, with the field and the rule the problem must name.
INVALID_ANSWERS: dict[str, tuple[dict[str, Any], str, str]] = {
    "missed-bin": ({"bin_type": "compost", "bin_presented": True}, "answers.bin_type", "enum"),
    "bulky-waste": (
        {"items": [], "preferred_date": "2026-12-10", "location_on_property": "driveway"},
        "answers.items",
        "minItems",
    ),
    "assisted-collection": (
        {"reason": "x", "duration": "temporary", "bin_location": "Side"},
        "answers.end_date",
        "required",
    ),
    "new-bin": (
        {"bin_type": "refuse", "reason": "damaged", "quantity": 9},
        "answers.quantity",
        "maximum",
    ),
    "fly-tipping": ({"waste_type": "household"}, "answers.size", "required"),
    "street-cleansing": ({"problem": "potholes"}, "answers.problem", "enum"),
    "abandoned-vehicle": (
        {"make": "Ford", "colour": "blue", "days_seen": -1},
        "answers.days_seen",
        "minimum",
    ),
    "planning-comment": (
        {"application_reference": "nope", "stance": "object", "comment": "Too tall for me"},
        "answers.application_reference",
        "pattern",
    ),
    "general-enquiry": (
        {"kind": "complaint", "service_area": "waste", "message": "x", "colour": "red"},
        "answers.colour",
        "additionalProperties",
    ),
    "foi-request": ({"request": "short", "format": "email"}, "answers.request", "minLength"),
}


def submission(form_id: str, **overrides: Any) -> dict[str, Any]:
    body = copy.deepcopy(VALID_SUBMISSIONS[form_id])
    body.setdefault("contact", dict(CONTACT))
    body.setdefault("preferred_channel", "email")
    body.setdefault("consent", True)
    body.update(overrides)
    return body


def fly_tip_request(api_key: str, **fields: str) -> dict[str, str]:
    """An Open311 fly-tipping request (form fields) in the district, with `fields` added."""
    return {
        "api_key": api_key,
        "service_code": "fly_tipping",
        "lat": str(IN_DISTRICT["latitude"]),
        "long": str(IN_DISTRICT["longitude"]),
        "attribute[waste_type]": "household",
        "attribute[size]": "car_boot",
        **fields,
    }


def return_visit(**overrides: Any) -> dict[str, Any]:
    """The waste contractor's webhook body for a ReturnVisitScheduled event."""
    report = {
        "type": "ReturnVisitScheduled",
        "event_id": str(uuid.uuid4()),
        "subject": "WST-2026-000001",
        "job_reference": "JOB-1",
        "uprn": "100090123456",
        "round_id": "R101",
        "bin_type": "refuse",
        "missed_collection_date": "2026-11-27",
        "scheduled_for": "2026-11-30",
    }
    report.update(overrides)
    return report


def london_today() -> date:
    return datetime.now(UTC).astimezone(LONDON).date()


@dataclass
class IntakeHarness:
    app: FastAPI
    client: httpx.AsyncClient
    simulator: httpx.AsyncClient
    topic_prefix: str

    async def set_collection(self, *, uprn: str, bin_type: str, day: date, status: str) -> None:
        response = await self.simulator.put(
            f"/_simulator/properties/{uprn}/collections",
            json={"bin_type": bin_type, "scheduled_date": day.isoformat(), "status": status},
        )
        assert response.status_code == 204, response.text

    async def create_client(self, name: str, scopes: list[str]) -> IssuedCredentials:
        async with self.app.state.runtime.unit_of_work() as uow:
            return await create_api_client(session=uow.session, name=name, scopes=scopes)

    async def post_signed(
        self,
        system: str,
        body: Any,
        credentials: IssuedCredentials,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> httpx.Response:
        raw = json.dumps(body).encode()
        stamp = int(time.time()) if timestamp is None else timestamp
        return await self.client.post(
            f"/v1/backoffice/{system}/events",
            content=raw,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {credentials.api_key}",
                "Intake-Signature": signature_header(
                    secret or credentials.signing_secret, stamp, raw
                ),
            },
        )
