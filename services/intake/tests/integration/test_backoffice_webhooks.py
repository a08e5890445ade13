"""Back-office webhooks: signed, scoped, validated into typed events, replay-safe."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from civic_events.envelope import decode
from civic_events.waste import ReturnVisitScheduled
from intake_factories import IntakeHarness, return_visit

pytestmark = pytest.mark.integration


def decision() -> dict[str, Any]:
    return {
        "type": "uk.gov.council.planning.DecisionIssued.v1",
        "event_id": str(uuid.uuid4()),
        "subject": "26/00123/FUL",
        "decision": "granted",
        "decided_on": "2026-11-27",
        "decision_level": "delegated",
    }


async def test_a_signed_batch_is_published_once_and_a_replay_is_acknowledged_without_effect(
    intake: IntakeHarness, read_records: Any
) -> None:
    waste = await intake.create_client("waste-contractor", ["waste"])
    batch = {"events": [return_visit(), return_visit(subject="WST-2026-000002")]}
    first = await intake.post_signed("waste", batch, waste)
    assert first.status_code == 202, first.text
    assert first.json()["accepted"] == 2
    replay = await intake.post_signed("waste", batch, waste)
    assert replay.status_code == 202
    assert replay.json() == {
        "accepted": 0,
        "duplicates": 2,
        "accepted_event_ids": [],
        "duplicate_event_ids": first.json()["accepted_event_ids"],
    }
    planning = await intake.create_client("planning-back-office", ["planning"])
    assert (await intake.post_signed("planning", decision(), planning)).status_code == 202

    records = await read_records(intake.topic_prefix + "backoffice.waste.v1", 2)
    events = [decode(r.headers, r.value) for r in records]
    assert all(isinstance(e, ReturnVisitScheduled) for e in events)
    assert {e.subject for e in events} == {"WST-2026-000001", "WST-2026-000002"}
    assert {e.source for e in events} == {"waste-contractor"}
    planning_records = await read_records(intake.topic_prefix + "backoffice.planning.v1", 1)
    assert planning_records[0].key == b"26/00123/FUL"
    # Nothing more than the two waste events: the replay published nothing.
    again = await read_records(intake.topic_prefix + "backoffice.waste.v1", 2, timeout=2)
    assert len(again) == 2


async def test_missing_wrong_stale_and_foreign_signatures_are_refused(
    intake: IntakeHarness,
) -> None:
    waste = await intake.create_client("waste-contractor", ["waste"])
    body = return_visit()
    stale = await intake.post_signed("waste", body, waste, timestamp=int(time.time()) - 301)
    assert stale.status_code == 401
    assert "tolerance" in stale.json()["detail"]
    wrong = await intake.post_signed("waste", body, waste, secret="whsec_not-the-secret")
    assert wrong.status_code == 401
    unsigned = await intake.client.post(
        "/v1/backoffice/waste/events",
        json=body,
        headers={"Authorization": f"Bearer {waste.api_key}"},
    )
    assert unsigned.status_code == 401
    no_key = await intake.client.post("/v1/backoffice/waste/events", json=body)
    assert no_key.status_code == 401
    bad_key = await intake.client.post(
        "/v1/backoffice/waste/events", json=body, headers={"Authorization": "Bearer ik_nope"}
    )
    assert bad_key.status_code == 401
    wrong_scope = await intake.post_signed("planning", decision(), waste)
    assert wrong_scope.status_code == 403
    for response in (stale, wrong, unsigned, no_key, bad_key, wrong_scope):
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_batch_with_an_invalid_event_is_refused_whole_naming_the_field(
    intake: IntakeHarness,
) -> None:
    waste = await intake.create_client("waste-contractor", ["waste"])
    batch = {"events": [return_visit(), return_visit(uprn="not-a-uprn"), {"type": "Nope"}]}
    response = await intake.post_signed("waste", batch, waste)
    assert response.status_code == 422
    fields = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert ("events[1].uprn", "string_pattern_mismatch") in fields
    assert ("events[2].type", "enum") in fields
    # Nothing was stored: the same first event is accepted afterwards, not a duplicate.
    ok = await intake.post_signed("waste", {"events": [batch["events"][0]]}, waste)
    assert ok.json()["accepted"] == 1


async def test_a_rotated_key_replaces_the_old_one_and_a_revoked_client_is_refused(
    intake: IntakeHarness,
) -> None:
    from intake.service_layer.api_clients import revoke_api_client, rotate_api_client

    waste = await intake.create_client("waste-contractor", ["waste"])
    async with intake.app.state.runtime.unit_of_work() as uow:
        rotated = await rotate_api_client(session=uow.session, name="waste-contractor")
    assert rotated is not None
    assert (await intake.post_signed("waste", return_visit(), waste)).status_code == 401
    assert (await intake.post_signed("waste", return_visit(), rotated)).status_code == 202
    async with intake.app.state.runtime.unit_of_work() as uow:
        assert await revoke_api_client(session=uow.session, name="waste-contractor")
    assert (await intake.post_signed("waste", return_visit(), rotated)).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {"events": "x"},
        {"events": []},
        {"events": [1]},
        {"type": "CollectionCompleted", "event_id": "not-a-uuid"},
        {"type": "ServiceDisruption", "event_id": str(uuid.uuid4()), "bin_types": []},
        {"events": [return_visit(event_id="00000000-0000-0000-0000-000000000001")] * 2},
    ],
)
async def test_odd_signed_bodies_are_422_never_a_server_error(
    intake: IntakeHarness, body: Any
) -> None:
    waste = await intake.create_client("waste-contractor", ["waste"])
    response = await intake.post_signed("waste", body, waste)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]


async def test_a_batch_of_500_is_taken_and_501_is_refused(intake: IntakeHarness) -> None:
    waste = await intake.create_client("waste-contractor", ["waste"])
    batch = [return_visit(subject=f"WST-2026-{n:06d}") for n in range(501)]
    too_many = await intake.post_signed("waste", {"events": batch}, waste)
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["rule"] == "maxItems"
    ok = await intake.post_signed("waste", {"events": batch[:500]}, waste)
    assert ok.status_code == 202 and ok.json()["accepted"] == 500
