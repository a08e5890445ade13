"""What a resident sends with a form besides the answers: contact, channel and consent, location.

Normalising here (not in the HTTP layer) keeps the web form and Open311 to one set of rules. The
council's area is given, not looked up: bootstrap loads it from the council's profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import phonenumbers
from civic_events.contact import Contact, Coordinates, Location
from civic_runtime.council import CouncilArea
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ValidationError

from intake.domain.forms import FieldError, FormDefinition

M = TypeVar("M", bound=BaseModel)
ChannelChoice = Literal["email", "sms", "push", "none"]
CHANNELS: tuple[str, ...] = ("email", "sms", "push", "none")
# ASCII digits only: str.isdigit() also takes superscripts ("²") and other scripts' digits.
UPRN = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class SubmissionDetails:
    contact: Contact | None
    location: Location | None
    preferred_channel: ChannelChoice
    consent: bool
    description: str | None
    language: Literal["en", "cy"]


def _error(field: str, rule: str, message: str) -> FieldError:
    return FieldError(field=field, rule=rule, message=message)


def normalise_email(value: Any, errors: list[FieldError]) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.append(_error("contact.email", "type", "Enter an email address"))
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        errors.append(
            _error(
                "contact.email",
                "email",
                "Enter an email address in the correct format, like name@example.com",
            )
        )
        return None


def normalise_phone(value: Any, errors: list[FieldError]) -> str | None:
    """UK numbers (or international ones with a +) to E.164."""
    if value in (None, ""):
        return None
    message = "Enter a telephone number, like 01632 960 001 or 07700 900 982"
    if not isinstance(value, str) or len(value) > 30:
        errors.append(_error("contact.phone", "phone", message))
        return None
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        errors.append(_error("contact.phone", "phone", message))
        return None
    if not phonenumbers.is_valid_number(number):
        errors.append(_error("contact.phone", "phone", message))
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _text(value: Any, field: str, limit: int, errors: list[FieldError]) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.append(_error(field, "type", "Enter text"))
        return None
    value = value.strip()
    if len(value) > limit:
        errors.append(_error(field, "maxLength", f"Must be {limit} characters or fewer"))
        return None
    return value or None


def _part(model: type[M], where: str, errors: list[FieldError], **fields: Any) -> M | None:
    """The event's part, or None with what it refuses (a control character) named in `errors`."""
    try:
        return model(**fields)
    except ValidationError as exc:
        errors.extend(
            _error(
                ".".join([where, *(str(part) for part in error["loc"])]),
                error["type"],
                error["msg"],
            )
            for error in exc.errors()
        )
        return None


def normalise_contact(raw: Any, errors: list[FieldError]) -> Contact | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.append(_error("contact", "type", "contact must be an object"))
        return None
    name = _text(raw.get("name"), "contact.name", 200, errors)
    email = normalise_email(raw.get("email"), errors)
    phone = normalise_phone(raw.get("phone"), errors)
    address = _text(raw.get("address"), "contact.address", 500, errors)
    if not (name or email or phone or address):
        return None
    return _part(Contact, "contact", errors, name=name, email=email, phone=phone, address=address)


def normalise_location(
    raw: Any, form: FormDefinition, errors: list[FieldError], *, area: CouncilArea
) -> Location | None:
    if raw is None:
        if form.location_required:
            errors.append(_error("location", "required", "Tell us where the problem is"))
        return None
    if not isinstance(raw, dict):
        errors.append(_error("location", "type", "location must be an object"))
        return None
    uprn = raw.get("uprn")
    address = raw.get("address")
    latitude, longitude = raw.get("latitude"), raw.get("longitude")
    given = {
        kind
        for kind, present in (
            ("uprn", uprn not in (None, "")),
            ("address", address not in (None, "")),
            ("coordinates", latitude is not None or longitude is not None),
        )
        if present
    }
    accepts = form.location_accepts
    if given and not given & set(accepts):
        wanted = ", ".join(accepts) or "no location"
        errors.append(_error("location", "accepts", f"This form takes: {wanted}"))
        return None
    # Kinds the form does not take are left unread: an Open311 client sends its map point with
    # every report, a property's UPRN or not.
    location: dict[str, Any] = {}
    if "uprn" in given & set(accepts):
        digits = str(uprn) if isinstance(uprn, str | int) and not isinstance(uprn, bool) else ""
        if not UPRN.fullmatch(digits):
            errors.append(_error("location.uprn", "pattern", "A UPRN is up to 12 digits"))
        else:
            location["uprn"] = digits
    if "address" in given & set(accepts):
        text = _text(address, "location.address", 500, errors)
        if text:
            location["address"] = text
    if "coordinates" in given & set(accepts):
        coordinates = _coordinates(latitude, longitude, area, errors)
        if coordinates:
            location["coordinates"] = coordinates
    if not location:
        if form.location_required or raw:
            errors.append(
                _error("location", "required", "Give a property (UPRN), an address or a map point")
            )
        return None
    return _part(Location, "location", errors, **location)


def _coordinates(
    latitude: Any, longitude: Any, area: CouncilArea, errors: list[FieldError]
) -> Coordinates | None:
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in (latitude, longitude)
    ):
        errors.append(
            _error("location.coordinates", "type", "Give a latitude and a longitude as numbers")
        )
        return None
    if not area.contains(float(latitude), float(longitude)):
        errors.append(
            _error(
                "location.coordinates", "district", "This location is outside the council's area"
            )
        )
        return None
    return Coordinates(latitude=latitude, longitude=longitude)


def normalise_details(
    body: dict[str, Any], form: FormDefinition, *, area: CouncilArea
) -> tuple[SubmissionDetails | None, list[FieldError]]:
    errors: list[FieldError] = []
    contact = normalise_contact(body.get("contact"), errors)
    location = normalise_location(body.get("location"), form, errors, area=area)
    channel = body.get("preferred_channel", "none")
    if channel not in CHANNELS:
        errors.append(_error("preferred_channel", "enum", "Choose email, sms, push or none"))
        channel = "none"
    consent = body.get("consent", False)
    if not isinstance(consent, bool):
        errors.append(_error("consent", "type", "consent must be true or false"))
        consent = False
    if form.contact_required and contact is None:
        errors.append(_error("contact", "required", "Tell us how to contact you"))
    if channel != "none" and not consent:
        errors.append(
            _error("consent", "required", "Agree to be contacted to get updates by " + channel)
        )
    if channel == "email" and (contact is None or contact.email is None):
        errors.append(_error("contact.email", "required", "Enter an email address for updates"))
    if channel == "sms" and (contact is None or contact.phone is None):
        errors.append(
            _error("contact.phone", "required", "Enter a mobile number for text message updates")
        )
    description = _text(body.get("description"), "description", 4000, errors)
    language = body.get("language", "en")
    if language not in ("en", "cy"):
        errors.append(_error("language", "enum", "language is en or cy"))
        language = "en"
    if errors:
        return None, errors
    return (
        SubmissionDetails(
            contact=contact,
            location=location,
            preferred_channel=channel,
            consent=consent,
            description=description,
            language=language,
        ),
        [],
    )
