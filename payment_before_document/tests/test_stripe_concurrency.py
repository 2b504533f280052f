"""Two notifications of one payment at the same moment, on real connections.

Unlike the other tests, these commit: each side of the race needs its own
database connection, as two Odoo workers have. The webhook goes through
Odoo's HTTP server (a worker thread, its own cursor, Odoo's retry on
serialization failures); the job and the post-processing run on cursors
of the test. What the test created is removed at the end.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
import time

import requests

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import BaseCase, tagged
from odoo.tools import SQL, mute_logger

from . import fake_transport as ft
from .common import STRIPE_WEBHOOK_SECRET, PbdRealCursorMixin

PROVIDER_FIELDS = [
    "state",
    "is_published",
    "stripe_secret_key",
    "stripe_publishable_key",
    "stripe_webhook_secret",
    "journal_id",
]
QUIET = ("odoo.sql_db", "odoo.service.model", "odoo.addons.payment.models.payment_transaction")


class StripeRaceCase(PbdRealCursorMixin, BaseCase):
    """Committed Stripe payments, raced on real connections (no tests of its own)."""

    stripe_api = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_real_cursor_setup("payment.transaction")
        cls.stripe_intents = ft.StripeIntents()
        cls.stripe_api = ft.FakeHttpSession().add(ft.STRIPE_PAYMENT_INTENT, cls.stripe_intents)
        with cls._env() as env:
            provider = env.ref("payment.payment_provider_stripe")
            cls.provider_id = provider.id
            saved = provider._convert_to_write(provider.read(PROVIDER_FIELDS)[0])
            saved.pop("id", None)
            cls.saved_provider = saved
            journal = env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", provider.company_id.id)], limit=1
            )
            provider.write(
                {
                    "state": "test",
                    "is_published": True,
                    "stripe_secret_key": "sk_test_concurrency",
                    "stripe_publishable_key": "pk_test_concurrency",
                    "stripe_webhook_secret": STRIPE_WEBHOOK_SECRET,
                    "journal_id": journal.id,
                }
            )

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        if r.url.startswith("https://api.stripe.com/"):
            return cls.stripe_api.send(r, **kw)
        return super()._request_handler(s, r, **kw)

    @classmethod
    def _pbd_clean_up(cls, env):
        transactions = env["payment.transaction"].browse(cls.created["payment.transaction"]).exists()
        payments = transactions.payment_id
        payments.action_draft()
        payments.unlink()
        transactions.unlink()
        env["payment.provider"].browse(cls.provider_id).write(cls.saved_provider)

    def _paying_client(self, name):
        """A committed invoice with a locked deliverable and a Stripe payment still pending."""
        with self._env() as env:
            partner = env["res.partner"].create({"name": name, "email": "race@client.example.com"})
            invoice = self._pbd_committed_invoice(env, partner)
            tx = env["payment.transaction"].create(
                {
                    "provider_id": self.provider_id,
                    "payment_method_id": env.ref("payment.payment_method_card").id,
                    "amount": invoice.amount_total,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": partner.id,
                    "reference": f"{invoice.name}-RACE",
                    "operation": "online_direct",
                    "invoice_ids": [Command.set(invoice.ids)],
                    "provider_reference": f"pi_race_{invoice.id}",
                    "state": "pending",
                }
            )
            tx.flush_recordset()
            env.cr.execute(
                SQL(
                    "UPDATE payment_transaction SET create_date = %s WHERE id = %s",
                    fields.Datetime.now() - timedelta(minutes=30),
                    tx.id,
                )
            )
            self.created["payment.transaction"].append(tx.id)
            self.stripe_intents.set(
                tx.provider_reference,
                status="succeeded",
                amount=round(tx.amount * 100),
                currency=tx.currency_id.name.lower(),
                description=tx.reference,
            )
            return tx.id, tx.reference, tx.provider_reference, round(tx.amount * 100)

    def _post_webhook(self, event, timeout=60):
        body, header = ft.stripe_signed_event(event, STRIPE_WEBHOOK_SECRET)
        port = odoo.service.server.server.httpd.server_port
        return requests.post(
            f"http://127.0.0.1:{port}/payment/stripe/webhook",
            data=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
            timeout=timeout,
        )

    def _succeeded_event(self, event_id, reference, intent_id, amount):
        """The event Stripe sends for the intent it knows (same reference, amount and currency)."""
        intent = dict(self.stripe_intents.intents[intent_id])
        self.assertEqual((intent["description"], intent["amount"]), (reference, amount))
        intent["payment_method"] = "pm_fake"
        return ft.stripe_event("payment_intent.succeeded", intent, event_id, int(time.time()))

    def _wait_for_lock_waiters(self, count):
        """Until ``count`` connections wait on a row lock of payment_transaction."""
        deadline = time.monotonic() + 20
        with self.registry.cursor() as cr:
            while time.monotonic() < deadline:
                cr.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query ILIKE %s",
                    ["%payment_transaction%FOR NO KEY UPDATE%"],
                )
                if cr.fetchone()[0] >= count:
                    return
                cr.rollback()  # a new snapshot of pg_stat_activity
                time.sleep(0.05)
        self.fail(f"{count} notification(s) never reached the transaction's lock")

    def _race_result(self, tx_id):
        with self._env() as env:
            tx = env["payment.transaction"].browse(tx_id)
            invoice = tx.invoice_ids
            payments = env["account.payment"].search([("payment_transaction_id", "=", tx_id)])
            return {
                "state": tx.state,
                "payments": len(payments),
                "payment_state": invoice.payment_state,
                "deliverable": invoice.pbd_deliverable_ids.state,
                "log": sorted(tx.pbd_stripe_event_ids.mapped(lambda row: (row.source, row.outcome))),
                "confirmed_messages": len(
                    invoice.message_ids.filtered(lambda m: "has been confirmed" in (m.body or ""))
                ),
            }


@tagged("post_install", "-at_install")
class TestStripeConcurrency(StripeRaceCase):
    @mute_logger(*QUIET)
    def test_webhook_and_job_at_the_same_moment_release_once(self):
        tx_id, reference, intent_id, amount = self._paying_client("Race: webhook and job")
        with ThreadPoolExecutor(max_workers=1) as pool, self.registry.cursor() as cr_job:
            env_job = api.Environment(cr_job, SUPERUSER_ID, {})
            env_job["payment.transaction"].browse(tx_id)._pbd_stripe_reconcile("job")  # holds the lock
            webhook = pool.submit(
                self._post_webhook, self._succeeded_event("evt_race_1", reference, intent_id, amount)
            )
            self._wait_for_lock_waiters(1)
            cr_job.commit()  # the webhook now finds the payment confirmed
            self.assertEqual(webhook.result(timeout=60).status_code, 200)

        # Odoo's post-processing job and the client's status page, at the same moment too.
        with ThreadPoolExecutor(max_workers=1) as pool, self.registry.cursor() as cr_first:
            api.Environment(cr_first, SUPERUSER_ID, {})["payment.transaction"].browse(tx_id)._post_process()

            def second_post_process():
                with self.registry.cursor() as cr_second:
                    tx = api.Environment(cr_second, SUPERUSER_ID, {})["payment.transaction"].browse(tx_id)
                    try:
                        tx._post_process()
                    except odoo.service.model.PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                        cr_second.rollback()
                        return "retried later"
                    return "post-processed"

            second = pool.submit(second_post_process)
            self._wait_for_lock_waiters(1)
            cr_first.commit()
            self.assertEqual(second.result(timeout=60), "retried later")

        outcome = self._race_result(tx_id)
        self.assertEqual(outcome["state"], "done")
        self.assertEqual(outcome["payments"], 1, "one payment")
        self.assertIn(outcome["payment_state"], ("paid", "in_payment"))
        self.assertEqual(outcome["deliverable"], "released")
        self.assertEqual(outcome["log"], [("job", "updated"), ("webhook", "processed")])
        self.assertEqual(outcome["confirmed_messages"], 1, "confirmed once")
        with self._env() as env:
            sent = env["pbd.deliverable"]._cron_notify_released()
            self.assertIn(tx_id, sent.move_id.transaction_ids.ids, "the client is told once...")
            self.assertFalse(env["pbd.deliverable"]._cron_notify_released(), "...and only once")

    @mute_logger(*QUIET)
    def test_the_same_event_delivered_twice_at_once_is_applied_once(self):
        tx_id, reference, intent_id, amount = self._paying_client("Race: two webhooks")
        event = self._succeeded_event("evt_race_2", reference, intent_id, amount)
        with ThreadPoolExecutor(max_workers=2) as pool, self.registry.cursor() as cr_hold:
            # Hold the row so that both deliveries are in flight together.
            env_hold = api.Environment(cr_hold, SUPERUSER_ID, {})
            env_hold["payment.transaction"].browse(tx_id)._pbd_lock()
            deliveries = [pool.submit(self._post_webhook, event) for _ in range(2)]
            self._wait_for_lock_waiters(2)
            cr_hold.commit()
            self.assertEqual([d.result(timeout=90).status_code for d in deliveries], [200, 200])
        outcome = self._race_result(tx_id)
        self.assertEqual(outcome["state"], "done")
        self.assertEqual(outcome["log"], [("webhook", "processed")], "one event row: the copy was refused")
        self.assertEqual(outcome["confirmed_messages"], 1)
