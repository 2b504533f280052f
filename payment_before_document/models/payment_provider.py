from odoo import api, models

from odoo.addons.payment_stripe import const as stripe_const, utils as stripe_utils

from ..lib import stripe_gateway
from .payment_transaction import RECONCILE_BATCH

STRIPE_LOG_ACTION = "payment_before_document.action_pbd_stripe_event"


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    @api.model_create_multi
    def create(self, vals_list):
        providers = super().create(vals_list)
        if any(provider.code == "stripe" for provider in providers):
            self._pbd_sync_stripe_log_menu()
        return providers

    def write(self, vals):
        result = super().write(vals)
        if {"state", "code", "company_id"} & set(vals) and any(p.code == "stripe" for p in self):
            self._pbd_sync_stripe_log_menu()
        return result

    @api.model
    def _pbd_sync_stripe_log_menu(self):
        """Show the Stripe log menu to billing users only while Stripe is set up.

        Odoo menus depend on groups, not on data: the billing group implies
        the log's group while a Stripe provider is enabled or in test mode.
        """
        group = self.env.ref("payment_before_document.group_pbd_stripe_log", raise_if_not_found=False)
        billing = self.env.ref("account.group_account_invoice", raise_if_not_found=False)
        if not group or not billing:
            return
        in_use = bool(
            self.sudo().search_count([("code", "=", "stripe"), ("state", "!=", "disabled")], limit=1)
        )
        if in_use and group not in billing.implied_ids:
            billing.sudo()._apply_group(group)
        elif not in_use and group in billing.implied_ids:
            billing.sudo()._remove_group(group)

    def _pbd_stripe_gateway(self):
        """Stripe's API through the stripe library, with this provider's secret key."""
        self.ensure_one()
        secret_key = stripe_utils.get_secret_key(self.sudo())
        if not secret_key:
            raise stripe_gateway.GatewayError(self.env._("No Stripe secret key is set on %s.", self.name))
        return stripe_gateway.StripeGateway(secret_key, stripe_const.API_VERSION)

    def _stripe_make_request(
        self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None
    ):
        """The webhook Odoo creates ("Generate your webhook") also sends disputes."""
        if endpoint == "webhook_endpoints" and method == "POST" and payload and "enabled_events[]" in payload:
            events = list(payload["enabled_events[]"])
            payload = dict(
                payload,
                **{
                    "enabled_events[]": events
                    + [event for event in stripe_gateway.DISPUTE_EVENTS if event not in events]
                },
            )
        return super()._stripe_make_request(
            endpoint, payload=payload, method=method, offline=offline, idempotency_key=idempotency_key
        )

    def action_pbd_stripe_reconcile(self):
        """Ask Stripe now about this provider's payments still waiting."""
        self.ensure_one()
        transactions = self.env["payment.transaction"].sudo()
        domain = transactions._pbd_stripe_waiting_domain() + [("provider_id", "=", self.id)]
        waiting = transactions.search(domain, order="create_date desc, id desc", limit=RECONCILE_BATCH)
        return waiting._pbd_stripe_check_now(asked=transactions.search_count(domain))

    def action_pbd_view_stripe_log(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(STRIPE_LOG_ACTION)
        return dict(action, domain=[("provider_id", "=", self.id)])
