from datetime import timedelta
import logging

from markupsafe import Markup
from psycopg2 import errors as pgerrors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_amount

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment_stripe import const as stripe_const

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
# Stripe's dispute statuses: the firm won (or no chargeback followed an inquiry).
DISPUTE_CLOSED_FOR_US = ("won", "warning_closed", "prevented")
DISPUTE_LOST = ("lost", "charge_refunded")
CONCURRENCY_ERRORS = (pgerrors.SerializationFailure, pgerrors.LockNotAvailable)


class PaymentTransaction(models.Model):
    """Stripe payments that end up applied once, even when a webhook is lost.

    - a PaymentIntent confirms only the transaction it was made for: every
      path that applies a Stripe status goes through one gate
      (:meth:`_pbd_stripe_check_intent`, called by
      :meth:`_process_notification_data`), and a mismatch changes nothing
      but the Stripe log and an activity for the accountant;
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

    provider_reference = fields.Char(index="btree_not_null")  # the gate looks intents up by id
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
            if self.operation in PAYMENT_OPERATIONS:
                self._pbd_stripe_check_intent(notification_data.get("payment_intent"))
        result = super()._process_notification_data(notification_data)
        if self.provider_code == "stripe" and self.state == "done" and not self.is_post_processed:
            # Release the documents now, even if the client closed the page.
            self.env.ref("payment.cron_post_process_payment_tx")._pbd_trigger_once()
        return result

    def _send_capture_request(self, amount_to_capture=None):
        """A capture Stripe answers with another payment changes nothing (see the gate)."""
        try:
            return super()._send_capture_request(amount_to_capture=amount_to_capture)
        except stripe_gateway.IntentMismatch as mismatch:
            self._pbd_stripe_refuse(mismatch, "manual")
            return self.browse()

    def _send_void_request(self, amount_to_void=None):
        try:
            return super()._send_void_request(amount_to_void=amount_to_void)
        except stripe_gateway.IntentMismatch as mismatch:
            self._pbd_stripe_refuse(mismatch, "manual")
            return self.browse()

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
                staff = invoice.with_context(lang=invoice._pbd_staff_lang())
                invoice.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=staff.env._("Reflect the Stripe refund"),
                    note=Markup("<p>%s</p>")
                    % staff.env._(
                        "Stripe refunded %(amount)s (%(reference)s). If the refund cancels this invoice, "
                        "add a credit note: its documents stay available to the client until the "
                        "invoice is no longer paid.",
                        amount=format_amount(staff.env, -tx.amount, tx.currency_id),
                        reference=tx.reference,
                    ),
                    user_id=(invoice.invoice_user_id or self.env.user).id,
                )

    # ------------------------------------------------------------------
    # The gate: a PaymentIntent confirms only its own transaction
    # ------------------------------------------------------------------
    def _pbd_stripe_minor_amount(self):
        """The amount Odoo asked Stripe for, in the currency's smallest unit."""
        self.ensure_one()
        return payment_utils.to_minor_currency_units(
            self.amount,
            self.currency_id,
            arbitrary_decimal_number=stripe_const.CURRENCY_DECIMALS.get(self.currency_id.name),
        )

    def _pbd_stripe_check_intent(self, intent):
        """Raise :class:`~..lib.stripe_gateway.IntentMismatch` unless ``intent``
        is this transaction's own PaymentIntent.

        Odoo's return route fetches whatever intent id the URL names, and a
        webhook body names its own: before any status is applied, the intent
        must carry this transaction's reference, currency and amount (all of
        it received when it succeeded), be the intent this transaction
        created, and be held by no other transaction.
        """
        self.ensure_one()
        intent_id = intent.get("id") if isinstance(intent, dict) else None
        if (
            intent_id
            and intent_id == self.provider_reference
            and intent_id in self.env.context.get("pbd_stripe_sole_intents", ())
        ):
            holder = self.browse()  # the job checked its whole batch at once
        else:
            holder = intent_id and self.sudo().search(
                [
                    ("provider_reference", "=", intent_id),
                    ("provider_code", "=", "stripe"),
                    ("operation", "in", PAYMENT_OPERATIONS),
                    ("id", "!=", self.id),
                ],
                limit=1,
            )
        problems = stripe_gateway.intent_problems(
            intent,
            self.reference,
            self._pbd_stripe_minor_amount(),
            self.currency_id.name,
            own_intent_id=self.provider_reference,
            bound_elsewhere=bool(holder),
        )
        if problems:
            message = self._pbd_stripe_mismatch_message(intent, problems, holder)
            _logger.warning(
                "Stripe PaymentIntent %s refused for transaction %s: %s",
                intent_id,
                self.reference,
                ", ".join(problems),
            )
            raise stripe_gateway.IntentMismatch(intent, problems, message)

    def _pbd_stripe_mismatch_message(self, intent, problems, holder):
        intent = intent if isinstance(intent, dict) else {}
        # For the Stripe log and the accountant: in the company's language.
        env = self.with_context(lang=self.company_id.partner_id.lang or self.env.lang).env
        currency = self.currency_id

        def major(minor):
            if not isinstance(minor, int):
                return str(minor)
            return format_amount(env, payment_utils.to_major_currency_units(minor, currency), currency)

        ours = self._pbd_stripe_minor_amount()
        labels = {
            stripe_gateway.PROBLEM_REFERENCE: env._(
                "its reference is %(theirs)s, not %(ours)s",
                theirs=intent.get("description") or "-",
                ours=self.reference,
            ),
            stripe_gateway.PROBLEM_CURRENCY: env._(
                "its currency is %(theirs)s, not %(ours)s",
                theirs=(intent.get("currency") or "-").upper(),
                ours=currency.name,
            ),
            stripe_gateway.PROBLEM_AMOUNT: env._(
                "its amount is %(theirs)s, not %(ours)s", theirs=major(intent.get("amount")), ours=major(ours)
            ),
            stripe_gateway.PROBLEM_RECEIVED: env._(
                "Stripe received %(theirs)s of it, not %(ours)s",
                theirs=major(intent.get("amount_received")),
                ours=major(ours),
            ),
            stripe_gateway.PROBLEM_INTENT: (
                env._("it belongs to another transaction (%s)", holder.reference)
                if holder
                else env._("it is not the payment this transaction created")
            ),
        }
        return env._(
            "Stripe's payment %(intent)s does not match transaction %(reference)s: %(differences)s. "
            "Nothing was applied.",
            intent=intent.get("id") or "-",
            reference=self.reference,
            differences="; ".join(labels[problem] for problem in problems),
        )

    def _pbd_stripe_refuse(self, mismatch, source, event_row=None):
        """Record a refused intent: a ``mismatch`` row in the Stripe log (the
        webhook's own row when there is one) and an activity on the invoice."""
        self.ensure_one()
        values = {
            "outcome": "mismatch",
            "message": mismatch.message,
            "stripe_status": isinstance(mismatch.intent, dict) and mismatch.intent.get("status"),
            "state_after": self.state,
        }
        if event_row:
            event_row.sudo().write(values)
        else:
            event_row = (
                self.env["pbd.stripe.event"]
                .sudo()
                .create(dict(values, source=source, transaction_id=self.id, state_before=self.state))
            )
        self._pbd_stripe_warn_accountant(mismatch.message)
        return event_row

    def _pbd_stripe_warn_accountant(self, message):
        """One open activity per invoice, whatever the number of attempts."""
        activity_type = self.env.ref("mail.mail_activity_data_warning")
        for invoice in self.sudo().invoice_ids.filtered(lambda move: move.move_type == "out_invoice"):
            staff = invoice.with_context(lang=invoice._pbd_staff_lang())
            summary = staff.env._("Stripe payment that does not match")
            if invoice.activity_ids.filtered(
                lambda a, s=summary: a.activity_type_id == activity_type and a.summary == s
            ):
                continue
            invoice.activity_schedule(
                activity_type_id=activity_type.id,
                summary=summary,
                note=Markup("<p>%s</p><p>%s</p>")
                % (
                    message,
                    staff.env._(
                        "Someone may be trying to unlock these documents with another, smaller payment. "
                        "Check the payment in your Stripe dashboard before doing anything."
                    ),
                ),
                user_id=(invoice.invoice_user_id or self.env.user).id,
            )

    # ------------------------------------------------------------------
    # Card disputes (chargebacks)
    # ------------------------------------------------------------------
    @api.model
    def _pbd_stripe_disputed_transaction(self, intent_id):
        return self.search(
            [
                ("provider_reference", "=", intent_id),
                ("provider_code", "=", "stripe"),
                ("operation", "in", PAYMENT_OPERATIONS),
            ],
            limit=1,
        )

    def _pbd_stripe_dispute(self, dispute, event_row):
        """A client disputed this card payment (a signed, admitted event).

        While the dispute is open, the documents the client has not
        downloaded yet are locked again; the accountant gets the download log
        of the invoice's documents (the evidence Stripe asks for). A dispute
        won releases them; a lost one keeps them locked.
        """
        self.ensure_one()
        status = dispute.get("status") or ""
        # For the Stripe log: in the company's language.
        env = self.with_context(lang=self.company_id.partner_id.lang or self.env.lang).env
        invoices = self.invoice_ids.filtered(lambda move: move.move_type == "out_invoice")
        deliverables = invoices.pbd_deliverable_ids
        if status in DISPUTE_CLOSED_FOR_US:
            released = deliverables.filtered("dispute_hold")
            released.dispute_hold = False
            message = env._(
                "Dispute %(dispute)s closed in your favour: %(count)s document(s) available again.",
                dispute=dispute.get("id"),
                count=len(released),
            )
        else:
            held = deliverables._pbd_hold_for_dispute()
            message = env._(
                "Dispute %(dispute)s (%(status)s, reason: %(reason)s): %(count)s document(s) not yet "
                "downloaded locked again.",
                dispute=dispute.get("id"),
                status=status,
                reason=dispute.get("reason") or "-",
                count=len(held),
            )
            for invoice in invoices:
                invoice._pbd_dispute_activity(self, dispute, lost=status in DISPUTE_LOST)
        event_row.write({"message": message, "state_after": self.state})
        _logger.info("Stripe dispute %s on %s: %s", dispute.get("id"), self.reference, status)
        return message

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

        Written for every transaction checked, whatever Stripe answered (a
        transaction Stripe cannot answer for backs off too): one statement for
        the whole batch. A transaction that a webhook or the client's return
        changed since the job read it cannot be written (a concurrency error):
        then each is written on its own, and those are left out. Returns the
        transactions written (locked until the job's commit).
        """
        self.flush_recordset(["pbd_stripe_next_check"])

        def write(transactions):
            values = SQL(", ").join(
                SQL("(%s, %s::timestamp)", tx.id, now + max(RECONCILE_MIN_AGE, (now - tx.create_date) / 4))
                for tx in transactions
            )
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    SQL(
                        "UPDATE payment_transaction SET pbd_stripe_next_check = data.next_check"
                        " FROM (VALUES %s) AS data(id, next_check) WHERE payment_transaction.id = data.id",
                        values,
                    ),
                    log_exceptions=False,
                )

        written = self
        try:
            write(self)
        except CONCURRENCY_ERRORS:
            written = self.browse()
            for tx in self:
                try:
                    write(tx)
                except CONCURRENCY_ERRORS:
                    continue
                written |= tx
        self.invalidate_recordset(["pbd_stripe_next_check"])
        return written

    def _pbd_stripe_reconcile(self, source):
        """Ask Stripe where each transaction stands; apply what it says.

        One API call per transaction. Stripe is asked about the whole batch
        before anything is written: no transaction is held (locked) while
        Stripe answers, so a webhook or a client's return for one of them is
        applied at once, not after the whole batch. A transaction one of them
        changed in the meantime is left to it. A status Odoo does not know
        yet goes through Odoo's own processing (as the return page would); a
        payment that is not the transaction's (reference, amount or currency)
        is logged and left alone. Returns the log rows, one per transaction
        checked.
        """
        if not self:
            return self.env["pbd.stripe.event"]
        answers = self._pbd_stripe_ask()
        checked = self._pbd_set_next_checks(fields.Datetime.now())
        # Odoo notes each confirmation on the invoice: read what that needs for
        # the whole batch at once rather than invoice by invoice.
        checked.invoice_ids.mapped("display_name")
        transactions = checked.with_context(pbd_stripe_sole_intents=checked._pbd_stripe_sole_intents())
        log_values = [tx._pbd_stripe_check(source, answers[tx.id]) for tx in transactions]
        if any(values["state_after"] == "done" for values in log_values):
            # Sure to be there whatever a failed savepoint took back.
            self.env.ref("payment.cron_post_process_payment_tx")._trigger()
        return self.env["pbd.stripe.event"].sudo().create(log_values)

    def _pbd_stripe_ask(self):
        """Stripe's PaymentIntent of each transaction, or the GatewayError it raised, by transaction id."""
        gateways = {}
        answers = {}
        for tx in self:
            provider = tx.provider_id
            try:
                if provider not in gateways:
                    gateways[provider] = provider._pbd_stripe_gateway()
                answers[tx.id] = gateways[provider].payment_intent(tx.provider_reference)
            except stripe_gateway.GatewayError as exc:
                answers[tx.id] = exc
        return answers

    def _pbd_stripe_sole_intents(self):
        """The intent ids of these transactions that no other payment holds (one query)."""
        groups = (
            self.sudo()
            .with_context(active_test=False)
            ._read_group(
                [
                    ("provider_reference", "in", self.mapped("provider_reference")),
                    ("provider_code", "=", "stripe"),
                    ("operation", "in", PAYMENT_OPERATIONS),
                ],
                ["provider_reference"],
                ["__count"],
            )
        )
        return frozenset(reference for reference, count in groups if count == 1)

    def _pbd_stripe_check(self, source, intent):
        """Apply Stripe's answer about this transaction (an intent, or a
        GatewayError): the log row's values."""
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

        if isinstance(intent, stripe_gateway.GatewayError):
            return row("error", message=str(intent))
        try:
            self._pbd_stripe_check_intent(intent)
        except stripe_gateway.IntentMismatch as mismatch:
            self._pbd_stripe_warn_accountant(mismatch.message)
            return row("mismatch", intent.get("status"), mismatch.message)
        review = stripe_gateway.review_intent(
            intent,
            self.reference,
            self._pbd_stripe_minor_amount(),
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
