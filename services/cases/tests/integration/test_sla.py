"""SLA breaches: raised once per case and deadline, with two instances checking at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cases.bootstrap import check_slas
from cases_factories import T0, bearer, form_submitted
from civic_events.cases import CaseOpened, CaseSlaBreached

pytestmark = pytest.mark.integration


async def test_a_breach_is_raised_once_with_two_instances_checking(
    kit: Any, eventually: Any
) -> None:
    # Reported on Monday 23 November 2026: due by the end of Wednesday 25th, long past now.
    overdue = form_submitted(at=T0)
    paused = form_submitted(form_id="foi-request", at=datetime.now(UTC))
    async with (
        kit.running(sla_checker_enabled=True, sla_check_interval_s=0.1) as (first, client),
        kit.running(sla_checker_enabled=True, sla_check_interval_s=0.1, consumer_enabled=False) as (
            second,
            _,
        ),
    ):
        await kit.open_case(first, paused)
        # The FOI clock stops while the council awaits clarification.
        answer = await client.post(
            f"/v1/cases/{paused.subject}/status",
            headers=bearer("information-officer"),
            json={"status": "awaiting_clarification", "note": "which year?"},
        )
        assert answer.status_code == 200, answer.text
        # Twenty working days pass while it waits: still no breach.
        async with first.state.runtime.engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "UPDATE cases_case SET sla_due_at = now() - interval '1 day' WHERE reference = :r"
                ),
                {"r": paused.subject},
            )
        await kit.open_case(first, overdue)
        breaches = [
            e for e in await kit.events("cases.lifecycle.v1", 4) if isinstance(e, CaseSlaBreached)
        ]
        assert [b.subject for b in breaches] == [overdue.subject]
        assert breaches[0].sla == "missed_bin_return_2_working_days"
        assert breaches[0].status == "received"
        # Both instances keep checking, many times over, at the same moment.
        for _ in range(5):
            await asyncio.gather(
                check_slas(first.state.runtime),
                check_slas(second.state.runtime),
                check_slas(first.state.runtime),
                check_slas(second.state.runtime),
            )
        assert (await kit.outbox_types(first, overdue.subject)).count("CaseSlaBreached") == 1
        breaches_counted = 0.0
        for app in (first, second):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as instance:
                breaches_counted += await kit.metric(
                    instance,
                    "civic_cases_sla_breaches_total",
                    case_type="missed_bin",
                    sla="missed_bin_return_2_working_days",
                )
        assert breaches_counted == 1
        assert "CaseSlaBreached" not in await kit.outbox_types(first, paused.subject)
        found = await client.get(
            "/v1/cases", params={"sla_breached": "true"}, headers=bearer("waste-officer")
        )
        assert [c["reference"] for c in found.json()["items"]] == [overdue.subject]


async def test_an_overridden_clock_breaches_seconds_after_opening_and_only_once(
    kit: Any, eventually: Any
) -> None:
    # Reported now: in working days it would be due days from now; overridden, in 3 seconds.
    submitted = form_submitted(at=datetime.now(UTC))
    async with kit.running(
        sla_checker_enabled=True, sla_check_interval_s=0.2, sla_overrides_s={"missed_bin": 3}
    ) as (app, _):
        row = await kit.open_case(app, submitted)
        assert row.sla_name == "missed_bin_return_2_working_days"
        assert row.sla_due_at == submitted.occurred_at + timedelta(seconds=3)
        opened, breached = await kit.events("cases.lifecycle.v1", 2, timeout=30)
        assert isinstance(opened, CaseOpened) and opened.sla_due_at == row.sla_due_at
        assert isinstance(breached, CaseSlaBreached) and breached.subject == submitted.subject
        assert breached.sla == "missed_bin_return_2_working_days"
        assert breached.due_at == row.sla_due_at
        row = await kit.case_row(app, submitted.subject)
        assert row.sla_breached_at >= row.sla_due_at, "raised before the clock ran out"
        # The checker keeps running (every 0.2 s), and is run again by hand: still one breach.
        await asyncio.sleep(1.0)
        for _ in range(3):
            await check_slas(app.state.runtime)
        assert (await kit.outbox_types(app, submitted.subject)).count("CaseSlaBreached") == 1
