"""GOV.UK Pay's webhook signature: hex HMAC-SHA256 of the raw body with the signing secret."""

from __future__ import annotations

import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, signature: str | None, secret: str) -> bool:
    """Constant-time comparison; an absent or malformed signature never matches."""
    if not signature:
        return False
    expected = sign(body, secret)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())
