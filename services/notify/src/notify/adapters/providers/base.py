"""The one typed interface every delivery provider implements (SMTP, GOV.UK Notify, web push).

A provider either takes a message (`send` returns a receipt) or says why not, in one of three
ways that decide what happens next: `PermanentFailure` (this channel cannot reach the resident:
fall back to the next), `TemporaryFailure` (the provider did not take it: retry later, perhaps on
another provider) and `OutcomeUnknown` (it may have taken it: look it up before any resend).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

from notify.domain.templates import Channel

ProviderName = Literal["govuk-notify", "smtp", "push"]


@dataclass(frozen=True)
class OutgoingMessage:
    reference: str  # our notification id: no personal data, and how we find it again
    channel: Channel
    recipient: str | dict[str, Any]  # an email address, an E.164 number, or a push subscription
    body: str
    subject: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class ProviderReceipt:
    provider_reference: str | None
    status: str | None = None  # the provider's own status, when it says


class ProviderError(Exception):
    pass


class PermanentFailure(ProviderError):
    """The recipient cannot be reached this way (invalid number, bounced address, expired push)."""


class TemporaryFailure(ProviderError):
    """The provider did not take the message this time (down, rate-limited): try again later."""


class OutcomeUnknown(ProviderError):
    """The provider may have taken the message (e.g. a timeout after sending the request)."""


class DeliveryProvider(ABC):
    name: ProviderName
    channels: frozenset[Channel]
    # Whether `find` can tell if a message with our reference was taken (Notify can; SMTP cannot).
    supports_lookup: bool = False

    @abstractmethod
    async def send(self, message: OutgoingMessage) -> ProviderReceipt: ...

    def span_name(self, channel: Channel) -> str:
        """The name of the trace span of a hand-over (`<system> <operation>`)."""
        return f"{self.name} send {channel}"

    async def find(self, reference: str) -> ProviderReceipt | None:
        """The message the provider holds under our reference, or None if it never took it."""
        raise NotImplementedError(f"{self.name} cannot look messages up")

    async def status(self, provider_reference: str) -> str | None:
        """The provider's current status of a message it took (for reconciliation)."""
        return None

    async def close(self) -> None:
        return None
