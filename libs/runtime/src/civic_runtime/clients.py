"""The address a request came from, for per-client limits, behind proxies or not.

`X-Forwarded-For` is anyone's to write: it is read only when the peer is one of the configured
trusted proxies (`TRUSTED_PROXIES`), and then from the right, hop by hop, as long as each hop is
trusted too; the first untrusted hop is the client. What a client puts in front of the header
itself is never reached. With no trusted proxies the peer is the client. uvicorn's own reading
of the header is switched off (`cli`), so this is the one place that decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import cache

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """Networks from addresses or CIDR blocks (`10.0.0.0/8`, `::1`); ValueError for others.
    Cached: a service asks with its one setting on every request."""
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(request: Request, trusted: Sequence[Network]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not trusted or not _trusted(peer, trusted):
        return peer
    client = peer
    hops = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    for hop in reversed([hop.strip() for hop in hops if hop.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # not an address: nothing to its left can be believed either
        client = hop
        if not _trusted(hop, trusted):
            break
    return client
