from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib import penalties


class ResCompany(models.Model):
    _inherit = "res.company"

    pbd_lock_by_default = fields.Boolean(
        string="Lock deliverables until payment",
        default=True,
        help="New deliverables wait for the invoice to be paid before the client can download them.",
    )
    pbd_preview_enabled = fields.Boolean(string="Show a preview of locked PDFs", default=True)
    pbd_preview_pages = fields.Integer(string="Preview pages", default=1)
    pbd_watermark_text = fields.Char(
        string="Watermark text",
        translate=True,
        default="PREVIEW – payment required",
    )
    pbd_release_template_id = fields.Many2one(
        "mail.template",
        string="Documents available email",
        domain=[("model", "=", "account.move")],
        default=lambda self: self.env.ref(
            "payment_before_document.mail_template_documents_available", raise_if_not_found=False
        ),
    )

    # Late-payment penalties (Code de commerce L441-10, D441-5)
    pbd_apply_penalties = fields.Boolean(
        string="Late-payment penalties",
        default=True,
        help="Compute and mention late-payment interest and the flat collection fee for business clients.",
    )
    pbd_ecb_rate = fields.Float(
        string="ECB refinancing rate (%)",
        default=2.15,
        digits=(5, 3),
        help="Main refinancing rate of the European Central Bank in force on 1 January (first "
        "half-year) or 1 July (second half-year).",
    )
    pbd_ecb_rate_period = fields.Char(
        string="Half-year of the rate", help="The half-year the ECB rate applies to, e.g. 2026-H2."
    )
    pbd_penalty_margin = fields.Float(string="Points added", default=10.0, digits=(5, 3))
    pbd_flat_fee = fields.Float(string="Flat collection fee", default=40.0)

    @api.constrains("pbd_preview_pages")
    def _check_pbd_preview_pages(self):
        for company in self:
            if not 1 <= company.pbd_preview_pages <= 10:
                raise ValidationError(self.env._("The preview shows between 1 and 10 pages."))

    def _pbd_penalty_rate(self):
        self.ensure_one()
        return penalties.annual_rate(self.pbd_ecb_rate, self.pbd_penalty_margin)
