"""Stripe's webhook, as Stripe and as a stranger would call it.

Events are signed with the stripe library's own helper, so the signature
check runs for real; Odoo's own Stripe code applies them.
"""

import time

from odoo.tests import tagged
from odoo.tools import mute_logger

from . import fake_transport as ft
from .common import STRIPE_WEBHOOK_SECRET, PbdHttpTestCommon, PbdStripeMixin

WEBHOOK = "/payment/stripe/webhook"
QUIET = (
    "odoo.addons.payment_before_document.controllers.stripe_webhook",
    "odoo.addons.payment.models.payment_transaction",
)


@tagged("post_install", "-at_install")
class TestStripeWebhook(PbdStripeMixin, PbdHttpTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_stripe_setup()

    def setUp(self):
        super().setUp()
        self._pbd_paying_client()
        self.now = int(time.time())

    # ------------------------------------------------------------------
    def _intent_event(self, event_id, status, created=None, event_type=None, tx=None, **values):
        tx = tx or self.tx
        intent = ft.stripe_payment_intent(
            tx.provider_reference,
            status=status,
            amount=round(tx.amount * 100),
            currency=tx.currency_id.name.lower(),
            description=tx.reference,
            **values,
        )[1]
        intent["payment_method"] = "pm_fake"  # webhooks carry the id, not the object
        event_type = (
            event_type
            or {
                "succeeded": "payment_intent.succeeded",
                "processing": "payment_intent.processing",
                "requires_payment_method": "payment_intent.payment_failed",
                "canceled": "payment_intent.canceled",
            }[status]
        )
        return ft.stripe_event(event_type, intent, event_id, created or self.now)

    def _post(self, event, secret=STRIPE_WEBHOOK_SECRET, timestamp=None, header=None):
        body, signature = ft.stripe_signed_event(event, secret, timestamp=timestamp)
        headers = {"Content-Type": "application/json"}
        if header is not False:
            headers["Stripe-Signature"] = header or signature
        return self.url_open(WEBHOOK, data=body, headers=headers)

    def _log(self, tx=None):
        return self.env["pbd.stripe.event"].search([("transaction_id", "=", (tx or self.tx).id)])

    def _confirmed_messages(self):
        return self.invoice.message_ids.filtered(lambda m: "has been confirmed" in (m.body or ""))

    # ------------------------------------------------------------------
    def test_a_signed_success_releases_the_documents_without_the_client(self):
        """The client closed the page: the webhook alone gets the documents released."""
        response = self._post(self._intent_event("evt_ok", "succeeded"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.tx.state, "done")
        cron = self.env.ref("payment.cron_post_process_payment_tx")
        self.assertTrue(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            "Odoo's post-processing job is woken at once",
        )
        log = self._log()
        self.assertEqual(
            (log.event_id, log.outcome, log.state_before, log.state_after, log.stripe_status),
            ("evt_ok", "processed", "pending", "done", "succeeded"),
        )
        self.tx._post_process()  # what that job does
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.deliverable.state, "released")
        self.assertEqual(len(self.tx.payment_id), 1)

    def test_a_retried_event_changes_nothing_twice(self):
        event = self._intent_event("evt_dup", "succeeded")
        self._post(event)
        changed_at = self.tx.last_state_change
        for _retry in range(2):
            response = self._post(event)
            self.assertEqual(response.status_code, 200, "acknowledged, so that Stripe stops retrying")
        self.assertEqual(len(self._log()), 1)
        self.assertEqual(self.tx.last_state_change, changed_at)
        self.assertEqual(len(self._confirmed_messages()), 1)

    def test_events_out_of_order_do_not_undo_a_later_one(self):
        # Stripe sent "processing" (t), then "failed" (t+10), then "succeeded" (t+20)
        # after the client retried; they arrive as succeeded, processing, failed.
        self._post(self._intent_event("evt_3", "succeeded", created=self.now + 20))
        self._post(self._intent_event("evt_1", "processing", created=self.now))
        failed = self._intent_event(
            "evt_2",
            "requires_payment_method",
            created=self.now + 10,
            last_payment_error={"message": "Declined"},
        )
        self._post(failed)
        self.assertEqual(self.tx.state, "done")
        outcomes = dict(self._log().mapped(lambda row: (row.event_id, row.outcome)))
        self.assertEqual(outcomes, {"evt_3": "processed", "evt_1": "out_of_order", "evt_2": "out_of_order"})

    def test_an_older_failure_does_not_fail_a_payment_still_processing(self):
        """Without the order check, Odoo would move this pending payment to error."""
        self._post(self._intent_event("evt_b", "processing", created=self.now + 5))
        failed = self._intent_event(
            "evt_a", "requires_payment_method", created=self.now, last_payment_error={"message": "Declined"}
        )
        self._post(failed)
        self.assertEqual(self.tx.state, "pending")
        self.assertEqual(self._log().filtered(lambda r: r.event_id == "evt_a").outcome, "out_of_order")

    @mute_logger(*QUIET)
    def test_strangers_cannot_confirm_a_payment(self):
        event = self._intent_event("evt_forged", "succeeded")
        cases = {
            "another secret": {"secret": "whsec_guessed"},
            "an old signature": {"timestamp": self.now - 600},
            "no signature": {"header": False},
            "a garbage header": {"header": "t=1,v1=00"},
        }
        for name, kwargs in cases.items():
            with self.subTest(name):
                response = self._post(event, **kwargs)
                self.assertEqual(response.status_code, 403)
                self.assertEqual(self.tx.state, "pending")
        self.assertFalse(self._log(), "nothing is recorded for a refused event")
        self.assertEqual(self.deliverable.state, "locked")

    @mute_logger(*QUIET)
    def test_no_webhook_secret_means_no_event(self):
        """Odoo alone would apply unsigned events when the secret is not set: we refuse them."""
        self.stripe_provider.stripe_webhook_secret = False
        response = self._post(self._intent_event("evt_nosecret", "succeeded"), secret="whatever")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.tx.state, "pending")

    @mute_logger(*QUIET)
    def test_a_secret_of_another_provider_does_not_sign_for_this_one(self):
        other_company = self.setup_other_company()["company"]
        other = self.stripe_provider.copy({"company_id": other_company.id})
        other.write({"state": "test", "stripe_webhook_secret": "whsec_other_company"})
        response = self._post(self._intent_event("evt_cross", "succeeded"), secret="whsec_other_company")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.tx.state, "pending")

    @mute_logger(*QUIET)
    def test_unknown_types_foreign_payments_and_garbage(self):
        unknown = ft.stripe_event(
            "customer.created", {"id": "cus_1", "object": "customer"}, "evt_cus", self.now
        )
        self.assertEqual(self._post(unknown).status_code, 200)
        foreign = self._intent_event("evt_foreign", "succeeded")
        foreign["data"]["object"]["description"] = "ORDER-FROM-ANOTHER-APP"
        self.assertEqual(self._post(foreign).status_code, 200)
        garbage = self.url_open(WEBHOOK, data=b"{not json", headers={"Content-Type": "application/json"})
        self.assertEqual(garbage.status_code, 400)
        self.assertEqual(self.tx.state, "pending")
        self.assertFalse(
            self.env["pbd.stripe.event"].search([("event_id", "in", ["evt_cus", "evt_foreign"])])
        )

    def test_a_saved_card_is_tokenized_from_a_signed_setup_intent(self):
        """Odoo's flow that fetches the payment method from Stripe, with a real signature."""
        validation = self.env["payment.transaction"].create(
            {
                "provider_id": self.stripe_provider.id,
                "payment_method_id": self.card_method.id,
                "amount": 0.0,
                "currency_id": self.invoice.currency_id.id,
                "partner_id": self.client_company.id,
                "reference": "VALIDATION-PBD-1",
                "operation": "validation",
                "tokenize": True,
            }
        )
        self.stripe_api.add(
            r"GET https://api\.stripe\.com/v1/payment_methods/pm_saved",
            (200, {"id": "pm_saved", "type": "card", "card": {"brand": "visa", "last4": "4242"}}),
        )
        setup_intent = {
            "id": "seti_pbd_1",
            "object": "setup_intent",
            "status": "succeeded",
            "customer": "cus_saved",
            "payment_method": "pm_saved",
            "description": validation.reference,
        }
        event = ft.stripe_event("setup_intent.succeeded", setup_intent, "evt_setup", self.now)
        self.assertEqual(self._post(event).status_code, 200)
        self.assertEqual(validation.state, "done")
        self.assertEqual(validation.token_id.stripe_payment_method, "pm_saved")
        self.assertEqual(validation.token_id.payment_details, "4242")

    def test_a_refund_that_failed_later_is_recorded(self):
        self.tx.write({"state": "done"})
        refund_tx = self.tx._create_child_transaction(1200.0, is_refund=True, provider_reference="re_pbd_9")
        refund_tx._set_done()
        refund = {"id": "re_pbd_9", "object": "refund", "amount": 120000, "status": "failed"}
        event = ft.stripe_event("charge.refund.updated", refund, "evt_refund_failed", self.now)
        self.assertEqual(self._post(event).status_code, 200)
        self.assertEqual(refund_tx.state, "error")
        self.assertEqual(self._log(refund_tx).outcome, "processed")

    def test_a_refund_relocks_once_reflected_on_the_invoice(self):
        self._post(self._intent_event("evt_paid", "succeeded"))
        self.tx._post_process()
        self.assertEqual(self.deliverable.state, "released")
        refund = {
            "id": "re_pbd_1",
            "object": "refund",
            "amount": 120000,
            "currency": "eur",
            "payment_intent": self.tx.provider_reference,
            "status": "succeeded",
        }
        charge = {
            "id": "ch_pbd_1",
            "object": "charge",
            "amount": 120000,
            "description": self.tx.reference,
            "refunds": {"object": "list", "data": [refund], "has_more": False},
            "status": "succeeded",
        }
        event = ft.stripe_event("charge.refunded", charge, "evt_refund", self.now + 60)
        self.assertEqual(self._post(event).status_code, 200)
        self.assertEqual(self._post(event).status_code, 200, "a retried refund event is acknowledged")
        refund_tx = self.tx.child_transaction_ids
        self.assertEqual((len(refund_tx), refund_tx.state, refund_tx.amount), (1, "done", -1200.0))
        refund_tx._post_process()
        self.assertEqual(refund_tx.payment_id.payment_type, "outbound")
        # Stripe's refund alone does not take the documents back...
        self.assertEqual(self.deliverable.state, "released")
        activity = self.invoice.activity_ids.filtered(lambda a: a.summary == "Reflect the Stripe refund")
        self.assertEqual(len(activity), 1, "the accountant is asked to reflect it")
        # ...the accountant reflecting it on the invoice does: the card payment is
        # matched with its refund, the invoice with a credit note.
        self.tx.payment_id.move_id.line_ids.remove_move_reconcile()
        self.invoice._reverse_moves(cancel=True)
        self.assertEqual(self.invoice.payment_state, "reversed")
        self.assertEqual(self.deliverable.state, "locked")
