"""Business metrics on /metrics: counted once a change has committed, never for a rolled-back one."""

from __future__ import annotations

from typing import Any

import pytest
from cases_factories import bearer, form_submitted, return_visit_scheduled
from civic_events.cases import CaseOpened

pytestmark = pytest.mark.integration


async def test_cases_opened_and_moved_are_counted_by_type(kit: Any, eventually: Any) -> None:
    missed = form_submitted()
    other_missed = form_submitted()
    bulky = form_submitted(form_id="bulky-waste", answers={"item_count": 2})
    async with kit.running() as (app, client):
        for submitted in (missed, other_missed, bulky):
            await kit.open_case(app, submitted)
        await kit.produce(return_visit_scheduled(missed.subject))
        moved = await client.post(
            f"/v1/cases/{other_missed.subject}/status",
            headers=bearer("waste-officer"),
            json={"status": "cancelled", "note": "resident found the bin"},
        )
        assert moved.status_code == 200, moved.text

        async def counted(name: str, **labels: str) -> float:
            return float(await kit.metric(client, name, **labels))

        async def visit_counted() -> bool:
            return (
                await counted(
                    "civic_cases_status_changes_total",
                    case_type="missed_bin",
                    new_status="return_visit_scheduled",
                )
                == 1
            )

        await eventually(visit_counted)
        assert await counted("civic_cases_opened_total", case_type="missed_bin") == 2
        assert await counted("civic_cases_opened_total", case_type="bulky_waste") == 1
        assert (
            await counted(
                "civic_cases_status_changes_total",
                case_type="bulky_waste",
                new_status="awaiting_payment",
            )
            == 1
        )
        assert (
            await counted(
                "civic_cases_status_changes_total", case_type="missed_bin", new_status="cancelled"
            )
            == 1
        )


async def test_a_rolled_back_change_is_not_counted(kit: Any) -> None:
    async with kit.running() as (app, client):
        metrics = app.state.cases_context.metrics
        opened = CaseOpened(
            source="cases",
            subject="WST-2026-999999",
            case_id="00000000-0000-0000-0000-000000000001",
            case_type="report",
            status="received",
        )
        with pytest.raises(RuntimeError):
            async with app.state.runtime.unit_of_work() as uow:
                metrics.count_when_committed(uow)
                await uow.stage(opened)
                raise RuntimeError("the handler failed after publishing")
        assert await kit.metric(client, "civic_cases_opened_total", case_type="report") == 0
        async with app.state.runtime.unit_of_work() as uow:
            metrics.count_when_committed(uow)
            await uow.stage(opened)
        assert await kit.metric(client, "civic_cases_opened_total", case_type="report") == 1
