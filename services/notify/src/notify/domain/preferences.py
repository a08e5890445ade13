"""How a resident wants to hear from us: channel order, what they opted out of, quiet hours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from notify.domain.templates import CHANNELS, Channel

LONDON = ZoneInfo("Europe/London")
QUIET_CHANNELS: frozenset[Channel] = frozenset({"sms", "push"})

# "account": messages about the resident's own record (confirming new contact details), which
# no opt-out silences.
Category = Literal["case_updates", "disruption_alerts", "planning_alerts", "account"]


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

    @classmethod
    def of_destination(cls, destination: Mapping[str, Any]) -> Preferences:
        """A message's own address (a notification's `destination`): by email if it has one."""
        email, phone = destination.get("email"), destination.get("phone")
        return cls(
            preferred_channel="email" if email else "sms",
            email=email,
            phone=phone,
            first_name=destination.get("name"),
        )

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
        if category == "account":
            return True
        return bool(getattr(self, category))


def next_channel(preferences: Preferences, tried: list[str]) -> Channel | None:
    for channel in preferences.channel_order():
        if channel not in tried:
            return channel
    return None


@dataclass(frozen=True)
class QuietHours:
    """When SMS and push wait (London time): overnight when `start` is after `end`."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """`"HH:MM-HH:MM"` (e.g. `"21:00-08:00"`); the empty string: no quiet hours."""
        if not text.strip():
            return None
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError as exc:
            raise ValueError(f'quiet hours are "HH:MM-HH:MM" or empty, not {text!r}') from exc
        if start == end:
            raise ValueError("quiet hours must start and end at different times")
        return cls(start=start, end=end)

    def until(self, now: datetime) -> datetime | None:
        """When the quiet hours `now` falls in end; None when it falls in none."""
        local = now.astimezone(LONDON)
        moment = local.time()
        if self.start < self.end:
            quiet, ends_on = self.start <= moment < self.end, local.date()
        else:  # overnight: they end today if it is still early, else tomorrow
            quiet = moment >= self.start or moment < self.end
            ends_on = local.date() if moment < self.end else local.date() + timedelta(days=1)
        if not quiet:
            return None
        return datetime.combine(ends_on, self.end, tzinfo=LONDON).astimezone(now.tzinfo)


DEFAULT_QUIET_HOURS = QuietHours(start=time(21, 0), end=time(8, 0))


def not_before(
    channel: Channel,
    now: datetime,
    *,
    urgent: bool = False,
    quiet_hours: QuietHours | None = DEFAULT_QUIET_HOURS,
) -> datetime:
    """When a message on `channel` may go: SMS and push wait out the quiet hours (by default
    21:00-08:00 London time); email and urgent messages go at once."""
    if urgent or quiet_hours is None or channel not in QUIET_CHANNELS:
        return now
    return quiet_hours.until(now) or now


def first_name(name: str | None) -> str:
    if not name or not name.strip():
        return "there"
    return name.strip().split()[0]
