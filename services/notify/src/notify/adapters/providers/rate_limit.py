"""A provider's rate limit, shared by every instance of the service: a token bucket per provider
kept in notify's PostgreSQL (`notify_rate_limit`: one row per provider, `tokens` and
`updated_at`).

Tokens are taken by one `UPDATE … RETURNING` that computes the refill since `updated_at` from the
database's clock (`clock_timestamp()`, one clock for all instances) and takes what it can; the row
lock it holds until the caller's transaction ends means concurrent instances queue on it rather
than spend the same tokens twice. Every term of the update reads only the row itself, so an
update that waited for another's lock recomputes everything from the row as the other left it.

The bucket holds at most `capacity` tokens (a sixtieth of the window's limit: with the default
minute, a second's worth) and refills at `(limit - capacity) / window`: whatever the timing, no
window of that length ever grants more than `limit` (at most `capacity` saved up, plus the refill).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.tables import ProviderRateLimit

_b = ProviderRateLimit.__table__


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hand-overs to one provider in any `window_s` seconds, across instances."""

    limit: int
    window_s: float = 60.0

    def __post_init__(self) -> None:
        if self.limit < 2 or self.window_s <= 0:
            raise ValueError("a rate limit needs at least 2 messages in a positive window")

    @property
    def capacity(self) -> int:
        return max(1, self.limit // 60)

    @property
    def refill_per_s(self) -> float:
        return (self.limit - self.capacity) / self.window_s


async def take_tokens(
    *, session: AsyncSession, provider: str, rate_limit: RateLimit, wanted: int
) -> int:
    """Take up to `wanted` tokens from the provider's bucket; returns how many were taken. Ask
    only for messages already locked for claiming, and claim them in the same transaction: the
    tokens and the claims then commit, or roll back, together."""
    if wanted <= 0:
        return 0
    now = sa.func.clock_timestamp()
    elapsed = sa.func.greatest(0.0, sa.extract("epoch", now - _b.c.updated_at))
    refilled = sa.func.least(
        float(rate_limit.capacity), _b.c.tokens + elapsed * rate_limit.refill_per_s
    )
    granted = sa.func.least(sa.func.floor(refilled), wanted)
    statement = (
        sa.update(_b)
        .where(_b.c.provider == provider)
        .values(
            tokens=refilled - granted,
            updated_at=sa.func.greatest(_b.c.updated_at, now),
            last_granted=sa.cast(granted, sa.Integer),
        )
        .returning(_b.c.last_granted)
    )
    taken = (await session.execute(statement)).scalar_one_or_none()
    if taken is None:
        # The provider's first use: a full bucket, then take from it as above.
        await session.execute(
            insert(_b)
            .values(provider=provider, tokens=float(rate_limit.capacity), updated_at=now)
            .on_conflict_do_nothing(index_elements=[_b.c.provider])
        )
        taken = (await session.execute(statement)).scalar_one()
    return int(taken)
