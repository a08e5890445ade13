"""One-time links that let a resident confirm contact details someone gave without proof.

A form is not proof of who sent it: anyone can type a resident's email address. So details a
submission gives for an existing resident are not applied; they are held, and the resident is
sent a link, at the details already on record, that applies them. The link carries a random
token (256 bits); only its SHA-256 is stored, so the table does not hold working links.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

TOKEN_BYTES = 32


@dataclass(frozen=True)
class ConfirmationLink:
    token: str
    url: str
    token_sha256: str
    expires_at: datetime


@dataclass(frozen=True)
class ConfirmationLinks:
    """Makes links: `url_template` holds `{token}` (the page where the resident confirms)."""

    url_template: str
    lifetime: timedelta

    def new(self, *, now: datetime) -> ConfirmationLink:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        return ConfirmationLink(
            token=token,
            url=self.url_template.format(token=token),
            token_sha256=token_sha256(token),
            expires_at=now + self.lifetime,
        )


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
