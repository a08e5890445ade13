"""The client a request came from: X-Forwarded-For is believed only from configured proxies."""

from __future__ import annotations

import pytest
from civic_runtime.clients import client_address, trusted_networks
from civic_runtime.settings import ServiceSettings
from pydantic import ValidationError
from starlette.requests import Request

pytestmark = pytest.mark.unit


def _request(peer: str, forwarded_for: str | None = None) -> Request:
    headers = [] if forwarded_for is None else [(b"x-forwarded-for", forwarded_for.encode())]
    return Request({"type": "http", "client": (peer, 50000), "headers": headers})


INGRESS = trusted_networks(("10.0.0.0/8", "::1"))


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_forwards() -> None:
    assert client_address(_request("203.0.113.9", "198.51.100.1"), ()) == "203.0.113.9"
    assert client_address(_request("10.1.2.3", "198.51.100.1"), ()) == "10.1.2.3"


def test_a_trusted_proxy_names_the_client_and_a_stranger_cannot() -> None:
    assert client_address(_request("10.1.2.3", "198.51.100.1"), INGRESS) == "198.51.100.1"
    # Anything the client put in front of the header is not believed: the last hop the trusted
    # proxies did not add is the client.
    spoofed = _request("10.1.2.3", "192.0.2.77, 198.51.100.1")
    assert client_address(spoofed, INGRESS) == "198.51.100.1"
    chain = _request("10.1.2.3", "198.51.100.1, 10.9.9.9")
    assert client_address(chain, INGRESS) == "198.51.100.1"
    # A request not from a trusted proxy: its header is the sender's word only.
    assert client_address(_request("203.0.113.9", "198.51.100.1"), INGRESS) == "203.0.113.9"


def test_a_malformed_or_missing_header_leaves_the_last_trusted_hop() -> None:
    assert client_address(_request("10.1.2.3"), INGRESS) == "10.1.2.3"
    assert client_address(_request("10.1.2.3", "not-an-address"), INGRESS) == "10.1.2.3"
    assert client_address(_request("10.1.2.3", "10.4.4.4"), INGRESS) == "10.4.4.4"
    assert client_address(_request("::1", " 2001:db8::5 "), INGRESS) == "2001:db8::5"


def test_trusted_proxies_are_a_setting_of_every_service() -> None:
    settings = ServiceSettings(service_name="svc", trusted_proxies=("10.0.0.0/8",))
    assert settings.trusted_proxies == ("10.0.0.0/8",)
    assert ServiceSettings(service_name="svc").trusted_proxies == ()
    with pytest.raises(ValidationError, match="trusted_proxies"):
        ServiceSettings(service_name="svc", trusted_proxies=("the ingress",))
