"""Whom a message is counted against, and under which limit."""

from __future__ import annotations

import pytest
from notify.domain.recipient_limits import RecipientLimits, recipient_key

pytestmark = pytest.mark.unit


def test_an_email_address_in_any_letter_case_is_one_recipient() -> None:
    one = recipient_key(channel="email", recipient="Ada@Example.org", purpose="case_opened")
    assert one == recipient_key(channel="email", recipient="ada@example.org ", purpose="x")
    assert "ada" not in one and len(one) == 64  # a SHA-256: no address in the counts


def test_a_contact_change_is_counted_apart() -> None:
    update = recipient_key(channel="sms", recipient="+447700900123", purpose="case_opened")
    change = recipient_key(channel="sms", recipient="+447700900123", purpose="contact_change")
    assert update != change
    limits = RecipientLimits(per_hour=10, contact_change_per_hour=3)
    assert (limits.of("case_opened"), limits.of("contact_change")) == (10, 3)


def test_only_email_and_sms_are_limited_and_zero_is_no_limit() -> None:
    limits = RecipientLimits(per_hour=10, contact_change_per_hour=0)
    assert limits.applies(channel="sms", purpose="case_opened")
    assert limits.applies(channel="email", purpose="case_opened")
    assert not limits.applies(channel="push", purpose="case_opened")
    assert not limits.applies(channel="sms", purpose="contact_change")
