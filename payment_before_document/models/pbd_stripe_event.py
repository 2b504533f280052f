from datetime import UTC, datetime
import logging

from psycopg2 import errors as pgerrors

from odoo import api, fields, models
from odoo.tools import mute_logger

_logger = logging.getLogger(__name__)

TX_STATES = [
    ("draft", "Draft"),
    ("pending", "Pending"),
    ("authorized", "Authorized"),
    ("done", "Confirmed"),
    ("cancel", "Canceled"),
    ("error", "Error"),
]


class PbdStripeEvent(models.Model):
    """What the module did with each Stripe notification and each check.

    One row per webhook event admitted: its Stripe event id is unique, so a
    retried or duplicated delivery is recognised and changes nothing. One row
    per check of the reconciliation job (or of a user pressing "Check with
    Stripe"). Rows are written by the module only (in sudo); users read them
    on the transaction, the provider and the "Stripe log" menu.
    """

    _name = "pbd.stripe.event"
    _description = "Stripe Payment Log"
    _order = "id desc"

    event_id = fields.Char(string="Stripe event", readonly=True)
    event_type = fields.Char(readonly=True)
    event_created = fields.Datetime(string="Sent by Stripe at", readonly=True)
    source = fields.Selection(
        [
            ("webhook", "Webhook"),
            ("return", "Client's return from the payment page"),
            ("job", "Reconciliation job"),
            ("manual", "Checked by a user"),
        ],
        required=True,
        readonly=True,
    )
    transaction_id = fields.Many2one(
        "payment.transaction", required=True, readonly=True, index=True, ondelete="cascade"
    )
    provider_id = fields.Many2one(related="transaction_id.provider_id", store=True, index=True)
    company_id = fields.Many2one(related="transaction_id.company_id", store=True, index=True)
    reference = fields.Char(related="transaction_id.reference")
    amount = fields.Monetary(related="transaction_id.amount")
    currency_id = fields.Many2one(related="transaction_id.currency_id")
    stripe_status = fields.Char(readonly=True, help="The status Stripe gave for the payment.")
    state_before = fields.Selection(TX_STATES, string="Before", readonly=True)
    state_after = fields.Selection(TX_STATES, string="After", readonly=True)
    outcome = fields.Selection(
        [
            ("processed", "Processed"),
            ("out_of_order", "Ignored: older than an event already processed"),
            ("updated", "Updated from Stripe"),
            ("unchanged", "Nothing new at Stripe"),
            ("mismatch", "Refused: not this transaction's payment"),
            ("busy", "Being processed by another notification"),
            ("error", "Stripe could not be asked"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    message = fields.Char(readonly=True)
    user_id = fields.Many2one("res.users", string="By", readonly=True, default=lambda self: self.env.user)

    _sql_constraints = [
        ("event_id_unique", "unique(event_id)", "This Stripe event was already received."),
    ]

    # ------------------------------------------------------------------
    # Webhook events
    # ------------------------------------------------------------------
    @api.model
    def _pbd_admit(self, event, transaction):
        """Record a verified webhook event; ``False`` when it must change nothing.

        The transaction's row is locked first, so that two notifications of
        the same payment are applied one after the other. Then the event id
        is stored under its unique constraint: a duplicate is refused. Last,
        an event older than one already processed for this transaction
        (Stripe does not guarantee the order of deliveries) is recorded as
        such and not applied.
        """
        transaction._pbd_lock()
        created = self._pbd_datetime(event.get("created"))
        values = {
            "event_id": event.get("id") or False,
            "event_type": event.get("type"),
            "event_created": created,
            "source": "webhook",
            "transaction_id": transaction.id,
            "stripe_status": self._pbd_object_status(event),
            "state_before": transaction.state,
        }
        newer = created and self.search_count(
            [
                ("transaction_id", "=", transaction.id),
                ("outcome", "=", "processed"),
                ("event_created", ">", created),
            ],
            limit=1,
        )
        values["outcome"] = "out_of_order" if newer else "processed"
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.create(values)
        except pgerrors.UniqueViolation:
            _logger.info("Stripe event %s received again: already handled", values["event_id"])
            return False
        if newer:
            _logger.info("Stripe event %s is older than one already processed: ignored", values["event_id"])
            return False
        return True

    @api.model
    def _pbd_record_processed(self, event):
        """After Odoo applied an admitted event: the state it left."""
        if not event.get("id"):
            return self
        row = self.search([("event_id", "=", event["id"])], limit=1)
        row.state_after = row.transaction_id.state
        return row

    @staticmethod
    def _pbd_datetime(timestamp):
        if not isinstance(timestamp, int):
            return False
        return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)

    @staticmethod
    def _pbd_object_status(event):
        stripe_object = (event.get("data") or {}).get("object") or {}
        return stripe_object.get("status") if isinstance(stripe_object, dict) else False
