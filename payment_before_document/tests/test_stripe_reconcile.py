"""The reconciliation job: a paying client is never left locked by a lost webhook.

Stripe's API is answered at the HTTP layer (see ``PbdStripeMixin``): the
stripe library builds and parses every request for real.
"""

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PbdStripeMixin, PbdTestCommon


@tagged("post_install", "-at_install")
class TestStripeReconcile(PbdStripeMixin, PbdTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_stripe_setup()

    def setUp(self):
        super().setUp()
        self._pbd_paying_client()
        self.cron = self.env.ref("payment.cron_post_process_payment_tx")

    def _run(self):
        return self.env["payment.transaction"]._cron_pbd_stripe_reconcile()

    def _stripe_says(self, tx, **values):
        intent = self.stripe_intents.intents[tx.provider_reference]
        intent.update(values)
        if values.get("status") == "succeeded":
            intent["amount_received"] = intent["amount"]

    def _triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def test_a_lost_webhook_is_recovered_and_the_documents_released(self):
        self._stripe_says(self.tx, status="succeeded")
        triggers = self._triggers()
        checked = self._run()
        self.assertEqual(checked, self.tx)
        self.assertEqual(len(self.stripe_api.calls), 1, "one API call for the transaction")
        self.assertEqual(self.stripe_api.calls[0].path, f"/v1/payment_intents/{self.tx.provider_reference}")
        self.assertEqual(self.tx.state, "done")
        self.assertEqual(self.tx.payment_method_id.code, "visa", "Odoo's processing ran on Stripe's answer")
        log = self.tx.pbd_stripe_event_ids
        self.assertEqual(
            (log.source, log.outcome, log.state_before, log.state_after, log.stripe_status),
            ("job", "updated", "pending", "done", "succeeded"),
        )
        self.assertGreater(self._triggers(), triggers, "Odoo's post-processing is woken at once")
        self.tx._post_process()  # what that job does
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.deliverable.state, "released")
        self.stripe_api.calls.clear()
        self.assertFalse(self._run(), "a confirmed payment is not asked about again")
        self.assertFalse(self.stripe_api.calls)

    def test_a_draft_whose_return_and_webhook_were_both_lost(self):
        """The client paid then closed the tab before coming back: the transaction is still a draft."""
        draft = self._pbd_stripe_tx(self._pbd_invoice(amount=300.0), state="draft")
        self._stripe_says(draft, status="succeeded")
        self._run()
        self.assertEqual(draft.state, "done")

    def test_the_intent_id_is_kept_from_the_moment_the_payment_form_opens(self):
        """Odoo's Stripe code creates the PaymentIntent; its id is kept on the draft at once."""
        invoice = self._pbd_invoice(amount=300.0)
        draft = self._pbd_stripe_tx(invoice, state="draft", provider_reference=False)
        self.stripe_api.add(r"POST https://api\.stripe\.com/v1/customers", (200, {"id": "cus_new"}))
        self.stripe_api.add(
            r"POST https://api\.stripe\.com/v1/payment_intents",
            (
                200,
                {
                    "id": "pi_created",
                    "client_secret": "pi_created_secret",
                    "status": "requires_payment_method",
                },
            ),
        )
        values = draft._get_processing_values()
        self.assertEqual(values["client_secret"], "pi_created_secret")
        self.assertEqual(draft.provider_reference, "pi_created")
        self.stripe_intents.set(
            "pi_created", status="succeeded", amount=30000, currency="usd", description=draft.reference
        )
        self.stripe_intents.intents["pi_created"]["currency"] = draft.currency_id.name.lower()
        self._pbd_age(draft, minutes=20)
        self._run()
        self.assertEqual(draft.state, "done")

    def test_still_processing_is_asked_again_later_and_less_often(self):
        self._run()
        self.assertEqual(self.tx.state, "pending")
        self.assertEqual(self.tx.pbd_stripe_event_ids.outcome, "unchanged")
        first_next = self.tx.pbd_stripe_next_check
        self.assertTrue(first_next)
        self.stripe_api.calls.clear()
        self._run()
        self.assertFalse(self.stripe_api.calls, "not before the next check is due")
        self._pbd_age(self.tx, days=4)
        self.tx.pbd_stripe_next_check = False
        self._run()
        self.assertEqual(len(self.stripe_api.calls), 1)
        self.assertGreater(
            self.tx.pbd_stripe_next_check - self.tx.create_date,
            first_next - self.tx.create_date,
            "an older transaction is asked about less often",
        )

    def test_a_client_still_on_the_payment_page_is_left_alone(self):
        draft = self._pbd_stripe_tx(self._pbd_invoice(amount=300.0), state="draft")
        self._stripe_says(draft, status="requires_payment_method")
        self._run()
        self.assertEqual(draft.state, "draft", "no error while the client has not tried to pay")
        self._stripe_says(draft, status="requires_payment_method", last_payment_error={"message": "Declined"})
        draft.pbd_stripe_next_check = False
        self._run()
        self.assertEqual(draft.state, "error")
        self.assertEqual(draft.state_message, "Declined")

    def test_a_payment_that_is_not_the_transaction_is_not_applied(self):
        self._stripe_says(self.tx, status="succeeded", amount=100, amount_received=100)
        self._run()
        self.assertEqual(self.tx.state, "pending")
        log = self.tx.pbd_stripe_event_ids
        self.assertEqual(log.outcome, "mismatch")
        self.assertIn("amount", log.message)
        self.assertEqual(self.deliverable.state, "locked")

    def test_stripe_unreachable_or_unknown_intent(self):
        del self.stripe_intents.intents[self.tx.provider_reference]
        self._run()
        log = self.tx.pbd_stripe_event_ids
        self.assertEqual((log.outcome, self.tx.state), ("error", "pending"))
        self.assertIn("No such payment_intent", log.message)
        self.assertNotIn("sk_test_pbd", log.message)
        self.assertTrue(self.tx.pbd_stripe_next_check, "asked again later")

    def test_a_payment_odoo_cannot_apply_does_not_stop_the_others(self):
        broken = self._pbd_stripe_tx(self._pbd_invoice(amount=60.0), age_minutes=60)
        self._stripe_says(
            broken, status="succeeded", payment_method={"id": "pm_x", "type": "card", "card": {}}
        )
        self._stripe_says(self.tx, status="succeeded")
        with mute_logger("odoo.addons.payment_before_document.models.payment_transaction"):
            self._run()
        self.assertEqual(self.tx.state, "done", "the next one is applied")
        log = broken.pbd_stripe_event_ids
        self.assertEqual((log.outcome, broken.state), ("error", "pending"))
        self.assertIn("KeyError", log.message)

    def test_what_the_job_leaves_alone(self):
        young = self._pbd_stripe_tx(self._pbd_invoice(amount=10.0), age_minutes=2)
        old = self._pbd_stripe_tx(self._pbd_invoice(amount=20.0), age_minutes=16 * 24 * 60)
        self._pbd_stripe_tx(self._pbd_invoice(amount=30.0), provider_reference=False)  # no intent id
        refund = self._pbd_stripe_tx(self._pbd_invoice(amount=40.0), operation="refund")
        done = self._pbd_stripe_tx(self._pbd_invoice(amount=50.0), state="done")
        for tx in young | old | refund | done:
            self._stripe_says(tx, status="succeeded")
        self.assertEqual(self._run(), self.tx)
        self.assertEqual(len(self.stripe_api.calls), 1)
        self.stripe_provider.state = "disabled"
        self.tx.pbd_stripe_next_check = False
        self.assertFalse(self._run(), "a disabled provider is not asked")

    def test_batches_report_what_remains(self):
        others = self.env["payment.transaction"]
        for amount in (10.0, 20.0):
            others |= self._pbd_stripe_tx(self._pbd_invoice(amount=amount))
        first = self.env["payment.transaction"]._cron_pbd_stripe_reconcile(batch_size=2)
        second = self.env["payment.transaction"]._cron_pbd_stripe_reconcile(batch_size=2)
        self.assertEqual(len(first), 2)
        self.assertEqual(len(second), 1)
        self.assertEqual(first | second, self.tx | others)

    def test_the_accountant_checks_one_transaction_and_sees_the_payment_at_once(self):
        self._stripe_says(self.tx, status="succeeded")
        accountant = self.env.user  # an invoicing user of the firm
        action = self.tx.with_user(accountant).action_pbd_stripe_check()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("1 confirmed", action["params"]["message"])
        self.assertEqual(self.tx.state, "done")
        self.assertTrue(self.tx.payment_id, "post-processed right away")
        self.assertEqual(self.deliverable.state, "released")
        self.assertEqual(self.tx.pbd_stripe_event_ids.source, "manual")

    def test_the_provider_button_checks_every_waiting_payment(self):
        second = self._pbd_stripe_tx(self._pbd_invoice(amount=75.0), age_minutes=1)
        self._stripe_says(second, status="succeeded", amount=100, amount_received=100)
        action = self.stripe_provider.action_pbd_stripe_reconcile()
        self.assertEqual(len(self.stripe_api.calls), 2, "young ones too: the accountant asked")
        self.assertEqual(action["params"]["type"], "warning", "a mismatch is shown")
        self.assertIn("2 of 2", action["params"]["message"])

    def test_only_invoicing_users_can_ask_stripe_or_read_its_log(self):
        self._run()
        for user in (self.portal_user, self._pbd_internal_user_without_invoicing()):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.tx.with_user(user).action_pbd_stripe_check()
                with self.assertRaises(AccessError):
                    self.env["pbd.stripe.event"].with_user(user).search_read([], ["message"])
                with self.assertRaises(AccessError):
                    self.stripe_provider.with_user(user).action_pbd_stripe_reconcile()
        self.assertEqual(len(self.stripe_api.calls), 1, "only the job asked Stripe")
        log = (
            self.env["pbd.stripe.event"]
            .with_user(self.env.user)
            .search([("transaction_id", "=", self.tx.id)])
        )
        self.assertEqual(len(log), 1, "the accountant reads it")
        with self.assertRaises(AccessError):
            log.with_user(self.env.user).write({"outcome": "updated"})

    def _pbd_internal_user_without_invoicing(self):
        return (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": "pbd_employee",
                    "name": "Employee",
                    "company_id": self.company.id,
                    "company_ids": [(6, 0, self.company.ids)],
                    "groups_id": [(6, 0, self.env.ref("base.group_user").ids)],
                }
            )
        )
