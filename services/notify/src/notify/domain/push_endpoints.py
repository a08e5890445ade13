"""Where a resident's push subscription may point: only the browsers' push services.

A subscription's endpoint is a URL our dispatcher POSTs to; any other host would make notify a
request-forgery path into our own network. Outside production a loopback endpoint (the push
service simulator of the tests and the demo) is accepted too, over http or https.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# Exact hosts, and the domains whose subdomains are push services.
PUSH_SERVICE_HOSTS = frozenset(
    {"fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com"}
)
PUSH_SERVICE_DOMAINS = (".push.services.mozilla.com", ".notify.windows.com")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def push_endpoint_allowed(endpoint: str, *, production: bool) -> bool:
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or not host.isascii():
        return False
    if host in LOOPBACK_HOSTS:
        return not production and parts.scheme in ("http", "https")
    if parts.scheme != "https" or port not in (None, 443):
        return False
    return host in PUSH_SERVICE_HOSTS or (
        host.endswith(PUSH_SERVICE_DOMAINS) and all(host.split("."))
    )
