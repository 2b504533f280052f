from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.sms_twilio.tools.sms_twilio import get_twilio_from_number

from ..lib import penalties, twilio_transport

RELEASE_TEMPLATE = "payment_before_document.mail_template_documents_available"
WATERMARK = "PREVIEW – payment required"


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
        default=WATERMARK,
    )
    pbd_release_template_id = fields.Many2one(
        "mail.template",
        string="Documents available email",
        domain=[("model", "=", "account.move")],
        default=lambda self: self.env.ref(RELEASE_TEMPLATE, raise_if_not_found=False),
        help="Empty: the add-on's own template is used.",
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

    # ------------------------------------------------------------------
    # The add-on's settings on every company, old or new
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._pbd_init_company_settings()
        return companies

    def _pbd_init_company_settings(self):
        """Give these companies what field defaults cannot: the same settings for all.

        Called for every company created from now on, by the post-init hook for
        the companies that existed before the add-on, and by the migration to
        18.0.1.1.0. The "documents available" template (its record does not
        exist yet when the columns get their defaults) and the preview
        watermark in each installed language. A firm's own choices are kept.
        """
        template = self.env.ref(RELEASE_TEMPLATE, raise_if_not_found=False)
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        for company in self.sudo():
            if template and not company.pbd_release_template_id:
                company.pbd_release_template_id = template
            if company.with_context(lang="en_US").pbd_watermark_text in (False, "", WATERMARK):
                company.update_field_translations(
                    "pbd_watermark_text",
                    {
                        lang: company.with_context(lang=lang).env._("PREVIEW – payment required")
                        for lang in {"en_US", *langs}
                    },
                )

    def _pbd_release_template(self):
        """The "documents available" template: the company's, else the add-on's."""
        self.ensure_one()
        return self.pbd_release_template_id or self.env.ref(RELEASE_TEMPLATE, raise_if_not_found=False)

    # ------------------------------------------------------------------
    # Signature codes: the company's Twilio account, as Odoo's SMS settings say
    # ------------------------------------------------------------------
    def _pbd_twilio_ready(self):
        """True when the company sends its SMS via Twilio, with an account and a sender number.

        Twilio is configured in one place, Odoo's SMS settings of the company
        (``sms_twilio``). A signature code must be accepted at once: without
        these, no signature is offered (it fails closed).
        """
        self.ensure_one()
        company = self.sudo()
        return bool(
            company.sms_provider == "twilio"
            and company.sms_twilio_account_sid
            and company.sms_twilio_auth_token
            and company.sms_twilio_number_ids
        )

    def _pbd_twilio_sender_for(self, number):
        """The number Odoo itself sends from to ``number``: its country's, else the first one."""
        self.ensure_one()
        return get_twilio_from_number(self.sudo(), number).number or ""

    def _pbd_twilio_sms(self):
        """The signature code's sender on the company's Twilio account, or None."""
        self.ensure_one()
        if not self._pbd_twilio_ready():
            return None
        company = self.sudo()
        return twilio_transport.TwilioSms(company.sms_twilio_account_sid, company.sms_twilio_auth_token)
