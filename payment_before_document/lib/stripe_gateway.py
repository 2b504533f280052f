"""Stripe, through the ``stripe`` library (no ORM).

- :func:`verify_event` checks a webhook's ``Stripe-Signature`` on the raw
  body with the library (constant-time comparison, timestamp tolerance) and
  returns the event as plain data;
- :class:`StripeGateway` asks Stripe for a PaymentIntent, in the API version
  Odoo's Stripe provider speaks, so the answer has the shape Odoo expects;
- :func:`intent_problems` is the one gate every path that applies a Stripe
  status goes through (return page, webhook, reconciliation job, the
  accountant's buttons): a PaymentIntent confirms only the transaction it
  was made for (reference, currency, amount, amount received, and an id no
  other transaction holds);
- :func:`review_intent` decides what a PaymentIntent's status means for a
  transaction that is still waiting.

``http_session`` lets tests replace the HTTP layer only: the library builds,
signs, sends and parses for real.
"""

from dataclasses import dataclass
import json
import logging

_logger = logging.getLogger(__name__)
# The library logs every request at INFO: keep the server log for what matters.
logging.getLogger("stripe").setLevel(logging.WARNING)

TOLERANCE_SECONDS = 300  # Stripe's own default: older signed events are refused.

# Why a webhook was refused (logged, never with the body or the secret).
REASON_NO_SECRET = "no_secret"
REASON_NO_SIGNATURE = "no_signature"
REASON_BAD_SIGNATURE = "bad_signature"
REASON_STALE = "stale"
REASON_MALFORMED = "malformed"

# Disputes (chargebacks) the module listens to, beside the events Odoo handles.
DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")

# PaymentIntent statuses a client produces while still on the payment page.
NOT_ATTEMPTED = ("requires_payment_method", "requires_confirmation", "requires_action")
KNOWN_STATUSES = NOT_ATTEMPTED + ("processing", "requires_capture", "succeeded", "canceled")

ACTION_APPLY = "apply"
ACTION_WAIT = "wait"
ACTION_MISMATCH = "mismatch"

# What may differ between a PaymentIntent and the transaction it is applied to.
PROBLEM_REFERENCE = "reference"
PROBLEM_CURRENCY = "currency"
PROBLEM_AMOUNT = "amount"
PROBLEM_RECEIVED = "amount_received"
PROBLEM_INTENT = "intent"  # not the intent this transaction created, or another's


class InvalidEvent(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class GatewayError(Exception):
    """Stripe could not answer; ``message`` is safe to show and to log."""


class IntentMismatch(Exception):
    """A PaymentIntent was about to be applied to a transaction it is not for."""

    def __init__(self, intent, problems, message=""):
        super().__init__(message or ", ".join(problems))
        self.intent = intent
        self.problems = tuple(problems)
        self.message = message or ", ".join(problems)


def verify_event(payload, header, secret, tolerance=TOLERANCE_SECONDS):
    """The event in ``payload`` (bytes) if ``header`` signs it with ``secret``.

    The signature is checked first, then its age: a replayed old event is
    refused even with a valid signature.
    """
    from stripe import SignatureVerificationError, WebhookSignature  # noqa: PLC0415

    if not secret:
        raise InvalidEvent(REASON_NO_SECRET)
    if not header:
        raise InvalidEvent(REASON_NO_SIGNATURE)
    try:
        WebhookSignature.verify_header(payload, header, secret, tolerance=None)
    except SignatureVerificationError as exc:
        raise InvalidEvent(REASON_BAD_SIGNATURE) from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidEvent(REASON_MALFORMED) from exc
    try:
        WebhookSignature.verify_header(payload, header, secret, tolerance=tolerance)
    except SignatureVerificationError as exc:
        raise InvalidEvent(REASON_STALE) from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise InvalidEvent(REASON_MALFORMED) from exc
    if not isinstance(event, dict):
        raise InvalidEvent(REASON_MALFORMED)
    return event


class StripeGateway:
    def __init__(self, secret_key, api_version, http_session=None, timeout=30, retries=2):
        import stripe  # noqa: PLC0415

        http_client = stripe.RequestsClient(timeout=timeout, session=http_session)
        self.client = stripe.StripeClient(
            secret_key,
            stripe_version=api_version,
            http_client=http_client,
            max_network_retries=retries,
        )

    def payment_intent(self, intent_id):
        """The PaymentIntent as a dict, its payment method expanded."""
        import stripe  # noqa: PLC0415

        try:
            intent = self.client.v1.payment_intents.retrieve(intent_id, params={"expand": ["payment_method"]})
        except stripe.StripeError as exc:
            # The library's message never carries the secret key.
            _logger.info("Stripe did not return PaymentIntent %s: %s", intent_id, exc.__class__.__name__)
            raise GatewayError(exc.user_message or exc.__class__.__name__) from exc
        return intent.to_dict()


@dataclass(frozen=True)
class Review:
    action: str
    status: str = ""
    problem: str = ""


def intent_problems(intent, reference, amount_minor, currency, own_intent_id=None, bound_elsewhere=False):
    """What differs between ``intent`` and the transaction it would confirm.

    An empty tuple when the intent is the transaction's: Odoo wrote the
    reference into the intent's ``description`` and asked for this amount in
    this currency (``amount_minor`` in the currency's smallest unit); a
    succeeded intent must have received all of it. ``own_intent_id`` is the
    intent the transaction created (when known): another id is refused, and
    so is an id that ``bound_elsewhere`` says another transaction holds.
    """
    if not isinstance(intent, dict):
        return (PROBLEM_INTENT,)
    problems = []
    if intent.get("description") != reference:
        problems.append(PROBLEM_REFERENCE)
    if (intent.get("currency") or "").lower() != (currency or "").lower():
        problems.append(PROBLEM_CURRENCY)
    if intent.get("amount") != amount_minor:
        problems.append(PROBLEM_AMOUNT)
    if intent.get("status") == "succeeded" and intent.get("amount_received") != amount_minor:
        problems.append(PROBLEM_RECEIVED)
    if not intent.get("id") or bound_elsewhere or (own_intent_id and intent["id"] != own_intent_id):
        problems.append(PROBLEM_INTENT)
    return tuple(problems)


def review_intent(intent, reference, amount_minor, currency, waiting_state):
    """What to do with a PaymentIntent Stripe returned for a waiting transaction.

    ``apply``: Odoo's own processing should take this status (the payment
    succeeded, is processing, is authorised, failed or was canceled);
    ``wait``: nothing happened yet that Odoo does not know;
    ``mismatch``: the intent is not this transaction's, as Stripe describes
    it (reference, amount or currency): nothing is applied.
    """
    status = intent.get("status") or ""
    problems = intent_problems(intent, reference, amount_minor, currency)
    if problems:
        return Review(ACTION_MISMATCH, status, problems[0])
    if status not in KNOWN_STATUSES:
        return Review(ACTION_MISMATCH, status, "status")
    if status in NOT_ATTEMPTED and not intent.get("last_payment_error"):
        # The client has not confirmed anything yet (or left the page).
        return Review(ACTION_WAIT, status)
    if status == "processing" and waiting_state == "pending":
        return Review(ACTION_WAIT, status)
    if status == "requires_capture" and waiting_state == "authorized":
        return Review(ACTION_WAIT, status)
    return Review(ACTION_APPLY, status)
