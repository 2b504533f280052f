"""Stripe webhook verification, PaymentIntent reviews and the gateway (plain Python)."""

import time

from odoo.tests import BaseCase, tagged

from ..lib import stripe_gateway as sg
from . import fake_transport as ft

SECRET = "whsec_lib_test"
EVENT = {"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "created": 1, "data": {}}


def intent(**values):
    base = {
        "id": "pi_1",
        "status": "succeeded",
        "amount": 120000,
        "amount_received": 120000,
        "currency": "eur",
        "description": "INV/2026/00001-1",
        "last_payment_error": None,
    }
    return {**base, **values}


@tagged("post_install", "-at_install")
class TestVerifyEvent(BaseCase):
    def _signed(self, payload=None, secret=SECRET, timestamp=None):
        body, header = ft.stripe_signed_event(payload or EVENT, secret, timestamp=timestamp)
        return body.encode(), header

    def _reason(self, body, header, secret=SECRET):
        with self.assertRaises(sg.InvalidEvent) as caught:
            sg.verify_event(body, header, secret)
        return caught.exception.reason

    def test_a_signed_recent_event_is_returned_as_data(self):
        body, header = self._signed()
        self.assertEqual(sg.verify_event(body, header, SECRET), EVENT)

    def test_another_secret_is_refused(self):
        body, header = self._signed(secret="whsec_someone_else")
        self.assertEqual(self._reason(body, header), sg.REASON_BAD_SIGNATURE)

    def test_a_changed_body_is_refused(self):
        body, header = self._signed()
        tampered = body.replace(b"succeeded", b"canceled!")
        self.assertEqual(self._reason(tampered, header), sg.REASON_BAD_SIGNATURE)

    def test_an_old_timestamp_is_refused_even_with_a_valid_signature(self):
        body, header = self._signed(timestamp=int(time.time()) - sg.TOLERANCE_SECONDS - 60)
        self.assertEqual(self._reason(body, header), sg.REASON_STALE)
        body, header = self._signed(timestamp=int(time.time()) - sg.TOLERANCE_SECONDS + 60)
        self.assertEqual(sg.verify_event(body, header, SECRET)["id"], "evt_1")

    def test_no_secret_no_header_or_garbage_header(self):
        body, header = self._signed()
        self.assertEqual(self._reason(body, header, secret=""), sg.REASON_NO_SECRET)
        self.assertEqual(self._reason(body, header, secret=None), sg.REASON_NO_SECRET)
        self.assertEqual(self._reason(body, None), sg.REASON_NO_SIGNATURE)
        self.assertEqual(self._reason(body, "not-a-signature"), sg.REASON_BAD_SIGNATURE)
        self.assertEqual(self._reason(body, "t=abc,v1=def"), sg.REASON_BAD_SIGNATURE)

    def test_a_signed_body_that_is_not_an_event_object(self):
        body, header = self._signed(payload="[1, 2, 3]")
        self.assertEqual(self._reason(body, header), sg.REASON_MALFORMED)
        body, header = self._signed(payload="{not json")
        self.assertEqual(self._reason(body, header), sg.REASON_MALFORMED)


@tagged("post_install", "-at_install")
class TestReviewIntent(BaseCase):
    def _review(self, waiting_state="pending", **values):
        return sg.review_intent(intent(**values), "INV/2026/00001-1", 120000, "EUR", waiting_state)

    def test_success_is_applied(self):
        self.assertEqual(self._review(), sg.Review(sg.ACTION_APPLY, "succeeded"))

    def test_failure_cancel_and_authorisation_are_applied(self):
        error = {"message": "Your card was declined."}
        self.assertEqual(
            self._review(status="requires_payment_method", last_payment_error=error).action, sg.ACTION_APPLY
        )
        self.assertEqual(self._review(status="canceled").action, sg.ACTION_APPLY)
        self.assertEqual(self._review(status="requires_capture").action, sg.ACTION_APPLY)
        self.assertEqual(self._review(status="processing", waiting_state="draft").action, sg.ACTION_APPLY)

    def test_what_odoo_already_knows_or_the_client_has_not_done_waits(self):
        self.assertEqual(self._review(status="processing").action, sg.ACTION_WAIT)
        self.assertEqual(
            self._review(status="requires_capture", waiting_state="authorized").action, sg.ACTION_WAIT
        )
        for status in sg.NOT_ATTEMPTED:
            self.assertEqual(
                self._review(status=status, waiting_state="draft").action, sg.ACTION_WAIT, status
            )

    def test_an_intent_that_is_not_the_transaction_is_never_applied(self):
        cases = {
            "reference": {"description": "INV/2026/00002-1"},
            "currency": {"currency": "usd"},
            "amount": {"amount": 100, "amount_received": 100},
            "amount_received": {"amount_received": 60000},
            "status": {"status": "something_new"},
        }
        for problem, values in cases.items():
            review = self._review(**values)
            self.assertEqual((review.action, review.problem), (sg.ACTION_MISMATCH, problem))

    def test_the_gate_names_everything_that_differs(self):
        def problems(own_intent_id=None, bound_elsewhere=False, **values):
            return sg.intent_problems(
                intent(**values), "INV/2026/00001-1", 120000, "EUR", own_intent_id, bound_elsewhere
            )

        self.assertEqual(problems(), ())
        self.assertEqual(problems(own_intent_id="pi_1"), ())
        small = {"description": "INV/2026/00009-1", "amount": 1000, "amount_received": 1000}
        self.assertEqual(
            problems(own_intent_id="pi_1", id="pi_small", **small),
            (sg.PROBLEM_REFERENCE, sg.PROBLEM_AMOUNT, sg.PROBLEM_RECEIVED, sg.PROBLEM_INTENT),
        )
        self.assertEqual(problems(bound_elsewhere=True), (sg.PROBLEM_INTENT,))
        self.assertEqual(problems(id=None), (sg.PROBLEM_INTENT,))
        self.assertEqual(problems(currency=None), (sg.PROBLEM_CURRENCY,))
        self.assertEqual(problems(status="processing", amount_received=0), ())
        self.assertEqual(sg.intent_problems("pi_1", "INV/2026/00001-1", 120000, "EUR"), (sg.PROBLEM_INTENT,))


@tagged("post_install", "-at_install")
class TestStripeGateway(BaseCase):
    def test_retrieves_the_intent_in_odoo_api_version_with_its_payment_method(self):
        session = ft.FakeHttpSession().add(
            ft.STRIPE_PAYMENT_INTENT, ft.stripe_payment_intent("pi_42", amount=4200, description="REF-1")
        )
        gateway = sg.StripeGateway("sk_test_gateway", "2019-05-16", http_session=session, retries=0)
        data = gateway.payment_intent("pi_42")
        self.assertEqual((data["status"], data["amount"], data["description"]), ("succeeded", 4200, "REF-1"))
        self.assertEqual(data["payment_method"]["card"]["brand"], "visa")
        self.assertIsInstance(data, dict)
        call = session.calls[-1]
        self.assertEqual(call.path, "/v1/payment_intents/pi_42")
        self.assertEqual(call.query, {"expand[0]": "payment_method"})
        self.assertEqual(call.headers["Stripe-Version"], "2019-05-16")
        self.assertEqual(call.headers["Authorization"], "Bearer sk_test_gateway")

    def test_errors_become_gateway_errors_without_the_key(self):
        session = ft.FakeHttpSession()
        gateway = sg.StripeGateway("sk_test_gateway", "2019-05-16", http_session=session, retries=0)
        with self.assertRaises(sg.GatewayError) as caught:
            gateway.payment_intent("pi_missing")
        self.assertNotIn("sk_test_gateway", str(caught.exception))
        session.add(r"GET .*", (500, {"error": {"type": "api_error", "message": "Stripe is down"}}))
        with self.assertRaises(sg.GatewayError):
            gateway.payment_intent("pi_any")
        self.assertEqual(len(session.calls), 2, "no retry when told not to")
