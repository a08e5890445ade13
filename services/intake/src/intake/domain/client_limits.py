"""Whom a submission is counted against, and the hour it is counted in.

A public form or an Open311 request is counted against the address it came from (as
`civic_runtime.clients` reads it behind the trusted proxies); a back office's call against its
API client. An IPv6 address is counted by its /64: a home or a host is given a whole /64, so
counting its addresses one by one would give each client 2^64 allowances.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

# The counts' key column holds at most this many characters.
KEY_LENGTH = 100


def address_client(kind: str, address: str) -> str:
    """The key a request from `address` is counted under, for `kind` (`form`, `open311`)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"{kind}:{address}"[:KEY_LENGTH]  # not an address (a test client's name)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"{kind}:{ip.ipv4_mapped}"
        return f"{kind}:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"{kind}:{ip}"


def api_client(kind: str, client_id: uuid.UUID) -> str:
    """The key an API client's calls of `kind` (`backoffice`) are counted under."""
    return f"{kind}:{client_id}"


@dataclass(frozen=True)
class Window:
    start: datetime
    seconds_left: int


def hour_of(now: datetime) -> Window:
    """The clock hour `now` falls in; what is refused in it may be asked again at its end."""
    start = now.replace(minute=0, second=0, microsecond=0)
    left = start + timedelta(hours=1) - now
    return Window(start=start, seconds_left=max(1, int(left.total_seconds() + 0.999)))
