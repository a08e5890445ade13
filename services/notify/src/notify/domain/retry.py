"""When a message a provider could not take is tried again, and by which provider."""

from __future__ import annotations

from collections.abc import Sequence


def gives_up(attempts: int, *, max_attempts: int) -> bool:
    """A temporary failure on the last allowed attempt ends the message (a technical failure)."""
    return attempts >= max_attempts


def backoff_s(attempts: int, *, base_s: float) -> float:
    """Exponential: `base_s` after the first attempt, doubling with each one after it."""
    return base_s * 2 ** (attempts - 1)


def lookup_after_s(attempts: int, *, base_s: float, lease_s: float) -> float:
    """An outcome the provider left unknown is looked up (never resent) when this runs out: the
    backoff, but never later than an ordinary lease would have."""
    return min(lease_s, backoff_s(attempts, base_s=base_s))


def failover(chain: Sequence[str], current: str | None) -> str | None:
    """The provider after `current` in its channel's chain, round again to the first; None when
    `current` is not in the chain (the claim then picks the channel's first)."""
    if current not in chain:
        return None
    return chain[(chain.index(current) + 1) % len(chain)]
