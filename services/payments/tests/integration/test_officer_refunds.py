"""Officers' refunds: the officer is the token's, and a refund is made once per Idempotency-Key."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from civic_events.payments import PaymentRefunded
from civic_simulators.identity_provider import KeyPair

pytestmark = pytest.mark.integration

TOKEN = {"Authorization": "Bearer dev-officer-token"}


def officer(key: str | None = None) -> dict[str, str]:
    return {**TOKEN, "Idempotency-Key": key or str(uuid.uuid4())}


async def test_a_retried_partial_refund_pays_out_once(flow: Any) -> None:
    service = await flow.start()
    created = await flow.finished(flow.request(amount=5000))
    url = f"/payments/{created.payment_id}/refunds"
    key = str(uuid.uuid4())
    asked = {"amount": 1000, "reason": "one item not collected"}

    first = await service.client.post(url, json=asked, headers=officer(key))
    assert first.status_code == 201, first.text
    # The officer's browser retries after a timeout; a double click sends two at once.
    retried = await service.client.post(url, json=asked, headers=officer(key))
    racing = await asyncio.gather(
        *(service.client.post(url, json=asked, headers=officer(f'"{key}"')) for _ in range(2))
    )
    for again in (retried, *racing):
        assert again.status_code == 201, again.text
        assert again.json()["refund_id"] == first.json()["refund_id"]
        assert again.headers["idempotent-replayed"] == "true"
    assert [r.amount for r in flow.pay.state.ledger.payments[created.payment_id].refunds] == [1000]
    [refunded] = await flow.events_of(PaymentRefunded)
    assert refunded.amount == 1000

    # The same key for another request is refused, and pays nothing.
    for other in ({"amount": 2000, "reason": asked["reason"]}, {"amount": 1000}, {}):
        reused = await service.client.post(url, json=other, headers=officer(key))
        assert reused.status_code == 422, reused.text
        assert reused.headers["content-type"] == "application/problem+json"
    # A new key is a new refund.
    second = await service.client.post(url, json=asked, headers=officer())
    assert second.status_code == 201 and second.json()["refund_id"] != first.json()["refund_id"]
    assert [r.amount for r in flow.pay.state.ledger.payments[created.payment_id].refunds] == [
        1000,
        1000,
    ]


async def test_the_officer_is_the_tokens_never_a_name_in_the_body(flow: Any) -> None:
    service = await flow.start()
    created = await flow.finished(flow.request(amount=3000))
    url = f"/payments/{created.payment_id}/refunds"

    impersonating = await service.client.post(
        url, json={"amount": 100, "officer": "someone-else"}, headers=officer()
    )
    assert impersonating.status_code == 422
    assert [e["field"] for e in impersonating.json()["errors"]] == ["officer"]
    without_key = await service.client.post(url, json={"amount": 100}, headers=TOKEN)
    assert without_key.status_code == 400
    assert without_key.headers["content-type"] == "application/problem+json"
    for bad in ("", "x" * 65, "has space", "é"):
        malformed = await service.client.post(
            url, json={"amount": 100}, headers={**TOKEN, "Idempotency-Key": bad.encode()}
        )
        assert malformed.status_code == 400, bad
    assert flow.pay.state.ledger.payments[created.payment_id].refunds == []

    made = await service.client.post(url, json={"amount": 100}, headers=officer())
    assert made.status_code == 201, made.text
    assert made.json()["requested_by"] == "officer:pat.officer"


async def test_officer_routes_take_the_councils_jwts_and_no_shared_token(flow: Any) -> None:
    identity = KeyPair("ES256", audience="civic-payments")
    service = await flow.start(officers=[], officer_jwt_public_key=identity.public_pem)
    created = await flow.finished(flow.request(amount=2000))
    url = f"/payments/{created.payment_id}/refunds"

    def with_jwt(**claims: Any) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {identity.token(**claims)}",
            "Idempotency-Key": str(uuid.uuid4()),
        }

    refused = {
        "no token": {"Idempotency-Key": "k1"},
        "the old shared token": officer(),
        "for cases": with_jwt(aud="civic-cases"),
        "forged": {
            "Authorization": f"Bearer {KeyPair('ES256', audience='civic-payments').token()}",
            "Idempotency-Key": "k2",
        },
    }
    for case, headers in refused.items():
        answer = await service.client.post(url, json={"amount": 100}, headers=headers)
        assert answer.status_code == 401, case
        assert answer.headers["www-authenticate"] == "Bearer"
        assert (
            await service.client.get(f"/payments/{created.payment_id}", headers=headers)
        ).status_code == 401
    editor = await service.client.post(
        url, json={"amount": 100}, headers=with_jwt(roles=["template-editor"])
    )
    assert editor.status_code == 403
    assert flow.pay.state.ledger.payments[created.payment_id].refunds == []

    made = await service.client.post(
        url, json={"amount": 100}, headers=with_jwt(sub="jo.officer", roles="team_lead")
    )
    assert made.status_code == 201, made.text
    assert made.json()["requested_by"] == "officer:jo.officer"
