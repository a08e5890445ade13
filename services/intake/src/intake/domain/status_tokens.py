"""The token a submission's receipt carries: the submitter's proof for reading its status.

128 random bits, so that counting through references finds nothing. Only its SHA-256 is stored:
with that much entropy a fast hash is enough, and a copy of the database shows no token.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 16


def new_status_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def status_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
