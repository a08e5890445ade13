"""The council's identity provider as tests need it: a signing key and the officers' JWTs it
would issue (RS256 or ES256, keys made per run), and the key as a JWK for a JWKS endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER = "https://login.council.example/officers"


class KeyPair:
    """One signing key; `token(**claims)` issues a valid officer's JWT for `audience`."""

    def __init__(
        self, algorithm: str = "RS256", kid: str = "test-key", *, audience: str = "civic-cases"
    ) -> None:
        self.algorithm = algorithm
        self.kid = kid
        self.audience = audience
        self.private: Any = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if algorithm == "RS256"
            else ec.generate_private_key(ec.SECP256R1())
        )

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        key: dict[str, Any] = algorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**key, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def token(self, **overrides: Any) -> str:
        """A JWT with sensible claims; an override of None leaves that claim out."""
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": "jo.officer",
            "aud": self.audience,
            "iss": ISSUER,
            "iat": now,
            "exp": now + timedelta(minutes=10),
            "roles": ["officer"],
            "teams": ["waste"],
        }
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid})
