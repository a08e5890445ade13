"""The resident status API shows nothing to someone counting through references: proofs travel in
POST bodies, and attempts are limited per reference (from any number of addresses) and per client
(the address trusted proxies name)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cases.service_layer import status_lookup
from cases_factories import bearer, form_submitted

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def one_fixed_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """The windows cannot roll over between a test's attempts."""
    moment = datetime.now(UTC).replace(minute=30, second=30)
    monkeypatch.setattr(status_lookup, "_now", lambda: moment)


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_a_proof_in_the_query_string_is_refused_and_says_to_post_it(kit: Any) -> None:
    submitted = form_submitted()
    async with kit.running() as (app, client):
        await kit.open_case(app, submitted)
        link = (
            await client.post(
                f"/v1/cases/{submitted.subject}/status-link", headers=bearer("waste-officer")
            )
        ).json()
        assert "?" not in link["path"] and link["path"].endswith(f"#token={link['token']}")
        for query in ({"postcode": "EX1 2AB"}, {"token": link["token"]}, {}):
            refused = await client.get(f"/v1/status/{submitted.subject}", params=query)
            assert refused.status_code == 405
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["allow"] == "POST"
            assert "POST" in refused.json()["detail"] and "history" not in refused.json()
        # A proof in the query string of a POST is not read either.
        ignored = await client.post(
            f"/v1/status/{submitted.subject}", params={"postcode": "EX1 2AB"}, json={}
        )
        assert ignored.status_code == 404
        by_link = await client.post(
            f"/v1/status/{submitted.subject}", json={"token": link["token"]}
        )
        assert by_link.status_code == 200 and by_link.json()["status"] == "received"


async def test_counting_through_references_reveals_nothing_without_proof(kit: Any) -> None:
    submitted = form_submitted()
    number = int(submitted.subject.rsplit("-", 1)[1])
    prefix = submitted.subject.rsplit("-", 1)[0]
    references = [f"{prefix}-{n:06d}" for n in range(max(1, number - 3), number + 4)]
    async with kit.running(status_lookups_per_minute=100) as (app, client):
        await kit.open_case(app, submitted)
        answers = [
            await client.post(f"/v1/status/{reference}", json=proof)
            for reference in references
            for proof in ({}, {"postcode": "ZZ9 9ZZ"}, {"email": "someone@example.org"})
        ]
        assert {answer.status_code for answer in answers} == {404}
        assert len({answer.text for answer in answers}) == 1  # the same bytes for every reference


async def test_a_reference_takes_few_wrong_proofs_however_many_addresses_send_them(
    kit: Any,
) -> None:
    mine, other = form_submitted(), form_submitted()
    async with kit.running(
        trusted_proxies=("127.0.0.1",),
        status_lookups_per_minute=100,
        status_failures_per_reference_per_hour=3,
    ) as (app, client):
        await kit.open_case(app, mine)
        await kit.open_case(app, other)
        url = f"/v1/status/{mine.subject}"
        # The resident checking their own case uses none of the reference's allowance.
        for _ in range(5):
            proven = await client.post(
                url, json={"postcode": "EX1 2AB"}, headers=_from("192.0.2.1")
            )
            assert proven.status_code == 200
        guesses = [
            (
                await client.post(
                    url, json={"postcode": f"EX{n} 9ZZ"}, headers=_from(f"198.51.100.{n}")
                )
            ).status_code
            for n in range(1, 7)
        ]
        assert guesses == [404, 404, 404, 429, 429, 429]
        # Even the right postcode, from a new address: the reference waits out its hour.
        locked = await client.post(url, json={"postcode": "EX1 2AB"}, headers=_from("203.0.113.5"))
        assert locked.status_code == 429
        assert 0 < int(locked.headers["retry-after"]) <= 3600
        # Another case is not held up by it.
        theirs = await client.post(
            f"/v1/status/{other.subject}", json={"postcode": "EX1 2AB"}, headers=_from("192.0.2.2")
        )
        assert theirs.status_code == 200


async def test_each_client_behind_a_trusted_proxy_has_its_own_allowance(kit: Any) -> None:
    async with kit.running(trusted_proxies=("127.0.0.1",), status_lookups_per_minute=3) as (
        _,
        client,
    ):

        async def attempt(n: int, address: str) -> int:
            response = await client.post(
                f"/v1/status/WST-2026-{n:06d}", json={"postcode": "EX1 2AB"}, headers=_from(address)
            )
            return response.status_code

        first = [await attempt(n, "198.51.100.1") for n in range(1, 6)]
        assert first == [404, 404, 404, 429, 429]
        # Behind one ingress every resident shares its address: the header tells them apart.
        assert await attempt(10, "198.51.100.2") == 404
        # What a client writes before the proxy's entry is not believed.
        assert await attempt(11, "203.0.113.9, 198.51.100.1") == 429


async def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(kit: Any) -> None:
    async with kit.running(status_lookups_per_minute=3) as (_, client):
        answers = [
            (
                await client.post(
                    f"/v1/status/WST-2026-{n:06d}",
                    json={"postcode": "EX1 2AB"},
                    headers=_from(f"198.51.100.{n}"),
                )
            ).status_code
            for n in range(1, 6)
        ]
        assert answers == [404, 404, 404, 429, 429]
