"""Phone numbers for SMS codes, with ``phonenumbers`` (no ORM)."""

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

SMS_TYPES = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.UNKNOWN,
}


@dataclass(frozen=True)
class ParsedNumber:
    e164: str = ""
    problem: str = ""  # "empty", "unparsable", "invalid", "not_mobile"

    @property
    def ok(self):
        return not self.problem


def parse_for_sms(raw: str, default_region: str | None = None) -> ParsedNumber:
    """Normalise ``raw`` to E.164 if it is a valid number that can receive SMS."""
    if not (raw or "").strip():
        return ParsedNumber(problem="empty")
    try:
        number = phonenumbers.parse(raw, (default_region or "").upper() or None)
    except NumberParseException:
        return ParsedNumber(problem="unparsable")
    if not phonenumbers.is_valid_number(number):
        return ParsedNumber(problem="invalid")
    if phonenumbers.number_type(number) not in SMS_TYPES:
        return ParsedNumber(problem="not_mobile")
    return ParsedNumber(e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def mask(e164: str) -> str:
    """``+33612345678`` -> ``+33 *******78``: enough to recognise, not to reuse."""
    if not e164 or len(e164) < 6:
        return "***"
    try:
        number = phonenumbers.parse(e164, None)
        prefix = f"+{number.country_code}"
    except NumberParseException:
        prefix = e164[:3]
    national = e164[len(prefix) :]
    return f"{prefix} {'*' * max(len(national) - 2, 1)}{national[-2:]}"
