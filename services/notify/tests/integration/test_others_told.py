"""Others told of a case change besides the resident (`other_resident_ids`, e.g. a planning
application's agent): each once, by their own channel and choices."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from civic_events.cases import CaseClosed, CaseOpened, CaseStatusChanged

pytestmark = pytest.mark.integration

REFERENCE = "26/00456/FUL"
PURPOSES = ["case_closed", "case_opened", "case_status_changed"]


def planning_events(
    applicant: uuid.UUID | None, agent: uuid.UUID
) -> tuple[CaseOpened, CaseStatusChanged, CaseClosed, CaseStatusChanged]:
    case_id = uuid.uuid4()
    common: dict[str, Any] = {
        "source": "cases",
        "subject": REFERENCE,
        "case_id": case_id,
        "case_type": "planning_application",
        "resident_id": applicant,
        "other_resident_ids": (agent,),
    }
    opened = CaseOpened(**common, status="received")
    validated = CaseStatusChanged(
        **common,
        old_status="received",
        new_status="validated",
        reason="ApplicationValidated from the planning back office",
        notify_resident=True,
    )
    # The applicant named among the others as well: still told once.
    closed = CaseClosed(
        **{**common, "other_resident_ids": (agent, applicant) if applicant else (agent,)},
        outcome="approved",
        notify_resident=True,
    )
    # Not to be told (and, on the same key after the others, a marker that they are through).
    quiet = CaseStatusChanged(
        **common,
        old_status="approved",
        new_status="archived",
        reason="archived",
        notify_resident=False,
    )
    return opened, validated, closed, quiet


async def test_the_applicant_and_the_agent_are_each_told_once_of_each_change(
    notify_kit: Any, eventually: Any
) -> None:
    applicant = notify_kit.resident(channel="email", email="applicant@example.com", phone=None)
    # The agent's record arrives after the case's events: their messages wait for it.
    agent = notify_kit.resident(channel="sms", email=None, phone="+447700900456")
    opened, validated, closed, quiet = planning_events(applicant.resident_id, agent.resident_id)
    async with notify_kit.service() as notify:
        await notify_kit.publish(applicant)
        await eventually(lambda: notify.has_applied(applicant.event_id), timeout=90)
        await notify_kit.publish(opened, validated, validated, closed, quiet)
        await eventually(lambda: notify.has_applied(quiet.event_id), timeout=90)
        waiting = await notify.notifications(resident_id=agent.resident_id)
        assert sorted(row["purpose"] for row in waiting) == PURPOSES
        assert {row["status"] for row in waiting} == {"awaiting_resident"}

        await notify_kit.publish(agent)

        async def all_delivered() -> list[dict[str, Any]]:
            rows = await notify.notifications(subject=REFERENCE)
            return rows if len(rows) == 6 and {r["status"] for r in rows} == {"delivered"} else []

        rows = await eventually(all_delivered, timeout=90)
        await notify.dispatcher.drain()
        rows = await notify.notifications(subject=REFERENCE)

    by_resident: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        by_resident.setdefault(row["resident_id"], []).append(row)
    assert set(by_resident) == {applicant.resident_id, agent.resident_id}
    for resident in (applicant, agent):
        assert sorted(r["purpose"] for r in by_resident[resident.resident_id]) == PURPOSES
    assert {r["channel"] for r in by_resident[applicant.resident_id]} == {"email"}
    assert {r["channel"] for r in by_resident[agent.resident_id]} == {"sms"}
    # One message each at the provider, to each one's own address, however often an event came.
    at_notify = [notify_kit.at_simulator(str(row["id"])) for row in rows]
    assert [len(sent) for sent in at_notify] == [1] * 6
    addresses = sorted(
        sent[0].get("email_address") or sent[0].get("phone_number") for sent in at_notify
    )
    assert addresses == ["+447700900456"] * 3 + ["applicant@example.com"] * 3


async def test_an_agent_alone_is_told_when_there_is_no_applicant_to_tell(
    notify_kit: Any, eventually: Any
) -> None:
    agent = notify_kit.resident(channel="email", email="agent@example.com", phone=None)
    opened, validated, _, quiet = planning_events(None, agent.resident_id)
    async with notify_kit.service() as notify:
        await notify_kit.publish(agent, opened, validated, quiet)

        async def delivered() -> list[dict[str, Any]]:
            rows = await notify.notifications(resident_id=agent.resident_id)
            return rows if len(rows) == 2 and {r["status"] for r in rows} == {"delivered"} else []

        rows = await eventually(delivered, timeout=90)
        await eventually(lambda: notify.has_applied(quiet.event_id), timeout=90)
        rows = await notify.notifications(subject=REFERENCE)
    assert sorted(row["purpose"] for row in rows) == ["case_opened", "case_status_changed"]
    emails = [notify_kit.at_simulator(str(row["id"])) for row in rows]
    assert [[m["email_address"] for m in sent] for sent in emails] == [["agent@example.com"]] * 2
    assert "26/00456/FUL" in emails[1][0]["subject"]
