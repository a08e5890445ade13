"""Message templates: `((placeholder))` personalisation, checked when saved; SMS fragment counting.

A template is named `<kind>` or `<kind>.<case type>` or `<kind>.<case type>.<status>`; the kind
(the event that triggers it) decides which placeholders it may use, so a template asking for a
value its event cannot give is refused when it is saved, not discovered when a resident is due
a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Channel = Literal["email", "sms", "push"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "push")

PLACEHOLDER = re.compile(r"\(\(([^()]+?)\)\)")
NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,2}$")

_CASE = frozenset({"reference", "case_type_name", "status_name", "status_page_url", "first_name"})
PLACEHOLDERS_BY_KIND: Mapping[str, frozenset[str]] = {
    "case_opened": _CASE,
    "case_status_changed": _CASE | {"old_status_name"},
    "case_closed": _CASE | {"outcome_name"},
    "payment_link": _CASE | {"amount", "payment_url", "pay_by"},
    "payment_failed": _CASE | {"amount", "failure_reason"},
    "planning_nearby": frozenset(
        {"application_reference", "distance", "consultation_ends_on", "first_name"}
    ),
    "contact_change": frozenset({"changes", "confirm_url", "expires", "reference", "first_name"}),
    "contact_confirm": frozenset({"changes", "confirm_url", "expires", "reference", "first_name"}),
    "service_disruption": frozenset(
        {"round", "affected_date", "public_message", "recovery_date", "cause_name", "first_name"}
    ),
}

SMS_MAX_CHARACTERS = 918
# GSM 03.38: the basic set counts one, the extension set (escaped) two; anything else is UCS-2.
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


class TemplateRefused(ValueError):
    """A template that cannot be saved, with every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SmsLength:
    encoding: Literal["GSM-7", "UCS-2"]
    characters: int  # in the encoding's units (a GSM-7 extension character counts two)
    fragments: int


def sms_length(text: str) -> SmsLength:
    """Count an SMS as the networks do: 160/153 GSM-7 units, or 70/67 UCS-2 characters a fragment."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in text):
        units = sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        # Characters outside the Basic Multilingual Plane take two UTF-16 code units.
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, multi, encoding = 70, 67, "UCS-2"
    fragments = 1 if units <= single else -(-units // multi)
    return SmsLength(encoding=encoding, characters=units, fragments=fragments)  # type: ignore[arg-type]


def kind_of(name: str) -> str:
    return name.split(".", 1)[0]


def placeholders(*texts: str | None) -> set[str]:
    return {match.strip() for text in texts if text for match in PLACEHOLDER.findall(text)}


@dataclass(frozen=True)
class TemplateContent:
    """What a template says on one channel: email (subject, Markdown body), SMS (body), push
    (title = subject, body, link)."""

    name: str
    channel: Channel
    body: str
    subject: str | None = None
    link: str | None = None

    def check(self) -> None:
        """Refuse, with every reason at once, a template that could not be sent."""
        problems: list[str] = []
        if not NAME.match(self.name):
            problems.append(f"name {self.name!r} is not <kind>[.<case type>[.<status>]]")
        allowed = PLACEHOLDERS_BY_KIND.get(kind_of(self.name))
        if allowed is None:
            problems.append(
                f"unknown kind {kind_of(self.name)!r}; one of {sorted(PLACEHOLDERS_BY_KIND)}"
            )
        if not self.body.strip():
            problems.append("body is empty")
        if self.channel in ("email", "push") and not (self.subject or "").strip():
            problems.append(f"a {self.channel} template needs a subject (push: its title)")
        if self.channel == "sms" and self.subject:
            problems.append("an SMS template has no subject")
        if self.channel != "push" and self.link:
            problems.append("only push templates have a link")
        for text in (self.body, self.subject or "", self.link or ""):
            if text.count("((") != len(PLACEHOLDER.findall(text)):
                problems.append("a '((' is not closed as '((placeholder))'")
                break
        if allowed is not None:
            unknown = placeholders(self.body, self.subject, self.link) - allowed
            if unknown:
                problems.append(
                    f"placeholders {sorted(unknown)} cannot be filled by a {kind_of(self.name)} "
                    f"event; allowed: {sorted(allowed)}"
                )
        if self.channel == "sms":
            length = self.worst_case_sms_length()
            if length.characters > SMS_MAX_CHARACTERS:
                problems.append(
                    f"SMS is {length.characters} characters ({length.encoding}) with placeholders "
                    f"at their typical length; the limit is {SMS_MAX_CHARACTERS}"
                )
        if problems:
            raise TemplateRefused(problems)

    def worst_case_sms_length(self) -> SmsLength:
        """The body with each placeholder filled by a typical value, measured as an SMS."""
        return sms_length(render(self.body, _TYPICAL_VALUES, strict=False))

    def render(self, personalisation: Mapping[str, str]) -> RenderedMessage:
        return RenderedMessage(
            subject=render(self.subject, personalisation) if self.subject else None,
            body=render(self.body, personalisation),
            link=render(self.link, personalisation) if self.link else None,
        )


@dataclass(frozen=True)
class RenderedMessage:
    body: str
    subject: str | None = None
    link: str | None = None


class MissingPersonalisation(KeyError):
    pass


def render(text: str, personalisation: Mapping[str, str], *, strict: bool = True) -> str:
    def fill(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        if key in personalisation:
            return str(personalisation[key])
        if strict:
            raise MissingPersonalisation(key)
        return "x" * 20

    return PLACEHOLDER.sub(fill, text)


# Used to measure an SMS at save time: realistic lengths of each value.
_TYPICAL_VALUES: Mapping[str, str] = {
    "reference": "WST-2026-004211",
    "case_type_name": "missed bin collection",
    "status_name": "return visit scheduled",
    "old_status_name": "received",
    "outcome_name": "resolved",
    "status_page_url": (
        "https://council.example/v1/status/WST-2026-004211#token=1800000000."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    ),
    "first_name": "Firstname",
    "amount": "£35.00",
    "payment_url": "https://card.payments.service.gov.uk/secure/0123456789abcdef0123456789",
    "pay_by": "Monday 30 November 2026, 2:15pm",
    "round": "ROUND-TUE-07",
    "affected_date": "Tuesday 1 December",
    "public_message": "x" * 160,
    "recovery_date": "Thursday 3 December",
    "cause_name": "bad weather",
    "failure_reason": "the time allowed to pay ran out",
    "application_reference": "26/00123/FUL",
    "distance": "about 350 metres",
    "consultation_ends_on": "Monday 21 December 2026",
}
