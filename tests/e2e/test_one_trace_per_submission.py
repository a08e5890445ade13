"""One submission, one trace: intake's HTTP request, Kafka, cases, the outbox relay, notify, the provider call.

Every service exports its spans by OTLP to a receiver in the test (as to a collector); the
W3C trace context travels in the Kafka headers and through each service's outbox.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_platform import Platform
from flows import case_reaches, normal_uprn, report_missed_bin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_one_submission_produces_one_trace_across_every_service(
    platform: Platform, eventually: Any, new_resident: dict[str, Any]
) -> None:
    receiver = platform.traces
    reference = await report_missed_bin(platform, new_resident, normal_uprn(), "email")
    await case_reaches(platform, eventually, reference, "received")

    async def acknowledged() -> list[dict[str, Any]]:
        return await platform.messages_to(new_resident["email"])

    await eventually(acknowledged, timeout=45, interval=0.3)

    def submission_span() -> Any:
        return next(
            (
                s
                for s in reversed(receiver.spans)
                if s.service == "intake" and s.name.startswith("POST /v1/forms/") and s.kind == 2
            ),
            None,
        )

    root = await eventually(submission_span, timeout=30, interval=0.2)

    def whole_trace() -> Any:
        spans = receiver.trace(root.trace_id)
        names = {(s.service, s.name) for s in spans}
        services = {s.service for s in spans}
        has_provider_call = any(s.service == "notify" and "govuk-notify" in s.name for s in spans)
        # Spans arrive in batches from four processes: wait until every parent is in too.
        ids = {s.span_id for s in spans}
        if any(s.parent_span_id and s.parent_span_id not in ids for s in spans):
            return None
        return (
            spans
            if {"intake", "cases", "notify"} <= services and has_provider_call and names
            else None
        )

    spans = await eventually(whole_trace, timeout=45, interval=0.5)
    by_service: dict[str, list[str]] = {}
    for span in spans:
        by_service.setdefault(span.service, []).append(span.name)
    # intake published FormSubmitted; cases consumed it and its relay published CaseOpened;
    # notify consumed that and called the provider — all in the one trace.
    assert any(n.endswith("intake.submission.v1 publish") for n in by_service["intake"]), by_service
    assert any("intake.submission.v1" in n and "publish" not in n for n in by_service["cases"]), (
        by_service
    )
    assert any(n.endswith("cases.lifecycle.v1 publish") for n in by_service["cases"]), by_service
    assert any("cases.lifecycle.v1" in n and "publish" not in n for n in by_service["notify"]), (
        by_service
    )
    # One trace: every span hangs off another span of it, back to the submission's request.
    ids = {s.span_id for s in spans}
    assert all(not s.parent_span_id or s.parent_span_id in ids for s in spans)
    assert not root.parent_span_id
