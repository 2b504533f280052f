from datetime import timedelta
import logging

from markupsafe import Markup
from psycopg2 import errors as pgerrors
from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_amount

from odoo.addons.payment import utils as payment_utils

from ..lib import stripe_gateway

_logger = logging.getLogger(__name__)

WAITING_STATES = ("draft", "pending", "authorized")
PAYMENT_OPERATIONS = ("online_redirect", "online_direct", "online_token", "offline")
# The job looks at a transaction once it is this old, then less and less
# often (a quarter of its age), and gives up after RECONCILE_MAX_AGE (a SEPA
# debit can take two weeks; the webhook still applies later).
RECONCILE_MIN_AGE = timedelta(minutes=5)
RECONCILE_MAX_AGE = timedelta(days=15)
RECONCILE_BATCH = 200
CONCURRENCY_ERRORS = (pgerrors.SerializationFailure, pgerrors.LockNotAvailable)


class PaymentTransaction(models.Model):
    """Stripe payments that end up applied once, even when a webhook is lost.

    - every path that applies a Stripe status (webhook, return from the
      payment page, reconciliation job) and the post-processing that creates
      the payment lock the transaction's row first: two notifications of the
      same payment run one after the other, and the second finds the work
      done;
    - the reconciliation job asks Stripe about transactions still waiting
      and hands what Stripe says to Odoo's own processing;
    - a confirmed transaction is post-processed (payment created, invoice
      paid, documents released) by Odoo's job right after the commit, not
      only when the client's browser polls the status page.
    """

    _inherit = "payment.transaction"

    pbd_stripe_event_ids = fields.One2many(
        "pbd.stripe.event", "transaction_id", string="Stripe log", readonly=True
    )
    pbd_stripe_next_check = fields.Datetime(
        string="Next Stripe check",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the reconciliation job asks Stripe about this transaction again.",
    )

    # ------------------------------------------------------------------
    # One notification at a time
    # ------------------------------------------------------------------
    def _pbd_lock(self):
        """Lock these transactions' rows until the end of the database transaction.

        Raises a concurrency error (which Odoo's request handling retries)
        when another transaction changed them in the meantime.
        """
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM payment_transaction WHERE id IN %s ORDER BY id FOR NO KEY UPDATE",
                    tuple(self.ids),
                ),
                log_exceptions=False,
            )

    def _stripe_create_intent(self):
        """Keep the PaymentIntent's id from the start: the job can then ask
        Stripe about a payment whose return and webhook were both lost."""
        intent = super()._stripe_create_intent()
        if intent and intent.get("id") and self.operation != "validation" and not self.provider_reference:
            self.provider_reference = intent["id"]
        return intent

    def _process_notification_data(self, notification_data):
        if self.provider_code == "stripe":
            self._pbd_lock()
        result = super()._process_notification_data(notification_data)
        if self.provider_code == "stripe" and self.state == "done" and not self.is_post_processed:
            # Release the documents now, even if the client closed the page.
            self.env.ref("payment.cron_post_process_payment_tx")._pbd_trigger_once()
        return result

    def _post_process(self):
        self._pbd_lock()
        refunds = self.filtered(
            lambda tx: tx.operation == "refund" and tx.state == "done" and not tx.is_post_processed
        )
        result = super()._post_process()
        refunds.filtered("payment_id")._pbd_ask_to_reflect_refund()
        return result

    def _pbd_ask_to_reflect_refund(self):
        """A refund made at Stripe leaves the invoice paid until the accountant
        reflects it (a credit note): ask them, on invoices whose documents are
        available."""
        for tx in self:
            invoices = tx.source_transaction_id.invoice_ids.filtered(
                lambda move: (
                    move.move_type == "out_invoice"
                    and any(d.state != "locked" for d in move.pbd_deliverable_ids)
                )
            )
            for invoice in invoices:
                invoice.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Reflect the Stripe refund"),
                    note=Markup("<p>%s</p>")
                    % self.env._(
                        "Stripe refunded %(amount)s (%(reference)s). If the refund cancels this invoice, "
                        "add a credit note: its documents stay available to the client until the "
                        "invoice is no longer paid.",
                        amount=format_amount(self.env, -tx.amount, tx.currency_id),
                        reference=tx.reference,
                    ),
                    user_id=(invoice.invoice_user_id or self.env.user).id,
                )

    # ------------------------------------------------------------------
    # Reconciliation with Stripe
    # ------------------------------------------------------------------
    @api.model
    def _pbd_stripe_waiting_domain(self):
        """Stripe payments still waiting for their outcome, that Stripe can be asked about."""
        return [
            ("provider_id.code", "=", "stripe"),
            ("provider_id.state", "!=", "disabled"),
            ("state", "in", WAITING_STATES),
            ("operation", "in", PAYMENT_OPERATIONS),
            ("provider_reference", "!=", False),
            ("create_date", ">=", fields.Datetime.now() - RECONCILE_MAX_AGE),
        ]

    @api.model
    def _pbd_stripe_due_domain(self, now):
        return self._pbd_stripe_waiting_domain() + [
            ("create_date", "<=", now - RECONCILE_MIN_AGE),
            "|",
            ("pbd_stripe_next_check", "=", False),
            ("pbd_stripe_next_check", "<=", now),
        ]

    @api.model
    def _cron_pbd_stripe_reconcile(self, batch_size=RECONCILE_BATCH):
        """Ask Stripe about waiting payments, a batch at a time."""
        domain = self._pbd_stripe_due_domain(fields.Datetime.now())
        transactions = self.search(domain, order="create_date, id", limit=batch_size)
        transactions._pbd_stripe_reconcile("job")
        remaining = self.search_count(domain) if len(transactions) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(transactions), remaining=remaining)
        return transactions

    def _pbd_set_next_checks(self, now):
        """When the job asks again: a quarter of each transaction's age from now.

        Written before asking, so that a transaction Stripe cannot answer for
        backs off too; one statement for the whole batch.
        """
        self.flush_recordset(["pbd_stripe_next_check"])
        execute_values(
            self.env.cr._obj,
            "UPDATE payment_transaction SET pbd_stripe_next_check = data.next_check"
            " FROM (VALUES %s) AS data(id, next_check) WHERE payment_transaction.id = data.id",
            [(tx.id, now + max(RECONCILE_MIN_AGE, (now - tx.create_date) / 4)) for tx in self],
        )
        self.invalidate_recordset(["pbd_stripe_next_check"])

    def _pbd_stripe_reconcile(self, source):
        """Ask Stripe where each transaction stands; apply what it says.

        One API call per transaction. A status Odoo does not know yet goes
        through Odoo's own processing (as the return page would); a payment
        that is not the transaction's (reference, amount or currency) is
        logged and left alone. Returns the log rows, one per transaction.
        """
        if not self:
            return self.env["pbd.stripe.event"]
        self._pbd_set_next_checks(fields.Datetime.now())
        # Odoo notes each confirmation on the invoice: read what that needs for
        # the whole batch at once rather than invoice by invoice.
        self.invoice_ids.mapped("display_name")
        gateways = {}
        log_values = [tx._pbd_stripe_check(source, gateways) for tx in self]
        if any(values["state_after"] == "done" for values in log_values):
            # Sure to be there whatever a failed savepoint took back.
            self.env.ref("payment.cron_post_process_payment_tx")._trigger()
        return self.env["pbd.stripe.event"].sudo().create(log_values)

    def _pbd_stripe_check(self, source, gateways):
        """Ask Stripe about this transaction and apply its answer: the log row's values."""
        self.ensure_one()
        state_before = self.state

        def row(outcome, status=False, message=False):
            return {
                "source": source,
                "transaction_id": self.id,
                "outcome": outcome,
                "stripe_status": status,
                "state_before": state_before,
                "state_after": self.state,
                "message": message,
            }

        provider = self.provider_id
        try:
            if provider not in gateways:
                gateways[provider] = provider._pbd_stripe_gateway()
            intent = gateways[provider].payment_intent(self.provider_reference)
        except stripe_gateway.GatewayError as exc:
            return row("error", message=str(exc))
        review = stripe_gateway.review_intent(
            intent,
            self.reference,
            payment_utils.to_minor_currency_units(self.amount, self.currency_id),
            self.currency_id.name,
            self.state,
        )
        if review.action == stripe_gateway.ACTION_WAIT:
            return row("unchanged", review.status)
        if review.action == stripe_gateway.ACTION_MISMATCH:
            return row(
                "mismatch",
                review.status,
                self.env._("Stripe's payment differs from the transaction: %s", review.problem),
            )
        notification_data = {
            "reference": self.reference,
            "payment_intent": intent,
            "payment_method": intent.get("payment_method"),
        }
        try:
            with self.env.cr.savepoint():
                self._handle_notification_data("stripe", notification_data)
        except CONCURRENCY_ERRORS:
            # A webhook is applying it right now: its outcome stands.
            return row("busy", review.status)
        except (UserError, ValidationError) as exc:
            return row("error", review.status, str(exc))
        except Exception as exc:  # one payment must not stop the job for all the others
            _logger.exception("Stripe reconciliation could not apply %s to %s", review.status, self.reference)
            return row(
                "error", review.status, self.env._("Odoo could not apply it: %s", exc.__class__.__name__)
            )
        return row("updated", review.status)

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def _pbd_check_reconcile_access(self):
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only invoicing users can ask Stripe about payments."))

    def action_pbd_stripe_check(self):
        """Ask Stripe now about these transactions (the accountant's button)."""
        return self._pbd_stripe_check_now(asked=len(self))

    def _pbd_stripe_check_now(self, asked):
        """Check, then post-process what got confirmed: the payment and the
        released documents are there when the notification shows."""
        self._pbd_check_reconcile_access()
        waiting = self.sudo().filtered_domain(self._pbd_stripe_waiting_domain())
        rows = waiting._pbd_stripe_reconcile("manual")
        waiting.filtered(lambda tx: tx.state == "done" and not tx.is_post_processed)._post_process()
        return self._pbd_check_notification(asked, rows)

    def _pbd_check_notification(self, asked, rows):
        confirmed = rows.filtered(lambda row: row.state_after == "done" and row.state_before != "done")
        problems = rows.filtered(lambda row: row.outcome in ("mismatch", "error", "busy"))
        message = self.env._(
            "%(checked)s of %(asked)s transaction(s) checked with Stripe: %(confirmed)s confirmed, "
            "%(unchanged)s still waiting, %(problems)s to look at (see the Stripe log).",
            checked=len(rows),
            asked=asked,
            confirmed=len(confirmed),
            unchanged=len(rows.filtered(lambda row: row.outcome == "unchanged")),
            problems=len(problems),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Stripe"),
                "message": message,
                "type": "warning" if problems else "success",
                "sticky": bool(problems),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
