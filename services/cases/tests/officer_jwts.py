"""Officers' JWTs as the council's identity provider would issue them for cases."""

from __future__ import annotations

from civic_simulators.identity_provider import ISSUER
from civic_simulators.identity_provider import KeyPair as IssuerKey

AUDIENCE = "civic-cases"
__all__ = ["AUDIENCE", "ISSUER", "KeyPair"]


class KeyPair(IssuerKey):
    def __init__(self, algorithm: str = "RS256", kid: str = "test-key") -> None:
        super().__init__(algorithm, kid, audience=AUDIENCE)
