"""The transport fakes run the real Twilio and Stripe library code."""

import json

from odoo.tests import BaseCase, tagged

from . import fake_transport as ft


@tagged("post_install", "-at_install")
class TestFakeTransport(BaseCase):
    def test_twilio_message_goes_through_the_library(self):
        session = ft.FakeHttpSession().add(ft.TWILIO_MESSAGES, ft.twilio_message_responder())
        client = ft.twilio_client(session)
        message = client.messages.create(to="+33612345678", from_="+33700000000", body="Code: 123456")
        self.assertEqual(message.sid, "SM" + "0" * 31 + "1")
        self.assertEqual(message.status, "queued")
        call = session.calls[-1]
        self.assertEqual(call.method, "POST")
        self.assertEqual(call.form, {"To": "+33612345678", "From": "+33700000000", "Body": "Code: 123456"})
        # The library authenticated with HTTP Basic (account SID and token).
        self.assertTrue(call.headers["Authorization"].startswith("Basic "))

    def test_twilio_error_raises_the_library_exception(self):
        from twilio.base.exceptions import TwilioRestException  # noqa: PLC0415

        session = ft.FakeHttpSession().add(ft.TWILIO_MESSAGES, ft.twilio_error())
        client = ft.twilio_client(session)
        with self.assertRaises(TwilioRestException) as caught:
            client.messages.create(to="+331", from_="+33700000000", body="x")
        self.assertEqual(caught.exception.code, 21211)

    def test_stripe_payment_intent_goes_through_the_library(self):
        session = ft.FakeHttpSession().add(
            ft.STRIPE_PAYMENT_INTENT, ft.stripe_payment_intent("pi_123", status="succeeded", amount=4200)
        )
        client = ft.stripe_client(session)
        intent = client.v1.payment_intents.retrieve("pi_123")
        self.assertEqual(intent.status, "succeeded")
        self.assertEqual(intent.amount_received, 4200)
        call = session.calls[-1]
        self.assertEqual(call.path, "/v1/payment_intents/pi_123")
        self.assertEqual(call.headers["Authorization"], "Bearer sk_test_fake")

    def test_unknown_route_is_a_404_for_the_library(self):
        import stripe  # noqa: PLC0415

        client = ft.stripe_client(ft.FakeHttpSession())
        with self.assertRaises(stripe.InvalidRequestError):
            client.v1.payment_intents.retrieve("pi_missing")

    def test_stripe_webhook_signed_by_the_library_verifies(self):
        import stripe  # noqa: PLC0415

        payload = {
            "id": "evt_1",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {}},
        }
        body, header = ft.stripe_signed_event(payload, "whsec_test")
        event = stripe.Webhook.construct_event(body, header, "whsec_test")
        self.assertEqual(event.id, "evt_1")
        with self.assertRaises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, header, "whsec_other")
        stale_body, stale_header = ft.stripe_signed_event(json.dumps(payload), "whsec_test", timestamp=1)
        with self.assertRaises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(stale_body, stale_header, "whsec_test", tolerance=300)
