"""Fake HTTP transport for the Twilio and Stripe libraries.

Odoo blocks outgoing HTTP in tests and hands each request to the test's
``_request_handler`` (see ``common.py``): requests to Twilio and Stripe are
answered there by a :class:`FakeHttpSession`, which replaces only the final
``send``: the libraries and Odoo's own code build, sign, encode and parse for
real, and the test sees every request they made. Nothing leaves the machine.

    session = FakeHttpSession()
    session.add(TWILIO_MESSAGES, twilio_message_responder())
    ...                                      # the code under test sends an SMS
    session.calls[-1].form["Body"]           # what Twilio would have received

There is no test of these fakes on their own: they are exercised by the tests
of the code that calls Twilio and Stripe.
"""

from dataclasses import dataclass
import json
import re
from urllib.parse import parse_qs, urlsplit

import requests


@dataclass
class RecordedCall:
    method: str
    url: str
    headers: dict
    body: bytes

    @property
    def path(self):
        return urlsplit(self.url).path

    @property
    def query(self):
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.url).query).items()}

    @property
    def form(self):
        """The url-encoded body as a dict (last value of each key)."""
        text = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")
        return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


@dataclass
class Route:
    pattern: re.Pattern
    responder: object  # callable(RecordedCall) -> (status, body) or a (status, body) tuple
    times: int = 0


class FakeHttpSession(requests.Session):
    """A ``requests.Session`` whose ``send`` answers from declared routes."""

    def __init__(self):
        super().__init__()
        self.routes = []
        self.calls = []

    def add(self, pattern, responder):
        """Answer requests whose ``"METHOD URL"`` matches ``pattern``."""
        self.routes.append(Route(re.compile(pattern), responder))
        return self

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        call = RecordedCall(request.method, request.url, dict(request.headers), body)
        self.calls.append(call)
        for route in self.routes:
            if route.pattern.fullmatch(f"{request.method} {request.url}"):
                route.times += 1
                answer = route.responder(call) if callable(route.responder) else route.responder
                status, payload = answer
                return self._response(request, status, payload)
        message = f"no fake route for {request.method} {request.url}"
        # Readable as an error by both libraries (Stripe wants "error").
        body = {
            "error": {"type": "invalid_request_error", "message": message},
            "message": message,
            "status": 404,
        }
        return self._response(request, 404, body)

    @staticmethod
    def _response(request, status, payload):
        response = requests.Response()
        response.status_code = status
        response._content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response


# ----------------------------------------------------------------------
# Twilio
# ----------------------------------------------------------------------
TWILIO_MESSAGES = r"POST https://api\.twilio\.com/2010-04-01/Accounts/\w+/Messages\.json"


def twilio_message_responder(status="queued", sid_prefix="SM"):
    """Answer a Messages.json POST as Twilio does (201 with the message)."""
    counter = {"n": 0}

    def respond(call):
        counter["n"] += 1
        form = call.form
        return 201, {
            "sid": f"{sid_prefix}{counter['n']:032d}",
            "status": status,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "error_code": None,
            "error_message": None,
        }

    return respond


def twilio_error(code=21211, message="The 'To' number is not a valid phone number.", status=400):
    return status, {"code": code, "message": message, "more_info": "", "status": status}


# ----------------------------------------------------------------------
# Stripe
# ----------------------------------------------------------------------
STRIPE_PAYMENT_INTENT = r"GET https://api\.stripe\.com/v1/payment_intents/(\w+)(\?.*)?"


def stripe_payment_intent(
    intent_id,
    status="succeeded",
    amount=10000,
    currency="eur",
    metadata=None,
    description=None,
    last_payment_error=None,
):
    """A PaymentIntent as Stripe returns it (payment method expanded)."""
    return 200, {
        "id": intent_id,
        "object": "payment_intent",
        "status": status,
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": currency,
        "description": description,
        "customer": "cus_fake",
        "metadata": metadata or {},
        "last_payment_error": last_payment_error,
        "payment_method": {
            "id": "pm_fake",
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "visa", "last4": "4242"},
        },
    }


class StripeIntents:
    """Stripe's PaymentIntents as a test sets them: ``intents[id] = {...}``.

    Answers ``GET /v1/payment_intents/<id>`` from the dict (404 when absent),
    so a test can change what Stripe says between two calls.
    """

    def __init__(self):
        self.intents = {}

    def set(self, intent_id, **values):
        self.intents[intent_id] = stripe_payment_intent(intent_id, **values)[1]

    def __call__(self, call):
        intent_id = call.path.rsplit("/", 1)[-1]
        if intent_id not in self.intents:
            return 404, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": f"No such payment_intent: '{intent_id}'",
                }
            }
        return 200, self.intents[intent_id]


def stripe_event(event_type, stripe_object, event_id, created):
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2019-05-16",
        "created": created,
        "type": event_type,
        "data": {"object": stripe_object},
        "livemode": False,
    }


def stripe_signed_event(payload, secret, timestamp=None):
    """(body, Stripe-Signature header) signed with the library's own helper."""
    import stripe  # noqa: PLC0415

    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return body, header
