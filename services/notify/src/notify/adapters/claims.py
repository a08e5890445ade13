"""Claiming due notifications for hand-over, and recording the hand-overs of a batch.

A claim, in one transaction: due rows (`pending` whose time has come, or `sending` whose lease
ran out) become `sending` with a lease, one more attempt, and the provider they will go to. Rows
are locked with `SKIP LOCKED`, so any number of instances share the work; for a rate-limited
provider only as many as its bucket, shared by every instance, gives tokens for
(adapters/providers/rate_limit.py), the rest let go at commit untouched. The statements are built
once, with the time, the lease and the batch size as parameters: building and cache-keying one
per pass was a good part of each claim's cost.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.providers.rate_limit import RateLimit, take_tokens
from notify.adapters.tables import Notification

_n = Notification.__table__


@dataclass(frozen=True)
class Claimed:
    row: Mapping[str, Any]
    recovering: bool  # it was `sending` before: the provider may already have it


@dataclass(frozen=True)
class HandedOver:
    """A hand-over to record: the row as claimed, what the provider gave back."""

    notification_id: uuid.UUID
    attempts: int
    provider_reference: str
    template_version: int | None


@dataclass(frozen=True)
class _Statements:
    candidates: dict[str, Any]  # due messages for a rate-limited provider, to lock
    mark_these: Any  # mark the locked ones granted a token `sending`
    mark_unlimited: Any  # lock and mark due messages for the other providers, in one


class Claims:
    """The claims of one instance, given its channels' first providers and the rate limits."""

    def __init__(
        self, *, primaries: Mapping[str, str], rate_limits: Mapping[str, RateLimit]
    ) -> None:
        self._primaries = dict(primaries)
        self._rate_limits = dict(rate_limits)
        self._statements = _build(self._primaries, sorted(self._rate_limits))

    def primary(self, channel: str) -> str | None:
        return self._primaries.get(channel)

    async def take_token(self, session: AsyncSession, *, provider: str) -> bool:
        """For a message claimed in the transaction that inserts it: a token from `provider`'s
        bucket, if it has one (always granted when it has none)."""
        limit = self._rate_limits.get(provider)
        return limit is None or bool(
            await take_tokens(session=session, provider=provider, rate_limit=limit, wanted=1)
        )

    async def claim(
        self, session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[Claimed]:
        """Claim up to `limit` due messages, for a rate-limited provider only as many as its
        bucket gave tokens for: the rest stay `pending`, untouched, for a later pass."""
        claim = self._statements
        parameters = {"claim_now": now, "claim_lease_until": lease_until}
        rows: list[Any] = []
        for name in sorted(self._rate_limits):  # one order of bucket locks for every instance
            locked = (
                await session.execute(claim.candidates[name], {**parameters, "claim_wanted": limit})
            ).all()
            if not locked:
                continue  # nothing due for it: its bucket is not touched
            granted = await take_tokens(
                session=session,
                provider=name,
                rate_limit=self._rate_limits[name],
                wanted=len(locked),
            )
            previous = {row.id: row.previous for row in locked[:granted]}
            # The rest are let go at commit, still due, as they were.
            if previous:
                found = (
                    (
                        await session.execute(
                            claim.mark_these, {**parameters, "claim_ids": list(previous)}
                        )
                    )
                    .mappings()
                    .all()
                )
                rows.extend({**row, "previous": previous[row["id"]]} for row in found)
            limit -= len(previous)
        if limit > 0:
            unlimited = await session.execute(
                claim.mark_unlimited, {**parameters, "claim_wanted": limit}
            )
            rows.extend(unlimited.mappings().all())
        return [Claimed(row=dict(row), recovering=row["previous"] == "sending") for row in rows]


def _build(primaries: Mapping[str, str], limited: list[str]) -> _Statements:
    now = sa.bindparam("claim_now", type_=sa.DateTime(timezone=True))
    provider = sa.func.coalesce(
        _n.c.provider,
        sa.case(
            *((_n.c.channel == ch, sa.literal(name)) for ch, name in primaries.items()),
            else_=sa.null(),
        )
        if primaries
        else sa.null(),
    )
    due = sa.or_(
        sa.and_(_n.c.status == "pending", _n.c.not_before <= now),
        sa.and_(_n.c.status == "sending", _n.c.lease_until <= now),
    )
    unlimited = sa.or_(provider.is_(None), provider.not_in(limited)) if limited else sa.true()
    mark_sending = sa.update(_n).values(
        status="sending",
        lease_until=sa.bindparam("claim_lease_until", type_=sa.DateTime(timezone=True)),
        attempts=_n.c.attempts + 1,
        provider=provider,
    )

    def candidates(of_group: Any) -> Any:
        return (
            sa.select(_n.c.id, _n.c.status.label("previous"))
            .where(due, of_group)
            .order_by(_n.c.not_before)
            .limit(sa.bindparam("claim_wanted", type_=sa.Integer))
            .with_for_update(skip_locked=True)
        )

    due_rows = candidates(unlimited).cte("due")
    return _Statements(
        candidates={name: candidates(provider == name) for name in limited},
        mark_these=mark_sending.where(
            _n.c.id.in_(sa.bindparam("claim_ids", expanding=True))
        ).returning(*_n.c),
        mark_unlimited=mark_sending.where(_n.c.id == due_rows.c.id).returning(
            *_n.c, due_rows.c.previous
        ),
    )


_handed = (
    sa.func.unnest(
        sa.cast(sa.bindparam("handed_ids"), ARRAY(sa.Uuid)),
        sa.cast(sa.bindparam("handed_attempts"), ARRAY(sa.Integer)),
        sa.cast(sa.bindparam("handed_references"), ARRAY(sa.String)),
        sa.cast(sa.bindparam("handed_versions"), ARRAY(sa.Integer)),
    )
    .table_valued(
        sa.column("id", sa.Uuid),
        sa.column("attempts", sa.Integer),
        sa.column("reference", sa.String),
        sa.column("version", sa.Integer),
        name="handed",
    )
    .render_derived()
)
# Built once, as a batch's hand-overs are recorded by one statement however many there are.
_RECORD_SENT = (
    sa.update(_n)
    .where(_n.c.id == _handed.c.id, _n.c.attempts == _handed.c.attempts, _n.c.status == "sending")
    .values(
        status="sent",
        sent_at=sa.bindparam("handed_now", type_=sa.DateTime(timezone=True)),
        lease_until=None,
        provider_reference=_handed.c.reference,
        template_version=sa.func.coalesce(_handed.c.version, _n.c.template_version),
    )
    .returning(*_n.c)
)


async def record_handed_over(
    *, session: AsyncSession, handed: Sequence[HandedOver], now: datetime
) -> list[Any]:
    """Mark `sent` the rows still ours — still `sending` under the claim that handed them over
    (the attempts match; PostgreSQL re-checks that on each row once it holds its lock) — and
    return them as recorded."""
    result = await session.execute(
        _RECORD_SENT,
        {
            "handed_now": now,
            "handed_ids": [h.notification_id for h in handed],
            "handed_attempts": [h.attempts for h in handed],
            "handed_references": [h.provider_reference for h in handed],
            "handed_versions": [h.template_version for h in handed],
        },
    )
    return list(result.mappings().all())
