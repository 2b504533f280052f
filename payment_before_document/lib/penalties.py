"""Late-payment penalties of French B2B law, in plain Python (no ORM).

Code de commerce L441-10: late-payment interest at the ECB's main refinancing
rate plus 10 points (the rate in force on 1 January applies to the first half
of the year, the one in force on 1 July to the second), counted per day late
from the day after the due date; D441-5: a flat collection fee of 40 € per
invoice, owed by professionals only.

Amounts are computed with :class:`decimal.Decimal` and rounded half-up to the
cent, invoice by invoice.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
import re

CENT = Decimal("0.01")
DEFAULT_MARGIN_POINTS = Decimal(10)
DEFAULT_FLAT_FEE = Decimal(40)


def _dec(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def days_late(due_date: date, on_date: date) -> int:
    """Days between the due date and ``on_date`` (0 when not yet late)."""
    return max((on_date - due_date).days, 0)


def annual_rate(ecb_rate, margin_points=DEFAULT_MARGIN_POINTS) -> Decimal:
    """The yearly penalty rate in percent: ECB rate + margin (10 points)."""
    return _dec(ecb_rate) + _dec(margin_points)


def half_year(on_date: date) -> str:
    """The half-year whose ECB rate applies, e.g. ``"2026-H2"``."""
    year, half = half_year_parts(on_date)
    return f"{year}-H{half}"


def half_year_parts(on_date: date) -> tuple:
    """(year, 1 or 2): the half-year of ``on_date``."""
    return on_date.year, 1 if on_date.month <= 6 else 2


_HALF_YEAR = re.compile(r"\s*(\d{4})\s*[-/ ]?\s*[HS]\s*([12])\s*", re.IGNORECASE)


def parse_half_year(text):
    """(year, 1 or 2) from a half-year as typed in the settings ("2026-H2", "2026 S2"), else None."""
    match = _HALF_YEAR.fullmatch(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def late_interest(amount, rate_percent, days: int, year_days: int = 365) -> Decimal:
    """Interest on ``amount`` at ``rate_percent`` a year for ``days`` days, to the cent."""
    if days <= 0 or _dec(amount) <= 0:
        return Decimal("0.00")
    value = _dec(amount) * _dec(rate_percent) / Decimal(100) * Decimal(days) / Decimal(year_days)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Penalty:
    days_late: int
    rate_percent: Decimal
    interest: Decimal
    flat_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.interest + self.flat_fee


def invoice_penalty(
    amount_due, due_date, on_date, rate_percent, flat_fee=DEFAULT_FLAT_FEE, professional=True
):
    """The penalty owed on one invoice on ``on_date``.

    ``professional`` is False for consumers: no flat fee is owed by them, and
    the B2B interest rate does not apply either (zero here).
    """
    days = days_late(due_date, on_date)
    if not professional or days == 0:
        return Penalty(days, _dec(rate_percent), Decimal("0.00"), Decimal("0.00"))
    return Penalty(
        days,
        _dec(rate_percent),
        late_interest(amount_due, rate_percent, days),
        _dec(flat_fee).quantize(CENT),
    )


@dataclass(frozen=True)
class Claim:
    """What a reminder claims: the principal of the late invoices, and what the law adds."""

    principal: Decimal
    interest: Decimal
    flat_fees: Decimal
    late_count: int

    @property
    def penalties(self) -> Decimal:
        return self.interest + self.flat_fees

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.flat_fees


def claim(late_lines) -> Claim:
    """Sum ``(amount_due, interest, flat_fee)`` of the invoices past due, each part apart.

    Only invoices past due belong in ``late_lines``: an invoice not yet due is
    never part of what a reminder claims.
    """
    principal = interest = fees = Decimal("0.00")
    count = 0
    for amount, line_interest, line_fee in late_lines:
        principal += _dec(amount)
        interest += _dec(line_interest)
        fees += _dec(line_fee)
        count += 1
    return Claim(principal.quantize(CENT), interest.quantize(CENT), fees.quantize(CENT), count)
