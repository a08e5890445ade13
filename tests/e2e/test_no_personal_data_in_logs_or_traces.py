"""No service writes a resident's email, phone number or address to its logs or its traces.

A resident whose email, phone and address are found nowhere else books a paid bulky-waste
collection (intake, cases, payments and notify all handle them: the booking, the case, the
payment and its link, the messages) and reports a missed bin by text message. Then every line of
the four services' logs, and every span they exported (its name, attributes, events, links and
status, and its resource), is searched for the email (as given or percent-encoded), the phone in
each way it is written (07911 …, +44 7911 …, E.164, spaced or not) and the address's street.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from typing import Any
from urllib.parse import quote

import phonenumbers
import pytest
from e2e_platform import SERVICES, Platform
from flows import LINK, booking, case_reaches, normal_uprn, pay, report_missed_bin
from google.protobuf.json_format import MessageToDict

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The link a new resident may be sent to confirm the address they gave (its last part the token).
CONFIRM_LINK = re.compile(r"/contact-details/confirm/([A-Za-z0-9_-]+)")


def valid_mobile_digits() -> str:
    """Six digits that make 07911 xxxxxx a number intake accepts (not every one is)."""
    while True:
        digits = f"{random.randrange(10**6):06d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(f"07911{digits}", "GB")):
            return digits


def unique_resident() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    digits = valid_mobile_digits()
    street = f"Quillfeather{tag} Close"
    return {
        "name": f"Resident {tag}",
        "email": f"pii-{tag}@example.org",
        "phone": f"07911 {digits}",
        "address": f"{random.randrange(1, 300)} {street}, Guildford GU1 4XY",
        "_street": street,
        "_digits": digits,
    }


def needles(resident: dict[str, Any]) -> dict[str, str]:
    """What must appear nowhere, lower-cased (the haystacks are too)."""
    email, digits = resident["email"], resident["_digits"]
    return {
        "email": email.lower(),
        "email, percent-encoded": quote(email, safe="").lower(),
        # 07911…, +447911…, 447911…, 00447911…: all hold the national number.
        "phone": f"7911{digits}",
        "phone, spaced": f"7911 {digits}",
        "phone, spaced in threes": f"7911 {digits[:3]} {digits[3:]}",
        "phone, percent-encoded +44": f"%2b447911{digits}",
        "address": resident["_street"].lower(),
        "address, percent-encoded": quote(resident["_street"]).lower(),
        "address, form-encoded": quote(resident["_street"]).replace("%20", "+").lower(),
    }


def found_in(text: str, wanted: dict[str, str]) -> list[str]:
    lowered = text.lower()
    return [what for what, needle in wanted.items() if needle in lowered]


def exported_spans(receiver: Any, since: int) -> list[tuple[str, str, str]]:
    """(service, span name, the span and its resource as JSON) for each span exported."""
    spans: list[tuple[str, str, str]] = []
    for export in list(receiver.exports[since:]):
        for resource_spans in export.resource_spans:
            resource = MessageToDict(resource_spans.resource)
            service = next(
                (
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                ),
                "",
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    text = json.dumps(
                        {"resource": resource, "span": MessageToDict(span)}, ensure_ascii=False
                    )
                    spans.append((service, span.name, text))
    return spans


async def book_and_pay(platform: Platform, eventually: Any, resident: dict[str, Any]) -> str:
    contact = {key: resident[key] for key in ("name", "email", "phone", "address")}
    body = booking(contact, channel="email")
    body["location"] = {"uprn": body["location"]["uprn"], "address": resident["address"]}
    reference = str((await platform.submit("bulky-waste", body))["reference"])
    await case_reaches(platform, eventually, reference, "awaiting_payment")
    confirmed: set[str] = set()

    async def payment_link() -> dict[str, Any] | None:
        """The message with the link to pay; confirming the address first if asked to."""
        for message in await platform.messages_to(resident["email"]):
            if LINK.search(message["body"]):
                return message
            token = CONFIRM_LINK.search(message["body"])
            if token and token.group(1) not in confirmed:
                answer = await platform.http.post(
                    f"{platform.urls['cases']}/v1/contact-changes/confirm",
                    json={"token": token.group(1)},
                )
                assert answer.status_code == 200, answer.text
                confirmed.add(token.group(1))
        return None

    message = await eventually(payment_link, timeout=60, interval=0.3)
    await pay(platform, message, "success")
    await case_reaches(platform, eventually, reference, "booked")
    return reference


async def test_no_log_line_or_span_holds_a_residents_email_phone_or_address(
    platform: Platform, eventually: Any
) -> None:
    resident = unique_resident()
    since = len(platform.traces.exports)

    await book_and_pay(platform, eventually, resident)
    contact = {key: resident[key] for key in ("name", "email", "phone", "address")}
    reported = await report_missed_bin(platform, contact, normal_uprn(), "sms")
    await case_reaches(platform, eventually, reported, "received")

    # Spans leave each process in batches: wait until all four have sent theirs for the flow.
    def every_service_exported() -> bool:
        return set(SERVICES) <= {
            service for service, _, _ in exported_spans(platform.traces, since)
        }

    await eventually(every_service_exported, timeout=30, interval=0.3)
    await asyncio.sleep(1)  # and the stragglers of the last batch

    wanted = needles(resident)
    leaks: list[str] = []
    for service in SERVICES:
        log = platform.processes[service].log.read_text(errors="replace")
        assert log.strip(), f"{service} logged nothing: this test would check nothing"
        for number, line in enumerate(log.splitlines(), start=1):
            for what in found_in(line, wanted):
                leaks.append(f"{service} log line {number} has the {what}: {line[:300]}")
    spans = exported_spans(platform.traces, since)
    for service, name, text in spans:
        for what in found_in(text, wanted):
            leaks.append(f"{service} span {name!r} has the {what}: {text[:300]}")
    assert leaks == [], "\n".join(leaks[:20])
    assert len(spans) > 20, len(spans)
