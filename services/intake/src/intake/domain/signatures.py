"""Back-office request signing, the Stripe scheme: `t=<unix time>,v1=<hex HMAC-SHA256>` over
`"<t>.<raw body>"`, refused outside a tolerance window; several `v1` values allowed during rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

SIGNATURE_HEADER = "Intake-Signature"
# ASCII only: `str.isdigit` takes "²" and `hmac.compare_digest` raises on non-ASCII text, and a
# crafted header must be refused (401), never fail the request (500).
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    payload = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(
    header: str | None, *, secret: str, body: bytes, now: int, tolerance_s: int
) -> str | None:
    """None when the signature is good; otherwise why it is not (for the problem's detail)."""
    if not header:
        return "missing signature"
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and _TIMESTAMP.fullmatch(value):
            timestamp = int(value)
        elif name == "v1" and _HEX_SHA256.fullmatch(value):
            candidates.append(value)
    if timestamp is None or not candidates:
        return "malformed signature"
    if abs(now - timestamp) > tolerance_s:
        return "timestamp outside the tolerance window"
    expected = sign(secret, timestamp, body)
    if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        return None
    return "signature does not match"


def new_api_key() -> str:
    return "ik_" + secrets.token_urlsafe(32)


def new_signing_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # The key is 256 random bits: a plain SHA-256 cannot be brute-forced, and stays fast to look up.
    return hashlib.sha256(key.encode()).hexdigest()
