"""Submit a form: the receipt, its reference and FormSubmitted are committed together — by one
statement, or in one transaction with the idempotency key's claim and stored answer."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from civic_events.intake import FormSubmitted

from intake.adapters import repository
from intake.adapters.outbox import CoreUnitOfWork
from intake.domain.forms import FormDefinition
from intake.domain.references import format_reference
from intake.domain.submissions import SubmissionDetails

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class IdempotencyRequest:
    scope: str
    key: str
    request_hash: str


def request_hash(*, path: str, body: Any) -> str:
    canonical = json.dumps({"path": path, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Accepted:
    status: int
    body: dict[str, Any]
    replayed: bool = False
    # The receipt's event id: Open311's token for the request (not in the web answer).
    event_id: uuid.UUID | None = None


@dataclass(frozen=True)
class KeyReused:
    """The idempotency key was used before with a different request."""


Outcome = Accepted | KeyReused


async def submit_form(
    *,
    uow: CoreUnitOfWork,
    form: FormDefinition,
    answers: dict[str, Any],
    details: SubmissionDetails,
    submitted_via: Literal["web", "open311", "api"],
    api_client_id: uuid.UUID | None = None,
    idempotency: IdempotencyRequest | None = None,
    status_url_base: str = "",
    retention_hours: int = 48,
    media_urls: tuple[str, ...] = (),
) -> Outcome:
    session = uow.connection
    if idempotency is not None:
        # The key's row stays locked until the submission commits: that needs one transaction.
        if not uow.atomic:
            raise ValueError("an idempotent submission needs an atomic unit of work")
        stored = await repository.claim_idempotency_key(
            session=session,
            scope=idempotency.scope,
            key=idempotency.key,
            request_hash=idempotency.request_hash,
            retention_hours=retention_hours,
        )
        if stored is not None:
            if stored.request_hash != idempotency.request_hash or stored.body is None:
                return KeyReused()
            return Accepted(status=stored.status or 202, body=stored.body, replayed=True)

    now = datetime.now(UTC)
    number = await repository.next_reference_number(session=session, family=form.family)
    reference = format_reference(form.family, now.astimezone(LONDON).year, number)
    channel = None if details.preferred_channel == "none" else details.preferred_channel
    event = FormSubmitted(
        source="intake",
        subject=reference,
        occurred_at=now,
        form_id=form.form_id,
        form_version=form.version,
        service_code=form.service_code,
        submitted_via=submitted_via,
        api_client_id=str(api_client_id) if api_client_id else None,
        answers=answers,
        description=details.description,
        media_urls=media_urls,
        location=details.location,
        contact=details.contact,
        preferred_channel=channel,
        language=details.language,
    )
    # The receipt and FormSubmitted are written by one statement: atomic even in autocommit.
    await repository.add_submission(
        uow=uow,
        event=event,
        reference=reference,
        form_id=form.form_id,
        form_version=form.version,
        service_code=form.service_code,
        submitted_via=submitted_via,
        api_client_id=api_client_id,
        event_id=event.event_id,
        description=details.description,
        location=details.location.model_dump(mode="json", exclude_none=True)
        if details.location
        else None,
        media_url=media_urls[0] if media_urls else None,
        received_at=now,
        updated_at=now,
    )
    body = {
        "reference": reference,
        "status": "received",
        "status_url": f"{status_url_base}/v1/submissions/{reference}",
        "form_id": form.form_id,
        "form_version": form.version,
        "submitted_at": now.isoformat(),
    }
    if idempotency is not None:
        await repository.store_idempotent_response(
            session=session, scope=idempotency.scope, key=idempotency.key, status=202, body=body
        )
    return Accepted(status=202, body=body, event_id=event.event_id)
