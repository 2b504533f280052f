"""What ``make load`` found, raced here on real connections.

Odoo as firms run it: workers, two servers on one database, the jobs.

Like ``test_stripe_concurrency``, these commit (each side of a race needs a
connection of its own) and remove what they created at the end.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
import threading

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import BaseCase, tagged
from odoo.tools import mute_logger

from . import fake_transport as ft
from .common import PbdRealCursorMixin, b64, make_pdf
from .test_stripe_concurrency import QUIET, StripeRaceCase


class HeldIntents(ft.StripeIntents):
    """Stripe's PaymentIntents, some of them answered only when the test says so."""

    def __init__(self):
        super().__init__()
        self.held = {}
        self.asked = threading.Event()

    def __call__(self, call):
        intent_id = call.path.rsplit("/", 1)[-1]
        if intent_id in self.held:
            self.asked.set()
            self.held[intent_id].wait(90)
        return super().__call__(call)


@tagged("post_install", "-at_install")
class TestProductionFaults(StripeRaceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe_intents = HeldIntents()
        cls.stripe_api.routes[0].responder = cls.stripe_intents

    @mute_logger(*QUIET)
    def test_a_webhook_does_not_wait_for_the_job_asking_stripe(self):
        """The reconciliation job asked Stripe about its whole batch with every
        transaction of it locked: a webhook (or a client back from the payment
        page) for any of them waited until Stripe had answered about all of
        them, up to 200 calls. Stripe is now asked before anything is written."""
        slow_id, *_slow = self._paying_client("Stripe answers the job slowly")
        fast_id, fast_ref, fast_intent, fast_amount = self._paying_client("Webhook while the job asks")
        slow_intent = _slow[1]
        self.stripe_intents.held[slow_intent] = threading.Event()

        def job():
            with self._env() as env:
                transactions = env["payment.transaction"].browse([slow_id, fast_id])
                rows = transactions._pbd_stripe_reconcile("job")
                return [(row.transaction_id.id, row.outcome) for row in rows]

        with ThreadPoolExecutor(max_workers=1) as pool:
            running = pool.submit(job)
            try:
                self.assertTrue(self.stripe_intents.asked.wait(60), "the job asks Stripe")
                # Stripe has not answered the job about the first payment yet.
                event = self._succeeded_event("evt_fault_held", fast_ref, fast_intent, fast_amount)
                response = self._post_webhook(event, timeout=20)
                self.assertEqual(response.status_code, 200, "applied at once, not after the job")
                self.assertFalse(running.done(), "the job is still waiting for Stripe")
            finally:
                self.stripe_intents.held[slow_intent].set()
            rows = running.result(timeout=90)

        # The job applied what Stripe told it about the first payment and left
        # the second to the webhook that had applied it meanwhile.
        self.assertEqual(rows, [(slow_id, "updated")])
        with self._env() as env:
            env["payment.transaction"].browse([slow_id, fast_id])._post_process()
        slow, fast = self._race_result(slow_id), self._race_result(fast_id)
        for outcome in (slow, fast):
            self.assertEqual(outcome["state"], "done")
            self.assertEqual(outcome["payments"], 1, "one payment")
            self.assertEqual(outcome["deliverable"], "released")
            self.assertEqual(outcome["confirmed_messages"], 1, "confirmed once")
        self.assertEqual(slow["log"], [("job", "updated")])
        self.assertEqual(fast["log"], [("webhook", "processed")])

    @mute_logger(*QUIET)
    def test_the_job_leaves_a_payment_a_webhook_changed_meanwhile(self):
        """Two servers: the job read a batch; a webhook confirms one of its
        payments and commits before the job writes. The job's batch must not
        fail as a whole (it did: one statement for the batch, a concurrency
        error, every payment of the batch checked again ten minutes later)."""
        first_id, *_first = self._paying_client("Job batch, first")
        second_id, second_ref, second_intent, second_amount = self._paying_client(
            "Job batch, confirmed meanwhile"
        )
        with self.registry.cursor() as cr_job:
            env_job = api.Environment(cr_job, SUPERUSER_ID, {})
            batch = env_job["payment.transaction"].browse([first_id, second_id])
            batch.mapped("state")  # the job's snapshot starts
            event = self._succeeded_event("evt_fault_meanwhile", second_ref, second_intent, second_amount)
            self.assertEqual(self._post_webhook(event).status_code, 200)
            rows = batch._pbd_stripe_reconcile("job")
            self.assertEqual([(row.transaction_id.id, row.outcome) for row in rows], [(first_id, "updated")])
            cr_job.commit()
        with self._env() as env:
            env["payment.transaction"].browse([first_id, second_id])._post_process()
        for tx_id in (first_id, second_id):
            outcome = self._race_result(tx_id)
            self.assertEqual(
                (outcome["state"], outcome["payments"], outcome["confirmed_messages"]), ("done", 1, 1)
            )

    @mute_logger(*QUIET, "odoo.addons.payment_before_document.models.account_move")
    def test_a_busy_invoice_still_gets_its_documents_email(self):
        """The job that tells clients their documents are available met an
        invoice another transaction had just changed (its payment on the other
        server, the follow-up run): preparing the email failed on the
        concurrent update, the documents were marked "notice failed" for good,
        the accountant got a false alarm and the client was never told."""
        with self._env() as env:
            partner = env["res.partner"].create({"name": "Busy invoice", "email": "busy@client.example.com"})
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_line_ids": [
                        Command.create({"name": "Study", "quantity": 1, "price_unit": 400.0, "tax_ids": []})
                    ],
                }
            )
            document = env["pbd.deliverable"].create(
                {
                    "move_id": invoice.id,
                    "name": "Report",
                    "file": b64(make_pdf(1)),
                    "file_name": "report.pdf",
                    "release_rule": "posted",
                }
            )
            invoice.action_post()
            invoice.access_token = False  # the email gives it one
            self.created["res.partner"].append(partner.id)
            self.created["account.move"].append(invoice.id)
            self.assertEqual(document.state, "released")
            invoice_id, invoice_name, document_id = invoice.id, invoice.name, document.id

        with self.registry.cursor() as cr_job:
            # As the job runs in production: emails sent after the commit.
            env_job = api.Environment(cr_job, SUPERUSER_ID, {"mail_notify_force_send": False})
            env_job["pbd.deliverable"].search_count([])  # the job's snapshot starts
            with self._env() as env:  # meanwhile, on another server
                env["account.move"].browse(invoice_id).ref = "Paid on the other server"
            env_job["pbd.deliverable"]._cron_notify_released()
            cr_job.commit()
        with self._env() as env:
            document = env["pbd.deliverable"].browse(document_id)
            self.assertFalse(document.release_notice_failed, "a busy invoice is no email problem")
            self.assertFalse(document.release_notified, "nothing was sent yet")
            env["pbd.deliverable"]._cron_notify_released()  # the job's next run
        with self._env() as env:
            document = env["pbd.deliverable"].browse(document_id)
            self.assertTrue(document.release_notified)
            emails = env["mail.message"].search_count(
                [
                    ("model", "=", "account.move"),
                    ("res_id", "=", invoice_id),
                    ("subject", "=like", f"%your documents for {invoice_name} are available"),
                ]
            )
            self.assertEqual(emails, 1, "the client is told once")
            self.assertFalse(document.move_id.activity_ids, "no false alarm for the accountant")


@tagged("post_install", "-at_install")
class TestFollowupRunRace(PbdRealCursorMixin, BaseCase):
    """The follow-up run is one transaction over many clients, while clients pay."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_real_cursor_setup("pbd.followup.run")

    @classmethod
    def _pbd_clean_up(cls, env):
        env["pbd.followup.run"].browse(cls.created["pbd.followup.run"]).exists().unlink()

    @mute_logger("odoo.sql_db")
    def test_a_client_paying_during_the_run_does_not_fail_the_run(self):
        """``make load``: the daily run wrote every invoice of a batch at once;
        one invoice changed by another worker after the run had begun (a
        payment booked, the portal giving it a token) made PostgreSQL refuse
        the write and the whole run failed, so nobody got a reminder that day.
        The other clients are now sent; the busy one waits for the next run."""
        today = fields.Date.today()
        with self._env() as env:
            invoices = {}
            for name in ("Calm client", "Busy client"):
                partner = env["res.partner"].create({"name": name, "email": "race@client.example.com"})
                invoice = self._pbd_committed_invoice(env, partner)
                # Due in two days: the courtesy reminder (3 days before) is due today.
                invoice.invoice_date_due = today + timedelta(days=2)
                invoices[name] = invoice.id
            partner_ids = env["account.move"].browse(list(invoices.values())).partner_id.ids

        with self._env() as job_env:
            Move = job_env["account.move"]
            # The run's transaction has begun: its snapshot is taken.
            self.assertEqual(len(Move.browse(list(invoices.values())).exists()), 2)
            with self._env() as other_env:
                other_env["account.move"].browse(invoices["Busy client"]).ref = "Paid by transfer"
            runs = job_env["pbd.followup.run"]._run_for_partners(
                job_env["res.partner"].browse(partner_ids), today
            )
            self.created["pbd.followup.run"] += runs.ids
            self.assertEqual(runs.partner_count, 1, "the run counts the clients it sent to")

        with self._env() as env:
            histories = env["pbd.followup.history"].search([("partner_id", "in", partner_ids)])
            self.assertEqual(histories.partner_id.mapped("name"), ["Calm client"])
            self.assertEqual(histories.channel, "email")
            calm, busy = env["account.move"].browse([invoices["Calm client"], invoices["Busy client"]])
            self.assertTrue(calm.pbd_followup_level_id, "the calm client's reminder is recorded")
            self.assertFalse(busy.pbd_followup_level_id, "the busy client waits for the next run")
            self.assertEqual(busy.ref, "Paid by transfer", "the other worker's change is kept")
