"""How a resident wants to hear from us: channel order, what they opted out of, quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from notify.domain.templates import CHANNELS, Channel

LONDON = ZoneInfo("Europe/London")
QUIET_START, QUIET_END = time(21, 0), time(8, 0)
QUIET_CHANNELS: frozenset[Channel] = frozenset({"sms", "push"})

Category = Literal["case_updates", "disruption_alerts", "planning_alerts"]


@dataclass(frozen=True)
class Preferences:
    """The projection of one resident (from `residents.v1`, or changed through our API)."""

    preferred_channel: Channel
    email: str | None = None
    phone: str | None = None
    push_subscription: dict[str, object] | None = None
    fallback_order: tuple[Channel, ...] = ()
    case_updates: bool = True
    disruption_alerts: bool = True
    planning_alerts: bool = False
    erased: bool = False
    first_name: str | None = None

    def reachable_by(self, channel: Channel) -> bool:
        if channel == "email":
            return bool(self.email)
        if channel == "sms":
            return bool(self.phone)
        return bool(self.push_subscription)

    def channel_order(self) -> list[Channel]:
        """The preferred channel, then the resident's fallback order, then the rest; only the
        channels we hold contact details for."""
        order: list[Channel] = [self.preferred_channel, *self.fallback_order, *CHANNELS]
        seen: list[Channel] = []
        for channel in order:
            if channel not in seen and self.reachable_by(channel):
                seen.append(channel)
        return seen

    def wants(self, category: Category) -> bool:
        if self.erased:
            return False
        return bool(getattr(self, category))


def next_channel(preferences: Preferences, tried: list[str]) -> Channel | None:
    for channel in preferences.channel_order():
        if channel not in tried:
            return channel
    return None


def not_before(channel: Channel, now: datetime, *, urgent: bool = False) -> datetime:
    """When a message on `channel` may go: SMS and push wait out 21:00-08:00 London time."""
    if urgent or channel not in QUIET_CHANNELS:
        return now
    local = now.astimezone(LONDON)
    if QUIET_END <= local.time() < QUIET_START:
        return now
    morning = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(morning, QUIET_END, tzinfo=LONDON).astimezone(now.tzinfo)


def first_name(name: str | None) -> str:
    if not name or not name.strip():
        return "there"
    return name.strip().split()[0]
