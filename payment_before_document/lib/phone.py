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
    """``+33612345678`` -> ``+33 6 •• •• •• 78``: enough to recognise, not to reuse.

    The number in its international layout, every digit hidden but the
    first of the national number and the last two.
    """
    if not e164 or len(e164) < 6:
        return "•••"
    try:
        number = phonenumbers.parse(e164, None)
        prefix = f"+{number.country_code}"
        layout = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        prefix, layout = e164[:3], e164
    rest = layout.removeprefix(prefix)
    positions = [index for index, char in enumerate(rest) if char.isdigit()]
    if len(positions) < 4:
        return f"{prefix} ••{rest[-2:]}"
    keep = {positions[0], positions[-2], positions[-1]}
    hidden = "".join(
        "•" if index in positions and index not in keep else char for index, char in enumerate(rest)
    )
    return f"{prefix}{hidden}"


def variants(e164: str) -> list[str]:
    """The ways a number can be written (E.164, international, national, digits only)."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return [e164]
    formats = [
        phonenumbers.format_number(number, fmt)
        for fmt in (
            phonenumbers.PhoneNumberFormat.E164,
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.NATIONAL,
        )
    ]
    return formats + ["".join(c for c in f if c.isdigit()) for f in formats]
