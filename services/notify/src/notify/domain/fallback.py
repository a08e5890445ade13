"""Where a message goes when a channel cannot reach the resident: their next channel, if any."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from notify.domain.preferences import Preferences, QuietHours, next_channel, not_before
from notify.domain.templates import Channel


@dataclass(frozen=True)
class Fallback:
    tried_channels: list[str]
    # None: no channel left, the message has failed for good.
    channel: Channel | None = None
    not_before: datetime | None = None


def fall_back(
    prefs: Preferences | None,
    *,
    tried_channels: Sequence[str],
    channel: str,
    urgent: bool,
    now: datetime,
    quiet_hours: QuietHours | None,
) -> Fallback:
    """After `channel` failed for good: the resident's next untried channel, held for the quiet
    hours like any other message; none for an erased or unknown resident."""
    tried = [*tried_channels, channel]
    following = next_channel(prefs, tried) if prefs is not None and not prefs.erased else None
    if following is None:
        return Fallback(tried_channels=tried)
    return Fallback(
        tried_channels=tried,
        channel=following,
        not_before=not_before(following, now, urgent=urgent, quiet_hours=quiet_hours),
    )
