"""How many messages one recipient (an email address, a phone number) may be sent in an hour.

A form anyone can submit names the address a message goes to: without a limit per recipient, a
script could have the council send SMS to premium numbers at its cost (SMS pumping), or flood
someone's inbox in the council's name. A resident on a busy day hears of a broadcast and a few
case updates; more than the limit in an hour is not a resident being kept informed.

A message that confirms a change of contact details (`contact_change`) is counted apart, under a
limit of its own: it still goes out when case updates have used up the recipient's hour (the
resident must be able to confirm, or refuse, a change of their details), yet it cannot be sent
without limit either, since anyone can ask for one by submitting a form with an address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# The purpose of the message asking a resident to confirm new contact details.
CONTACT_CHANGE = "contact_change"
# The channels that reach an address a form can name; push goes to a subscription the
# resident's own browser made.
LIMITED_CHANNELS = frozenset({"email", "sms"})


@dataclass(frozen=True)
class RecipientLimits:
    """Messages per recipient in any hour; 0: no limit."""

    per_hour: int = 10
    contact_change_per_hour: int = 3

    def of(self, purpose: str) -> int:
        return self.contact_change_per_hour if purpose == CONTACT_CHANGE else self.per_hour

    def applies(self, *, channel: str, purpose: str) -> bool:
        return channel in LIMITED_CHANNELS and self.of(purpose) > 0


def recipient_key(*, channel: str, recipient: str, purpose: str) -> str:
    """The recipient as counted: a SHA-256, so that the counts hold no address; email addresses
    in any case are one recipient (mailboxes take either)."""
    bucket = CONTACT_CHANGE if purpose == CONTACT_CHANGE else "messages"
    address = recipient.strip().lower() if channel == "email" else recipient.strip()
    return hashlib.sha256(f"{bucket}:{channel}:{address}".encode()).hexdigest()
