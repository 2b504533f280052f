"""One-time codes for signatures, in plain Python (no ORM).

NIST SP 800-63B / OWASP ASVS V2.7: six digits drawn from ``secrets``, stored
only as an HMAC-SHA-256 bound to the signer and the document's hash, compared
in constant time, valid ten minutes, used once, at most five wrong tries per
code, at most three sends per fifteen minutes per signature request, a
daily cap per phone number against SMS pumping, and a cap on wrong codes over
a request's whole life (then the firm reopens it).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
import hashlib
import hmac
import secrets

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_WRONG_TRIES = 5
MAX_SENDS = 3
SEND_WINDOW = timedelta(minutes=15)
DAILY_CAP_PER_NUMBER = 10
# Wrong codes a request accepts over its whole life, whatever the number of codes.
MAX_WRONG_CODES_LIFETIME = 20


def generate_code() -> str:
    """A uniformly random six-digit code (leading zeros kept)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(key: bytes, code: str, signer: str, document_sha256: str) -> str:
    """HMAC-SHA-256 of the code, bound to who signs and to what is signed."""
    message = "\x1f".join((code, str(signer), document_sha256)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify_code(key: bytes, stored_digest: str, candidate: str, signer: str, document_sha256: str) -> bool:
    """Constant-time check of ``candidate`` against the stored digest."""
    candidate = (candidate or "").strip()
    if not (candidate.isdigit() and len(candidate) == CODE_DIGITS) or not stored_digest:
        # Still compare, so a malformed code costs the same time as a wrong one.
        hmac.compare_digest(stored_digest or "", "0" * 64)
        return False
    return hmac.compare_digest(stored_digest, code_digest(key, candidate, signer, document_sha256))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # "too_many_sends", "daily_cap", "expired", "too_many_tries", "used", "no_code"


def can_send(sent_at: list[datetime], now: datetime, sends_to_number_today: int) -> Decision:
    """May a new code be sent, given the request's previous sends?"""
    recent = [moment for moment in sent_at if now - moment < SEND_WINDOW]
    if len(recent) >= MAX_SENDS:
        return Decision(False, "too_many_sends")
    if sends_to_number_today >= DAILY_CAP_PER_NUMBER:
        return Decision(False, "daily_cap")
    return Decision(True)


def can_verify(issued_at: datetime | None, now: datetime, wrong_tries: int, used: bool) -> Decision:
    """May the current code still be checked?"""
    if not issued_at:
        return Decision(False, "no_code")
    if used:
        return Decision(False, "used")
    if now - issued_at >= CODE_TTL:
        return Decision(False, "expired")
    if wrong_tries >= MAX_WRONG_TRIES:
        return Decision(False, "too_many_tries")
    return Decision(True)


def is_locked_out(wrong_codes_total: int) -> bool:
    """Has a request seen so many wrong codes that it must stay closed until reopened?"""
    return wrong_codes_total >= MAX_WRONG_CODES_LIFETIME
