"""A Stripe payment confirms only itself, and a disputed payment gives nothing more.

The attacker is a client of the firm: they pay a small invoice of their own
by card (so they know its PaymentIntent id from the browser), open the
payment of a large invoice, and hand the small intent to the large
transaction, through Odoo's own return route or in a webhook body. Stripe
is answered at the HTTP layer only; webhooks are signed with the library's
own helper (with the right secret: the check under test is the one after
the signature).
"""

import re
import time
from urllib.parse import parse_qs

from odoo.tests import tagged
from odoo.tools import mute_logger

from . import fake_transport as ft
from .common import STRIPE_WEBHOOK_SECRET, PbdHttpTestCommon, PbdStripeMixin

RETURN = "/payment/stripe/return"
WEBHOOK = "/payment/stripe/webhook"
QUIET = (
    "odoo.addons.payment_before_document.controllers.stripe_webhook",
    "odoo.addons.payment_before_document.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
    "odoo.addons.payment_stripe.controllers.main",
)


class StripeSignedCase(PbdStripeMixin, PbdHttpTestCommon):
    """Stripe faked at HTTP; webhooks signed with the provider's own secret."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_stripe_setup()

    def setUp(self):
        super().setUp()
        self._pbd_stripe_reset()
        self.now = int(time.time())

    def _post(self, event, secret=STRIPE_WEBHOOK_SECRET):
        body, signature = ft.stripe_signed_event(event, secret)
        return self.url_open(
            WEBHOOK, data=body, headers={"Content-Type": "application/json", "Stripe-Signature": signature}
        )


@tagged("post_install", "-at_install")
class TestStripeGate(StripeSignedCase):
    def setUp(self):
        super().setUp()
        # The client's own 10 € invoice, paid by card: they know its intent id.
        self.small_invoice = self._pbd_invoice(amount=10.0)
        self.small_tx = self._pbd_stripe_tx(self.small_invoice)
        self.stripe_intents.set(
            self.small_tx.provider_reference,
            status="succeeded",
            amount=1000,
            currency=self.small_tx.currency_id.name.lower(),
            description=self.small_tx.reference,
        )
        # The 3,000 € invoice whose documents they want.
        self.invoice = self._pbd_invoice(amount=3000.0)
        self.deliverable = self.invoice.pbd_deliverable_ids
        self.tx = self._pbd_stripe_tx(self.invoice, state="draft")

    # ------------------------------------------------------------------
    def _return(self, reference, intent_id):
        return self.url_open(
            f"{RETURN}?reference={reference}&payment_intent={intent_id}", allow_redirects=False
        )

    def _intent(self, tx, **values):
        intent = dict(self.stripe_intents.intents[tx.provider_reference])
        intent.update(values)
        return intent

    def _mismatch_activities(self, invoice=None):
        return (invoice or self.invoice).activity_ids.filtered(
            lambda a: a.summary == "Stripe payment that does not match"
        )

    def _assert_refused(self, what, source, small_untouched=True):
        self.assertIn(self.tx.state, ("draft", "pending"), "the transaction stays as it was")
        self.assertFalse(self.tx.payment_id)
        self.tx.invalidate_recordset()
        self.assertNotIn(self.invoice.payment_state, ("paid", "in_payment", "partial"))
        self.assertEqual(self.deliverable.state, "locked")
        rows = self.tx.pbd_stripe_event_ids.filtered(lambda r: r.outcome == "mismatch")
        self.assertEqual(len(rows), 1, "one mismatch row in the Stripe log")
        self.assertEqual(rows.source, source)
        self.assertIn(what, rows.message)
        self.assertEqual(len(self._mismatch_activities()), 1, "the accountant gets an activity")
        if small_untouched:
            self.assertEqual(self.small_tx.state, "pending", "the small payment is not applied either")

    # ------------------------------------------------------------------
    # The return route
    # ------------------------------------------------------------------
    @mute_logger(*QUIET)
    def test_another_payments_intent_on_the_return_route_unlocks_nothing(self):
        response = self._return(self.tx.reference, self.small_tx.provider_reference)
        self.assertIn(response.status_code, (302, 303))
        self._assert_refused("reference", "return")
        # The page the client is sent to confirms nothing either.
        self.tx._post_process()
        self.assertEqual(self.deliverable.state, "locked")

    @mute_logger(*QUIET)
    def test_variants_of_a_wrong_intent_on_the_return_route(self):
        """An intent of this reference but of another amount, currency, or not paid in full."""
        large = self.tx.provider_reference
        amount = round(self.tx.amount * 100)
        cases = {
            "its amount": {"amount": 1000, "amount_received": 1000},
            "its currency": {"currency": "jpy", "amount_received": amount},
            "received": {"amount_received": 1000},
        }
        for what, values in cases.items():
            with self.subTest(what):
                self.stripe_intents.intents[large] = self._intent(self.tx, status="succeeded", **values)
                self._return(self.tx.reference, large)
                rows = self.tx.pbd_stripe_event_ids.filtered(lambda r: r.outcome == "mismatch")
                self.assertIn(what, rows[:1].message)
                self.assertIn(self.tx.state, ("draft", "pending"))
                self.assertEqual(self.deliverable.state, "locked")
        self.assertEqual(len(self._mismatch_activities()), 1, "one open activity, not one per attempt")

    @mute_logger(*QUIET)
    def test_an_intent_bound_to_another_transaction_is_refused(self):
        """Even a perfect copy of this transaction's description and amount."""
        forged_id = self.small_tx.provider_reference
        self.stripe_intents.set(
            forged_id,
            status="succeeded",
            amount=round(self.tx.amount * 100),
            currency=self.tx.currency_id.name.lower(),
            description=self.tx.reference,
        )
        self._return(self.tx.reference, forged_id)
        self._assert_refused("another transaction", "return")

    def test_the_genuine_return_confirms_and_releases(self):
        self.stripe_intents.set(
            self.tx.provider_reference,
            status="succeeded",
            amount=round(self.tx.amount * 100),
            currency=self.tx.currency_id.name.lower(),
            description=self.tx.reference,
        )
        response = self._return(self.tx.reference, self.tx.provider_reference)
        self.assertIn(response.status_code, (302, 303))
        self.assertEqual(self.tx.state, "done")
        self.tx._post_process()
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.deliverable.state, "released")
        self.assertFalse(self.tx.pbd_stripe_event_ids.filtered(lambda r: r.outcome == "mismatch"))

    # ------------------------------------------------------------------
    # The webhook
    # ------------------------------------------------------------------
    @mute_logger(*QUIET)
    def test_a_signed_event_carrying_another_transactions_intent_is_refused(self):
        cases = {
            # the small intent, relabelled with the large reference
            "amount": self._intent(self.small_tx, description=self.tx.reference),
            # the small intent's id with everything else copied from the large one
            "another transaction": self._intent(
                self.small_tx,
                description=self.tx.reference,
                amount=round(self.tx.amount * 100),
                amount_received=round(self.tx.amount * 100),
            ),
        }
        for number, (what, intent) in enumerate(cases.items()):
            with self.subTest(what):
                intent["payment_method"] = "pm_fake"
                event = ft.stripe_event("payment_intent.succeeded", intent, f"evt_forged_{number}", self.now)
                response = self._post(event)
                self.assertEqual(response.status_code, 200, "acknowledged: Stripe must not retry it")
                row = self.tx.pbd_stripe_event_ids.filtered(lambda r, e=event: r.event_id == e["id"])
                self.assertEqual(row.outcome, "mismatch")
                self.assertIn(what, row.message)
                self.assertIn(self.tx.state, ("draft", "pending"))
                self.assertEqual(self.deliverable.state, "locked")
        self.assertEqual(len(self._mismatch_activities()), 1)

    def test_the_genuine_webhook_confirms(self):
        intent = self._intent(self.tx, status="succeeded", amount_received=round(self.tx.amount * 100))
        intent["payment_method"] = "pm_fake"
        response = self._post(ft.stripe_event("payment_intent.succeeded", intent, "evt_genuine", self.now))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.tx.state, "done")
        self.tx._post_process()
        self.assertEqual(self.deliverable.state, "released")

    # ------------------------------------------------------------------
    # Captures and voids asked by the accountant
    # ------------------------------------------------------------------
    def _stripe_answers(self, action, tx, **values):
        self.stripe_api.routes.insert(
            0,
            ft.Route(
                re.compile(
                    rf"POST https://api\.stripe\.com/v1/payment_intents/{tx.provider_reference}/{action}"
                ),
                (200, self._intent(tx, **values)),
            ),
        )

    def test_capture_and_void_apply_only_the_transactions_own_intent(self):
        """Odoo's own mocked capture/void tests answer with a bare intent; a real one is complete."""
        self.stripe_provider.capture_manually = True
        amount = round(self.tx.amount * 100)
        self.tx.state = "authorized"
        self._stripe_answers("capture", self.tx, status="succeeded", amount_received=amount)
        self.tx._send_capture_request()
        self.assertEqual(self.tx.state, "done")
        self.tx._post_process()
        self.assertEqual(self.deliverable.state, "released")

        other = self._pbd_stripe_tx(self._pbd_invoice(amount=500.0), state="authorized")
        self._stripe_answers("cancel", other, status="canceled")
        other._send_void_request()
        self.assertEqual(other.state, "cancel")

    @mute_logger(*QUIET)
    def test_a_capture_answered_with_another_payment_changes_nothing(self):
        self.stripe_provider.capture_manually = True
        self.tx.state = "authorized"
        self._stripe_answers("capture", self.tx, status="succeeded", amount=1000, amount_received=1000)
        self.tx._send_capture_request()
        self.assertEqual(self.tx.state, "authorized")
        row = self.tx.pbd_stripe_event_ids
        self.assertEqual((row.outcome, row.source), ("mismatch", "manual"))
        self.assertEqual(self.deliverable.state, "locked")
        self.assertEqual(len(self._mismatch_activities()), 1)

    # ------------------------------------------------------------------
    # The job and the accountant's button
    # ------------------------------------------------------------------
    def test_the_job_refuses_the_same_and_tells_the_accountant(self):
        self.stripe_intents.intents[self.tx.provider_reference] = self._intent(
            self.small_tx, id=self.tx.provider_reference
        )
        self.env["payment.transaction"]._cron_pbd_stripe_reconcile()
        # (the small payment, genuinely paid, is confirmed by the same run)
        self._assert_refused("reference", "job", small_untouched=False)

    def test_the_job_refuses_an_intent_two_transactions_hold(self):
        """The job checks its batch in one query: a shared intent id is still refused."""
        shared = self.small_tx.provider_reference
        self.tx.provider_reference = shared
        self.stripe_intents.set(
            shared,
            status="succeeded",
            amount=round(self.tx.amount * 100),
            currency=self.tx.currency_id.name.lower(),
            description=self.tx.reference,
        )
        self.env["payment.transaction"]._cron_pbd_stripe_reconcile()
        self._assert_refused("another transaction", "job", small_untouched=False)

    def test_the_genuine_job_confirms(self):
        self.stripe_intents.set(
            self.tx.provider_reference,
            status="succeeded",
            amount=round(self.tx.amount * 100),
            currency=self.tx.currency_id.name.lower(),
            description=self.tx.reference,
        )
        self.tx.action_pbd_stripe_check()
        self.assertEqual(self.tx.state, "done")
        self.assertEqual(self.deliverable.state, "released")


@tagged("post_install", "-at_install")
class TestStripeDispute(StripeSignedCase):
    """A client pays by card, downloads, then disputes the charge with their bank."""

    def setUp(self):
        super().setUp()
        self.invoice = self._pbd_invoice(
            amount=2400.0, deliverables=[{"name": "Rapport final"}, {"name": "Plans annexes"}]
        )
        self.report, self.plans = self.invoice.pbd_deliverable_ids
        self.tx = self._pbd_stripe_tx(self.invoice)
        self.stripe_intents.set(
            self.tx.provider_reference,
            status="succeeded",
            amount=round(self.tx.amount * 100),
            currency=self.tx.currency_id.name.lower(),
            description=self.tx.reference,
        )
        self.tx.action_pbd_stripe_check()
        self.assertEqual(self.report.state, "released")
        # The client downloads the report, not the plans.
        self.authenticate(self.portal_user.login, self.portal_user.login)
        response = self.url_open(
            f"/my/documents/{self.report.id}/download", headers={"User-Agent": "Firefox/140 (dispute test)"}
        )
        self.assertEqual(response.content, self.pdf_bytes)
        self.authenticate(None, None)

    def _dispute_event(self, event_id, status, created_offset=0, **values):
        dispute = {
            "id": "dp_pbd_1",
            "object": "dispute",
            "amount": round(self.tx.amount * 100),
            "currency": "eur",
            "charge": "ch_pbd_1",
            "payment_intent": self.tx.provider_reference,
            "reason": "product_not_received",
            "status": status,
            "evidence_details": {"due_by": self.now + 7 * 86400},
            **values,
        }
        event_type = "charge.dispute.closed" if status in ("won", "lost") else "charge.dispute.created"
        return ft.stripe_event(event_type, dispute, event_id, self.now + created_offset)

    def _activities(self, summary):
        return self.invoice.activity_ids.filtered(lambda a: a.summary == summary)

    def test_a_dispute_locks_what_was_not_downloaded_and_hands_over_the_download_log(self):
        event = self._dispute_event("evt_dp_created", "needs_response")
        self.assertEqual(self._post(event).status_code, 200)
        self.assertEqual(self._post(event).status_code, 200, "a retried event is acknowledged")
        self.assertEqual(self.plans.state, "locked", "not downloaded: locked again")
        self.assertEqual(self.report.state, "released", "already in the client's hands")
        row = self.tx.pbd_stripe_event_ids.filtered(lambda r: r.event_id == "evt_dp_created")
        self.assertEqual(
            (len(row), row.event_type, row.stripe_status), (1, "charge.dispute.created", "needs_response")
        )
        self.assertIn("dp_pbd_1", row.message)
        activity = self._activities("Stripe dispute: answer with the download log")
        self.assertEqual(len(activity), 1)
        self.assertIn("Rapport final", activity.note)
        self.assertIn("Firefox/140 (dispute test)", activity.note, "the evidence: who downloaded, with what")
        self.assertIn("127.0.0.1", activity.note)
        self.assertIn("never downloaded", activity.note)
        # The client cannot fetch the held document any more.
        self.authenticate(self.portal_user.login, self.portal_user.login)
        response = self.url_open(f"/my/documents/{self.plans.id}/download", allow_redirects=False)
        self.assertNotEqual(response.content, self.pdf_bytes)
        self.assertIn(response.status_code, (302, 303))
        page = self.url_open(self.invoice.get_portal_url()).text
        self.assertIn("On hold: the card payment is disputed", page, "the client is told why")

        # Won: the held document is available again.
        self.assertEqual(self._post(self._dispute_event("evt_dp_won", "won", 60)).status_code, 200)
        self.assertEqual(self.plans.state, "released")
        self.assertFalse(self.plans.dispute_hold)

    def test_a_lost_dispute_keeps_them_locked_and_asks_to_reflect_it(self):
        self._post(self._dispute_event("evt_dp_1", "needs_response"))
        self._post(self._dispute_event("evt_dp_2", "lost", 60))
        self.assertEqual(self.plans.state, "locked")
        self.assertEqual(len(self._activities("Stripe dispute lost: reflect it on the invoice")), 1)

    def test_a_late_update_does_not_undo_a_won_dispute(self):
        self._post(self._dispute_event("evt_dp_won", "won", 60))
        self._post(self._dispute_event("evt_dp_old", "needs_response", 0))
        self.assertEqual(self.plans.state, "released")

    @mute_logger(*QUIET)
    def test_a_forged_dispute_changes_nothing(self):
        response = self._post(self._dispute_event("evt_dp_forged", "needs_response"), secret="whsec_guess")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.plans.state, "released")
        self.assertFalse(self.plans.dispute_hold)
        self.assertFalse(self._activities("Stripe dispute: answer with the download log"))
        foreign = self._dispute_event("evt_dp_foreign", "needs_response", payment_intent="pi_elsewhere")
        self.assertEqual(self._post(foreign).status_code, 200, "another application's dispute: acknowledged")
        self.assertEqual(self.plans.state, "released")

    def test_the_webhook_odoo_creates_also_sends_disputes(self):
        self.stripe_provider.stripe_webhook_secret = False
        self.stripe_api.add(
            r"POST https://api\.stripe\.com/v1/webhook_endpoints",
            (200, {"id": "we_1", "secret": "whsec_new"}),
        )
        self.stripe_provider.action_stripe_create_webhook()
        call = next(call for call in self.stripe_api.calls if call.path == "/v1/webhook_endpoints")
        events = parse_qs(call.body.decode())["enabled_events[]"]
        self.assertIn("payment_intent.succeeded", events, "Odoo's own events are kept")
        for event in ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"):
            self.assertIn(event, events)
        self.assertEqual(self.stripe_provider.stripe_webhook_secret, "whsec_new")
