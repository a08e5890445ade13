"""Proof that a resident may see a case: a signed, expiring link token, or details they gave.

Token: ``<expiry unix seconds>.<hex HMAC-SHA256 of "<reference>.<expiry>" with the secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
# ASCII only: `str.isdigit` takes "²" and `hmac.compare_digest` raises on non-ASCII text; a
# crafted token must be refused, never fail the request.
_TOKEN = re.compile(r"([0-9]{1,12})\.([0-9a-f]{64})")


def postcode_of(text: str | None) -> str | None:
    """The UK postcode in an address line, normalised (upper case, no spaces)."""
    if not text:
        return None
    found = _POSTCODE.findall(text)
    if not found:
        return None
    outward, inward = found[-1]
    return f"{outward}{inward}".upper()


def normalise_postcode(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def _signature(secret: str, reference: str, expires: int) -> str:
    message = f"{reference}.{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_status_token(*, secret: str, reference: str, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    return f"{expires}.{_signature(secret, reference, expires)}"


def status_token_valid(*, secret: str, reference: str, token: str, now: datetime) -> bool:
    matched = _TOKEN.fullmatch(token)
    if matched is None:
        return False
    expires, signature = int(matched[1]), matched[2]
    expected = _signature(secret, reference, expires)
    return hmac.compare_digest(expected, signature) and now.timestamp() < expires
