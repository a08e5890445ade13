"""Submissions are limited per client and hour, counted in the database: public forms and Open311
requests per client address, back-office calls per API client; over the limit 429 with
Retry-After (Open311 in its own error format), whichever instance is asked."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from intake.adapters.tables import client_count
from intake.service_layer.retention import IdempotencyPurgeJob
from intake_factories import fly_tip_request, return_visit, submission

pytestmark = pytest.mark.integration

FORM = "/v1/forms/street-cleansing/submissions"


def retry_after(response: Any) -> int:
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= 3600
    return seconds


async def test_a_public_form_is_limited_per_address_across_instances(start_intake: Any) -> None:
    async with (
        start_intake(form_submissions_per_address_per_hour=3) as one,
        start_intake(form_submissions_per_address_per_hour=3) as another,
    ):
        statuses = [
            (await instance.client.post(FORM, json=submission("street-cleansing"))).status_code
            for instance in (one, another, one)
        ]
        assert statuses == [202, 202, 202]
        # A form refused for its answers is not counted: correcting it uses up nothing.
        wrong = await one.client.post(FORM, json=submission("street-cleansing", answers={}))
        assert wrong.status_code == 422
        for instance in (another, one):
            refused = await instance.client.post(FORM, json=submission("street-cleansing"))
            assert refused.status_code == 429, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["status"] == 429
            retry_after(refused)
        async with one.app.state.runtime.engine.connect() as connection:
            counted = await connection.scalar(sa.select(sa.func.count()).select_from(client_count))
        assert counted == 1  # one address, one row


async def test_the_address_behind_a_trusted_proxy_is_the_client(start_intake: Any) -> None:
    async with start_intake(
        form_submissions_per_address_per_hour=1, trusted_proxies=("127.0.0.1",)
    ) as intake:
        for resident in ("203.0.113.7", "203.0.113.8", "2001:db8::1"):
            forwarded = {"X-Forwarded-For": resident}
            body = submission("street-cleansing")
            first = await intake.client.post(FORM, json=body, headers=forwarded)
            assert first.status_code == 202, (resident, first.text)
            again = await intake.client.post(FORM, json=body, headers=forwarded)
            assert again.status_code == 429, resident
        # Another address of the same IPv6 /64 is the same client.
        same_network = {"X-Forwarded-For": "2001:db8::2"}
        refused = await intake.client.post(
            FORM, json=submission("street-cleansing"), headers=same_network
        )
        assert refused.status_code == 429


async def test_a_forwarded_address_is_not_believed_from_an_untrusted_peer(
    start_intake: Any,
) -> None:
    async with start_intake(form_submissions_per_address_per_hour=1) as intake:
        first = await intake.client.post(
            FORM, json=submission("street-cleansing"), headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert first.status_code == 202
        # Another forwarded address from the same peer is still the same client.
        spoofed = await intake.client.post(
            FORM, json=submission("street-cleansing"), headers={"X-Forwarded-For": "203.0.113.10"}
        )
        assert spoofed.status_code == 429


async def test_open311_requests_are_limited_per_address_in_open311s_error_format(
    start_intake: Any,
) -> None:
    async with start_intake(open311_requests_per_address_per_hour=2) as intake:
        client = await intake.create_client("fixmystreet", ["open311"])
        form = fly_tip_request(client.api_key, email="reporter@example.org")
        for _ in range(2):
            accepted = await intake.client.post("/open311/v2/requests.json", data=form)
            assert accepted.status_code == 201, accepted.text
        refused = await intake.client.post("/open311/v2/requests.json", data=form)
        assert refused.status_code == 429, refused.text
        [error] = refused.json()
        assert error["code"] == 429 and "try again" in error["description"]
        retry_after(refused)
        as_xml = await intake.client.post("/open311/v2/requests.xml", data=form)
        assert as_xml.status_code == 429 and b"<errors>" in as_xml.content
        retry_after(as_xml)


async def test_back_office_calls_are_limited_per_api_client(start_intake: Any) -> None:
    async with start_intake(backoffice_calls_per_client_per_hour=1) as intake:
        waste = await intake.create_client("waste-contractor", ["waste"])
        other = await intake.create_client("another-contractor", ["waste"])
        first = await intake.post_signed("waste", return_visit(), waste)
        assert first.status_code == 202, first.text
        refused = await intake.post_signed("waste", return_visit(subject="WST-2026-000009"), waste)
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        retry_after(refused)
        # Another client has its own hour; a forged call does not use up anyone's.
        assert (await intake.post_signed("waste", return_visit(), other)).status_code == 202
        forged = await intake.post_signed("waste", return_visit(), other, secret="x" * 32)
        assert forged.status_code == 401


async def test_counts_of_past_hours_are_forgotten(start_intake: Any) -> None:
    async with start_intake(form_submissions_per_address_per_hour=5) as intake:
        async with intake.app.state.runtime.engine.begin() as connection:
            await connection.execute(
                sa.insert(client_count).values(
                    client=f"form:{uuid.uuid4()}",
                    window_start=sa.func.date_trunc("hour", sa.func.now())
                    - sa.text("interval '1 hour'"),
                    requests=9,
                )
            )
        assert (
            await intake.client.post(FORM, json=submission("street-cleansing"))
        ).status_code == 202
        job = IdempotencyPurgeJob(
            unit_of_work=intake.app.state.runtime.unit_of_work, interval_s=60, batch_size=10
        )
        await job._round()
        async with intake.app.state.runtime.engine.connect() as connection:
            left = (await connection.execute(sa.select(client_count.c.client))).scalars().all()
        assert left == ["form:127.0.0.1"]
