"""A missed bin asks the waste contractor for a return visit: reliably, once, with the job kept."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from cases_factories import form_submitted
from fake_contractor import FakeContractor
from loopback import free_port

pytestmark = pytest.mark.integration

FAST_RETRIES = {
    "work_order_poll_interval_s": 0.05,
    "work_order_retry_initial_s": 0.05,
    "work_order_retry_max_s": 0.2,
}


async def work_order_once(
    kit: Any, app: Any, reference: str, eventually: Any, ready: Callable[[Any], bool]
) -> Any:
    """The case's work order as soon as `ready(order)` holds."""

    async def check() -> Any:
        order = await kit.work_order(app, reference)
        return order if order is not None and ready(order) else None

    return await eventually(check)


@contextlib.asynccontextmanager
async def case_opened_with(
    kit: Any, contractor: FakeContractor, submitted: Any
) -> AsyncIterator[Any]:
    """Cases running against the contractor's fake (serving), with the case `submitted` opens."""
    async with (
        contractor.serving(),
        kit.running(waste_contractor_url=contractor.url, **FAST_RETRIES) as (app, _),
    ):
        await kit.open_case(app, submitted)
        yield app


async def test_a_work_order_waits_for_a_contractor_that_is_down_then_is_sent_once(
    kit: Any, eventually: Any
) -> None:
    contractor = FakeContractor(port=free_port())
    missed = form_submitted(answers={"bin_type": "recycling"})
    fly_tipping = form_submitted(form_id="fly-tipping")
    async with kit.running(waste_contractor_url=contractor.url, **FAST_RETRIES) as (app, _):
        await kit.open_case(app, missed)
        await kit.open_case(app, fly_tipping)

        waiting = await work_order_once(
            kit, app, missed.subject, eventually, lambda order: order.attempts >= 3
        )
        assert waiting.state == "pending" and waiting.job_reference is None
        assert "ConnectError" in waiting.last_error

        async with contractor.serving():
            order = await work_order_once(
                kit, app, missed.subject, eventually, lambda order: order.state == "sent"
            )
        assert order.job_reference == "MC-000001"
        assert list(contractor.jobs) == [missed.subject]
        request = contractor.requests[0]
        assert request["api_key"] == "sim-key"
        assert (request["council_reference"], request["uprn"], request["bin_type"]) == (
            missed.subject,
            "100012345678",
            "recycling",
        )
        assert request["reported_at"].startswith(missed.occurred_at.isoformat()[:19])
        timeline = await kit.timeline(app, missed.subject)
        work = [entry.summary for entry in timeline if entry.kind == "work_order"]
        assert work == ["Return visit requested from the waste contractor (job MC-000001)"]
        # Only missed bins send the contractor back.
        assert await kit.work_order(app, fly_tipping.subject) is None


async def test_a_lost_answer_is_resent_and_finds_the_same_job(kit: Any, eventually: Any) -> None:
    contractor = FakeContractor(port=free_port(), lose_answers=2)
    missed = form_submitted()
    async with case_opened_with(kit, contractor, missed) as app:
        order = await work_order_once(
            kit, app, missed.subject, eventually, lambda order: order.state == "sent"
        )
        assert order.attempts == 3 and order.job_reference == "MC-000001"
        assert len(contractor.requests) == 3 and len(contractor.jobs) == 1


async def test_a_refused_work_order_is_kept_for_an_officer_not_retried(
    kit: Any, eventually: Any
) -> None:
    contractor = FakeContractor(port=free_port(), refuse=True)
    missed = form_submitted()
    async with case_opened_with(kit, contractor, missed) as app:
        order = await work_order_once(
            kit, app, missed.subject, eventually, lambda order: order.state == "rejected"
        )
        assert "422" in order.last_error
        timeline = await kit.timeline(app, missed.subject)
        assert any(entry.kind == "work_order" and "refused" in entry.summary for entry in timeline)
        attempts = len(contractor.requests)
    assert attempts == 1


async def test_no_work_order_when_the_contractor_is_switched_off(kit: Any) -> None:
    missed = form_submitted()
    async with kit.running() as (app, _):
        await kit.open_case(app, missed)
        assert await kit.work_order(app, missed.subject) is None
