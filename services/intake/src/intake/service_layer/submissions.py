"""Submit a form: the receipt, its reference and FormSubmitted are committed together — in a
group commit with the submissions arriving at the same time, or in one transaction with the
idempotency key's claim and stored answer."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from civic_events.intake import FormSubmitted
from civic_runtime.uow import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.adapters import repository
from intake.adapters.group_commit import GroupCommit, Receipt
from intake.domain.forms import FormDefinition
from intake.domain.references import format_reference
from intake.domain.status_tokens import new_status_token, status_token_hash
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
    form: FormDefinition,
    answers: dict[str, Any],
    details: SubmissionDetails,
    reference_prefix: str,
    submitted_via: Literal["web", "open311", "api"],
    writer: GroupCommit | None = None,
    uow: UnitOfWork[AsyncConnection] | None = None,
    api_client_id: uuid.UUID | None = None,
    idempotency: IdempotencyRequest | None = None,
    status_url_base: str = "",
    retention_hours: int = 48,
    media_urls: tuple[str, ...] = (),
) -> Outcome:
    """Accept a submission once its receipt and FormSubmitted are committed: through `writer`
    (the group commit) or, with an idempotency key, in `uow`'s transaction with the key. The
    number comes from the form family's sequence; the reference shows it after `reference_prefix`."""
    channel = None if details.preferred_channel == "none" else details.preferred_channel
    status_token = new_status_token()

    def receipt(number: int) -> Receipt:
        now = datetime.now(UTC)
        reference = format_reference(reference_prefix, now.astimezone(LONDON).year, number)
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
        return event, repository.new_receipt(
            event,
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
            status_token_hash=status_token_hash(status_token),
            received_at=now,
            updated_at=now,
        )

    if idempotency is None:
        if writer is None:
            raise ValueError("a submission without an idempotency key goes through the writer")
        event, _ = await writer.write(form.family, receipt)
        body = _answer(event, status_url_base, status_token)
        return Accepted(status=202, body=body, event_id=event.event_id)

    # The key's row stays locked until the submission commits: that needs one transaction.
    if uow is None or not uow.atomic:
        raise ValueError("an idempotent submission needs an atomic unit of work")
    session = uow.session
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
    number = await repository.next_reference_number(session=session, family=form.family)
    event, new_receipt = receipt(number)
    await repository.add_submissions(uow=uow, receipts=[new_receipt])
    # The stored answer holds the token, so that a retry can be given it again; the key's row
    # is deleted when it expires (`retention_hours`).
    body = _answer(event, status_url_base, status_token)
    await repository.store_idempotent_response(
        session=session, scope=idempotency.scope, key=idempotency.key, status=202, body=body
    )
    return Accepted(status=202, body=body, event_id=event.event_id)


def _answer(event: FormSubmitted, status_url_base: str, status_token: str) -> dict[str, Any]:
    return {
        "reference": event.subject,
        "status": "received",
        "status_url": f"{status_url_base}/v1/submissions/{event.subject}",
        # Sent back as `Authorization: Bearer <token>` to read the status at `status_url`.
        "status_token": status_token,
        "form_id": event.form_id,
        "form_version": event.form_version,
        "submitted_at": event.occurred_at.isoformat(),
    }
