"""Intake's storage, as functions over the unit of work's session (keyword-only arguments)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from civic_events.base import Event
from civic_runtime.outbox import STAGE_MANY, OutboxEntry, outbox_entry
from civic_runtime.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from intake.adapters.tables import (
    api_client,
    backoffice_receipt,
    idempotency_key,
    submission,
    submission_update,
)
from intake.domain.references import sequence_name

# The hot path runs on a Core connection; the rest on the unit of work's session. Both execute.
Database = AsyncSession | AsyncConnection


async def next_reference_number(*, session: Database, family: str) -> int:
    number = await session.scalar(sa.select(sa.func.nextval(sequence_name(family))))
    assert number is not None
    return int(number)


async def draw_reference_numbers(connection: Database, family: str, count: int) -> list[int]:
    """`count` numbers of `family`'s sequence, in one statement."""
    result = await connection.execute(
        sa.select(sa.func.nextval(sequence_name(family))).select_from(
            sa.func.generate_series(1, count)
        )
    )
    return [int(number) for number in result.scalars()]


_RECEIPT_ARRAYS: dict[str, ARRAY[Any]] = {
    "reference": ARRAY(sa.Text),
    "form_id": ARRAY(sa.Text),
    "form_version": ARRAY(sa.Integer),
    "service_code": ARRAY(sa.Text),
    "submitted_via": ARRAY(sa.Text),
    "api_client_id": ARRAY(sa.Uuid),
    "event_id": ARRAY(sa.Uuid),
    "description": ARRAY(sa.Text),
    "location": ARRAY(sa.Text),  # JSON text, cast below; no location stays SQL NULL
    "media_url": ARRAY(sa.Text),
    "status_token_hash": ARRAY(sa.Text),
    "received_at": ARRAY(sa.DateTime(timezone=True)),
    "updated_at": ARRAY(sa.DateTime(timezone=True)),
}
_given = (
    sa.func.unnest(
        *(sa.bindparam(f"receipt_{column}", type_=kind) for column, kind in _RECEIPT_ARRAYS.items())
    )
    .table_valued(*_RECEIPT_ARRAYS, with_ordinality="position")
    .render_derived(name="given")
)
# The receipts are written by a CTE of the statement that stages their events: one round trip for
# any number of submissions, and atomic even outside a transaction.
RECEIPTS_WITH_EVENTS = STAGE_MANY.add_cte(
    sa.insert(submission)
    .from_select(
        list(_RECEIPT_ARRAYS),
        sa.select(
            *(
                sa.cast(_given.c[column], JSONB) if column == "location" else _given.c[column]
                for column in _RECEIPT_ARRAYS
            )
        ).order_by(_given.c.position),
    )
    .cte("receipts")
)


@dataclass(frozen=True)
class NewReceipt:
    """A submission's receipt (its columns), and the event announcing it encoded for the outbox."""

    columns: dict[str, Any]
    entry: OutboxEntry


def new_receipt(event: Event, **columns: Any) -> NewReceipt:
    """Call it in the request's context: the event's headers carry its trace."""
    if columns.get("location") is not None:
        columns["location"] = json.dumps(columns["location"])
    return NewReceipt(columns=columns, entry=outbox_entry(event))


async def add_submissions(
    *, uow: UnitOfWork[AsyncConnection], receipts: Sequence[NewReceipt]
) -> None:
    """Write the receipts and stage their events in the outbox, in one statement."""
    await uow.stage_many(
        [receipt.entry for receipt in receipts],
        statement=RECEIPTS_WITH_EVENTS,
        params={
            f"receipt_{column}": [receipt.columns.get(column) for receipt in receipts]
            for column in _RECEIPT_ARRAYS
        },
    )


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status: int | None
    body: dict[str, Any] | None


async def claim_idempotency_key(
    *, session: Database, scope: str, key: str, request_hash: str, retention_hours: int
) -> StoredResponse | None:
    """Claim `key` for this request (None), or return what an earlier request stored under it.

    A concurrent request with the same key waits on the row's unique index until the first one
    commits or rolls back, so two requests can never both go ahead. An expired key is reclaimed.
    """
    expires = sa.func.now() + sa.func.make_interval(0, 0, 0, 0, retention_hours)
    statement = (
        insert(idempotency_key)
        .values(scope=scope, key=key, request_hash=request_hash, expires_at=expires)
        .on_conflict_do_update(
            index_elements=["scope", "key"],
            set_={
                "request_hash": request_hash,
                "response_status": None,
                "response_body": None,
                "created_at": sa.func.now(),
                "expires_at": expires,
            },
            where=idempotency_key.c.expires_at < sa.func.now(),
        )
        .returning(idempotency_key.c.key)
    )
    if (await session.execute(statement)).first() is not None:
        return None
    row = (
        await session.execute(
            sa.select(
                idempotency_key.c.request_hash,
                idempotency_key.c.response_status,
                idempotency_key.c.response_body,
            ).where(idempotency_key.c.scope == scope, idempotency_key.c.key == key)
        )
    ).one()
    return StoredResponse(row.request_hash, row.response_status, row.response_body)


async def find_idempotent_response(
    *, session: Database, scope: str, key: str
) -> StoredResponse | None:
    """What a completed, unexpired request stored under `key`, if any (no lock taken)."""
    row = (
        await session.execute(
            sa.select(
                idempotency_key.c.request_hash,
                idempotency_key.c.response_status,
                idempotency_key.c.response_body,
            ).where(
                idempotency_key.c.scope == scope,
                idempotency_key.c.key == key,
                idempotency_key.c.expires_at >= sa.func.now(),
                idempotency_key.c.response_body.is_not(None),
            )
        )
    ).first()
    return StoredResponse(row.request_hash, row.response_status, row.response_body) if row else None


async def store_idempotent_response(
    *, session: Database, scope: str, key: str, status: int, body: dict[str, Any]
) -> None:
    await session.execute(
        sa.update(idempotency_key)
        .where(idempotency_key.c.scope == scope, idempotency_key.c.key == key)
        .values(response_status=status, response_body=body)
    )


async def delete_expired_idempotency_keys(
    *, session: AsyncSession, before: datetime, limit: int
) -> int:
    """Delete up to `limit` keys that expired before `before`; rows another instance (or a
    request reclaiming the key) holds are skipped, so concurrent purges never wait or collide."""
    expired = (
        sa.select(idempotency_key.c.scope, idempotency_key.c.key)
        .where(idempotency_key.c.expires_at < before)
        .order_by(idempotency_key.c.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("expired")
    )
    result = await session.execute(
        sa.delete(idempotency_key)
        .where(
            idempotency_key.c.scope == expired.c.scope,
            idempotency_key.c.key == expired.c.key,
        )
        .returning(idempotency_key.c.key)
    )
    return len(result.all())


async def submission_for_token(
    *, session: AsyncSession, reference: str, token_hash: str
) -> Any | None:
    """The submission `reference`, if its receipt's token has this hash; else None, the same
    whether the reference or the token is wrong."""
    return (
        await session.execute(
            sa.select(submission).where(
                submission.c.reference == reference,
                submission.c.status_token_hash == token_hash,
            )
        )
    ).first()


async def reference_for_event(*, session: AsyncSession, event_id: uuid.UUID) -> str | None:
    """The reference of the Open311 request whose receipt carries this event id (its token)."""
    reference = await session.scalar(
        sa.select(submission.c.reference).where(
            submission.c.event_id == event_id, submission.c.submitted_via == "open311"
        )
    )
    return str(reference) if reference is not None else None


async def list_submissions(
    *,
    session: AsyncSession,
    public_services: Sequence[str],
    references: list[str] | None = None,
    service_code: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[Any]:
    """Open311 requests of the `public_services` only: the others are private."""
    query = sa.select(submission).where(
        submission.c.submitted_via == "open311",
        submission.c.service_code.in_(public_services),
    )
    if references:
        query = query.where(submission.c.reference.in_(references))
    if service_code:
        query = query.where(submission.c.service_code == service_code)
    if status:
        query = query.where(submission.c.status == status)
    if start:
        query = query.where(submission.c.received_at >= start)
    if end:
        query = query.where(submission.c.received_at <= end)
    query = query.order_by(submission.c.received_at.desc()).limit(limit)
    return list((await session.execute(query)).all())


async def record_status(
    *,
    session: AsyncSession,
    event_id: uuid.UUID,
    reference: str,
    status: str,
    case_status: str,
    notes: str,
    at: datetime,
) -> bool:
    """Apply a case status to its submission and add it to the updates feed.

    False when the reference is not a submission of ours, or the change is older than the last
    one applied (an older update changes nothing, as FixMyStreet does).
    """
    updated = await session.execute(
        sa.update(submission)
        .where(submission.c.reference == reference, submission.c.updated_at <= at)
        .values(status=status, case_status=case_status, status_notes=notes, updated_at=at)
        .returning(submission.c.reference)
    )
    if updated.first() is None:
        return False
    await session.execute(
        insert(submission_update)
        .values(
            event_id=event_id,
            reference=reference,
            status=status,
            external_status_code=case_status,
            description=notes,
            updated_at=at,
        )
        .on_conflict_do_nothing()
    )
    return True


async def forget_submissions(*, session: AsyncSession, references: Sequence[str]) -> int:
    """Forget what the submitters of `references` said and where: the description, the place
    and the photo's link. The reference, form, dates and public status stay. Returns how many."""
    result = await session.execute(
        sa.update(submission)
        .where(
            submission.c.reference == sa.any_(sa.bindparam("forgotten", type_=ARRAY(sa.Text))),
            sa.or_(
                submission.c.description.is_not(None),
                submission.c.location.is_not(None),
                submission.c.media_url.is_not(None),
            ),
        )
        .values(description=None, location=None, media_url=None)
        .returning(submission.c.reference),
        {"forgotten": list(references)},
    )
    return len(result.all())


async def list_updates(
    *,
    session: AsyncSession,
    public_services: Sequence[str],
    start: datetime | None,
    end: datetime | None,
    limit: int = 1000,
) -> list[Any]:
    """Status changes of the Open311 requests of the `public_services` only."""
    query = (
        sa.select(submission_update)
        .join(submission, submission.c.reference == submission_update.c.reference)
        .where(
            submission.c.submitted_via == "open311",
            submission.c.service_code.in_(public_services),
        )
    )
    if start:
        query = query.where(submission_update.c.updated_at >= start)
    if end:
        query = query.where(submission_update.c.updated_at <= end)
    return list(
        (await session.execute(query.order_by(submission_update.c.updated_at).limit(limit))).all()
    )


# API clients


@dataclass(frozen=True)
class StoredApiClient:
    id: uuid.UUID
    replaced: bool  # an existing client of that name was given the new key, secret and scopes


async def add_api_client(
    *,
    session: AsyncSession,
    name: str,
    scopes: list[str],
    key_hash: str,
    signing_secret: str,
    replace: bool = False,
) -> StoredApiClient | None:
    """The client stored; None when the name is taken and `replace` is not asked for.

    One statement either way, so two operators creating the same name at once cannot both win.
    """
    statement = insert(api_client).values(
        id=uuid.uuid4(), name=name, scopes=scopes, key_hash=key_hash, signing_secret=signing_secret
    )
    if replace:
        statement = statement.on_conflict_do_update(
            index_elements=[api_client.c.name],
            set_={
                "scopes": statement.excluded.scopes,
                "key_hash": statement.excluded.key_hash,
                "signing_secret": statement.excluded.signing_secret,
                "rotated_at": sa.func.now(),
                "revoked_at": None,
            },
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[api_client.c.name])
    row = (
        await session.execute(statement.returning(api_client.c.id, api_client.c.rotated_at))
    ).first()
    return None if row is None else StoredApiClient(row.id, replaced=row.rotated_at is not None)


async def find_api_client_by_key_hash(*, session: AsyncSession, key_hash: str) -> Any | None:
    return (
        await session.execute(
            sa.select(api_client).where(
                api_client.c.key_hash == key_hash, api_client.c.revoked_at.is_(None)
            )
        )
    ).first()


async def list_api_clients(*, session: AsyncSession) -> list[Any]:
    return list((await session.execute(sa.select(api_client).order_by(api_client.c.name))).all())


async def rotate_api_client(
    *, session: AsyncSession, name: str, key_hash: str, signing_secret: str
) -> bool:
    result = await session.execute(
        sa.update(api_client)
        .where(api_client.c.name == name, api_client.c.revoked_at.is_(None))
        .values(key_hash=key_hash, signing_secret=signing_secret, rotated_at=sa.func.now())
        .returning(api_client.c.id)
    )
    return result.first() is not None


async def revoke_api_client(*, session: AsyncSession, name: str) -> bool:
    result = await session.execute(
        sa.update(api_client)
        .where(api_client.c.name == name, api_client.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
        .returning(api_client.c.id)
    )
    return result.first() is not None


async def record_backoffice_event(
    *,
    session: AsyncSession,
    event_id: uuid.UUID,
    system: str,
    api_client_id: uuid.UUID,
    event_type: str,
) -> bool:
    """True the first time this event id is seen; False for a replay."""
    result = await session.execute(
        insert(backoffice_receipt)
        .values(
            event_id=event_id, system=system, api_client_id=api_client_id, event_type=event_type
        )
        .on_conflict_do_nothing()
        .returning(backoffice_receipt.c.event_id)
    )
    return result.first() is not None
