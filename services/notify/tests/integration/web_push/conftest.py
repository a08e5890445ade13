"""A push service on loopback speaking the Web Push protocol, for notify's web push adapter.

It takes what pywebpush sends as a browser vendor's push service would (RFC 8030 `POST` to the
subscription's endpoint, a `TTL` header, an `aes128gcm` body per RFC 8188/8291, and a VAPID
`Authorization: vapid t=<JWT>, k=<public key>` per RFC 8292), checks the VAPID token's ES256
signature and claims (refusing a bad one with 403, as push services do), keeps what it received,
and answers with the status set for the subscription: 201 (accepted), or 404/410 (the
subscription has expired or been unsubscribed). A test decrypts the content with the
subscription's private key, as the browser would.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
import pytest
from civic_simulators.govuk_notify.server import free_port
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_key_pair() -> tuple[str, str]:
    """A VAPID private key as notify's setting takes it (raw, base64url) and its public key."""
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(raw), b64url_encode(public)


class VapidRefused(ValueError):
    pass


def verify_vapid(authorization: str, *, audience: str) -> dict[str, Any]:
    """The claims of a valid RFC 8292 `vapid t=..., k=...` header; VapidRefused otherwise."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise VapidRefused(f"scheme {scheme!r}")
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    token, public = values.get("t", ""), values.get("k", "")
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    if header.get("alg") != "ES256":
        raise VapidRefused(f"alg {header.get('alg')!r}")
    signature = b64url_decode(signature_b64)
    if len(signature) != 64:
        raise VapidRefused("an ES256 signature is 64 bytes (r || s)")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(public))
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise VapidRefused("bad signature") from exc
    claims: dict[str, Any] = json.loads(b64url_decode(claims_b64))
    if claims.get("aud") != audience:
        raise VapidRefused(f"aud {claims.get('aud')!r} is not {audience!r}")
    if not time.time() < int(claims.get("exp", 0)) <= time.time() + 24 * 3600:
        raise VapidRefused("exp must be in the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise VapidRefused("sub must be a mailto: or https: contact")
    claims["k"] = public
    return claims


@dataclass
class Subscriber:
    """A browser's side of one push subscription: the keys to decrypt what it is sent."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def subscription(self) -> dict[str, Any]:
        """The PushSubscription JSON a browser gives the resident pages."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": b64url_encode(public), "auth": b64url_encode(self.auth_secret)},
        }

    def decrypt(self, body: bytes) -> dict[str, Any]:
        clear = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        content: dict[str, Any] = json.loads(clear)
        return content


@dataclass(frozen=True)
class PushReceived:
    subscription_id: str
    headers: dict[str, str]
    body: bytes
    vapid_claims: dict[str, Any]
    status: int


@dataclass
class PushServiceFake:
    port: int = field(default_factory=free_port)
    received: list[PushReceived] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def subscribe(self, *, answer: int = 201) -> Subscriber:
        subscription_id = uuid.uuid4().hex
        self.answers[subscription_id] = answer
        return Subscriber(
            endpoint=f"{self.origin}/push/{subscription_id}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
        )

    def to(self, subscriber: Subscriber) -> list[PushReceived]:
        subscription_id = subscriber.endpoint.rsplit("/", 1)[1]
        return [r for r in self.received if r.subscription_id == subscription_id]

    async def _push(self, request: Request) -> Response:
        subscription_id = request.path_params["subscription_id"]
        if subscription_id not in self.answers:
            return Response(status_code=404)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if "ttl" not in headers or headers.get("content-encoding") != "aes128gcm":
            self.refused.append("needs TTL and Content-Encoding: aes128gcm")
            return Response(status_code=400)
        try:
            claims = verify_vapid(headers.get("authorization", ""), audience=self.origin)
        except (VapidRefused, ValueError) as refused:
            self.refused.append(str(refused))
            return Response(status_code=403)
        status = self.answers[subscription_id]
        self.received.append(
            PushReceived(subscription_id, headers, await request.body(), claims, status)
        )
        if status == 201:
            return Response(
                status_code=201, headers={"Location": f"{self.origin}/m/{uuid.uuid4().hex}"}
            )
        return Response(status_code=status)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/push/{subscription_id}", self._push, methods=["POST"])])


@pytest.fixture
async def push_service(serve: Any) -> AsyncIterator[PushServiceFake]:
    fake = PushServiceFake()
    async with serve(fake.app(), fake.port):
        yield fake


@pytest.fixture
def vapid_keys() -> tuple[str, str]:
    return vapid_key_pair()
