import json
import logging

from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request

from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.const import HANDLED_WEBHOOK_EVENTS
from odoo.addons.payment_stripe.controllers.main import StripeController

from ..lib import stripe_gateway

_logger = logging.getLogger(__name__)


class EventNotApplied(Exception):
    """A verified event that must change nothing (a duplicate, or out of order)."""


class PbdStripeController(StripeController):
    """Stripe's webhook, hardened; Odoo's own code still applies the events.

    Before Odoo applies an event, the raw body must carry a valid signature
    of the transaction's provider (checked by the stripe library; an old
    timestamp is refused; no webhook secret means no event), its event id is
    stored once (duplicates change nothing), and an event older than one
    already applied to the same transaction is ignored.

    On every path the PaymentIntent must be the transaction's own (the gate
    in ``payment.transaction._pbd_stripe_check_intent``): a refused intent
    changes nothing but the Stripe log and an activity for the accountant.
    Disputes (chargebacks) are signed and admitted like the other events,
    then handled by ``payment.transaction._pbd_stripe_dispute``.
    """

    @http.route()
    def stripe_return(self, **data):
        try:
            return super().stripe_return(**data)
        except stripe_gateway.IntentMismatch as mismatch:
            # Nothing was applied; what the client sees is the unchanged payment.
            tx_sudo = request.env["payment.transaction"].sudo()._get_tx_from_notification_data("stripe", data)
            tx_sudo._pbd_stripe_refuse(mismatch, "return")
            return request.redirect("/payment/status")

    @http.route()
    def stripe_webhook(self):
        try:
            event = json.loads(request.httprequest.get_data())
            event_type = event["type"]
            stripe_object = event["data"]["object"]
        except (ValueError, KeyError, TypeError):
            _logger.warning("Stripe webhook refused: the body is not a Stripe event")
            return request.make_json_response({"error": "not a Stripe event"}, status=400)
        if event_type in stripe_gateway.DISPUTE_EVENTS:
            return self._pbd_stripe_dispute_webhook(event)
        if event_type not in HANDLED_WEBHOOK_EVENTS:
            _logger.info("Stripe webhook: %s events are not used; acknowledged", event_type)
            return request.make_json_response("")
        if not self._pbd_find_transaction(event_type, stripe_object):
            # Another application may share the Stripe account: not an error.
            _logger.info("Stripe webhook: no transaction here for a %s event; acknowledged", event_type)
            return request.make_json_response("")
        try:
            response = super().stripe_webhook()
        except EventNotApplied:
            return request.make_json_response("")
        except stripe_gateway.IntentMismatch as mismatch:
            # Acknowledged (a retry would say the same); the admitted row says why.
            tx_sudo = self._pbd_find_transaction(event_type, stripe_object)
            tx_sudo._pbd_stripe_refuse(mismatch, "webhook", event_row=self._pbd_event_row(event))
            return request.make_json_response("")
        request.env["pbd.stripe.event"].sudo()._pbd_record_processed(event)
        return response

    def _pbd_stripe_dispute_webhook(self, event):
        """A chargeback: signed by the disputed payment's provider, admitted once, then handled."""
        dispute = event["data"]["object"]
        tx_sudo = request.env["payment.transaction"].sudo()
        if isinstance(dispute, dict) and isinstance(dispute.get("payment_intent"), str):
            tx_sudo = tx_sudo._pbd_stripe_disputed_transaction(dispute["payment_intent"])
        if not tx_sudo:
            _logger.info("Stripe webhook: no payment here for a %s event; acknowledged", event["type"])
            return request.make_json_response("")
        try:
            self._verify_notification_signature(tx_sudo)
        except EventNotApplied:
            return request.make_json_response("")
        tx_sudo._pbd_stripe_dispute(dispute, self._pbd_event_row(event))
        return request.make_json_response("")

    @staticmethod
    def _pbd_event_row(event):
        """The Stripe log row of an admitted event."""
        rows = request.env["pbd.stripe.event"].sudo()
        return rows.search([("event_id", "=", event["id"])], limit=1) if event.get("id") else rows

    @staticmethod
    def _pbd_find_transaction(event_type, stripe_object):
        if not isinstance(stripe_object, dict):
            return None
        data = {
            "reference": stripe_object.get("description"),
            "event_type": event_type,
            "object_id": stripe_object.get("id"),
        }
        try:
            return request.env["payment.transaction"].sudo()._get_tx_from_notification_data("stripe", data)
        except ValidationError:
            return None

    def _verify_notification_signature(self, tx_sudo):
        """Odoo calls this between finding the transaction and applying the event.

        Replaces Odoo's own check, which lets everything through when no
        webhook secret is set and fails on a malformed header: the signature
        is checked by the stripe library on the raw body, with the
        transaction's own provider's secret; without a secret nothing passes.
        Then the event is admitted (stored once, in order) under a lock on
        the transaction.
        """
        provider_sudo = tx_sudo.provider_id
        try:
            event = stripe_gateway.verify_event(
                request.httprequest.get_data(),
                request.httprequest.headers.get("Stripe-Signature"),
                stripe_utils.get_webhook_secret(provider_sudo),
            )
        except stripe_gateway.InvalidEvent as exc:
            _logger.warning("Stripe webhook refused for provider %s: %s", provider_sudo.id, exc.reason)
            raise Forbidden() from exc
        if not request.env["pbd.stripe.event"].sudo()._pbd_admit(event, tx_sudo):
            raise EventNotApplied()
