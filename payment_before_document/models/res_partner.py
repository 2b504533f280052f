from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    pbd_access_policy = fields.Selection(
        [
            ("pay_first", "Payment before access"),
            ("trusted", "Trusted: access before payment"),
        ],
        string="Document access",
        default="pay_first",
        required=True,
        tracking=True,
        help="Trusted clients get their deliverables as soon as the invoice is posted, "
        "for a transition period that ends by itself on the end date.",
    )
    pbd_trusted_until = fields.Date(
        string="Trusted until",
        tracking=True,
        help="Last day of the transition period. Leave empty for no end date.",
    )
    pbd_trust_reason = fields.Char(string="Reason for trust", tracking=True)

    def _pbd_is_trusted(self, on_date=None):
        """True when the commercial partner is exempted on ``on_date`` (today by default)."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.pbd_access_policy != "trusted":
            return False
        on_date = on_date or fields.Date.context_today(self)
        return not partner.pbd_trusted_until or on_date <= partner.pbd_trusted_until

    @api.model
    def _cron_end_trust_periods(self):
        """Put clients whose transition period is over back to payment before access."""
        today = fields.Date.context_today(self)
        expired = self.search(
            [
                ("pbd_access_policy", "=", "trusted"),
                ("pbd_trusted_until", "!=", False),
                ("pbd_trusted_until", "<", today),
            ]
        )
        for partner in expired:
            partner.message_post(
                body=self.env._(
                    "The transition period ended on %(date)s: documents are again released after payment.",
                    date=partner.pbd_trusted_until,
                )
            )
        expired.write({"pbd_access_policy": "pay_first"})
        return expired
