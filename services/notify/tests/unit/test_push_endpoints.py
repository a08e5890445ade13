"""A push subscription may point only at a browser's push service (loopback only outside
production): any other endpoint would have notify POST into whatever host it names."""

from __future__ import annotations

import pytest
from notify.domain.push_endpoints import push_endpoint_allowed

pytestmark = pytest.mark.unit

PUSH_SERVICES = [
    "https://fcm.googleapis.com/fcm/send/abc:APA91b",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
    "https://web.push.apple.com/QGuQyavXutnMH8",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    "https://FCM.googleapis.com/fcm/send/abc",
    "https://fcm.googleapis.com:443/fcm/send/abc",
]
REFUSED = [
    "https://internal.council.example/admin",
    "https://169.254.169.254/latest/meta-data",
    "https://fcm.googleapis.com.attacker.example/x",
    "https://attacker.example/fcm.googleapis.com",
    "https://evilnotify.windows.com/x",
    "https://.notify.windows.com/x",
    "https://user@fcm.googleapis.com/x",
    "https://fcm.googleapis.com:8443/x",
    "http://fcm.googleapis.com/x",
    "ftp://fcm.googleapis.com/x",
    "https://fcm.googleapis.com:bad/x",
    "fcm.googleapis.com/x",
    "",
]
LOOPBACK = ["http://127.0.0.1:8123/push/abc", "http://localhost:8123/push/abc", "http://[::1]:8/p"]


@pytest.mark.parametrize("endpoint", PUSH_SERVICES)
def test_the_browsers_push_services_are_accepted(endpoint: str) -> None:
    assert push_endpoint_allowed(endpoint, production=True)


@pytest.mark.parametrize("endpoint", REFUSED)
def test_any_other_endpoint_is_refused(endpoint: str) -> None:
    assert not push_endpoint_allowed(endpoint, production=False)


@pytest.mark.parametrize("endpoint", LOOPBACK)
def test_the_loopback_simulator_is_accepted_only_outside_production(endpoint: str) -> None:
    assert push_endpoint_allowed(endpoint, production=False)
    assert not push_endpoint_allowed(endpoint, production=True)
