from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import formatLang

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
    pbd_ecb_rate_period = fields.Selection(
        selection="_pbd_half_year_selection",
        string="Half-year of the rate",
        default="2026-H2",  # the half-year of the default rate above
        help="The half-year the ECB rate above is the rate of. Update both each half-year, in early "
        "January and in early July: reminders and letters quote them.",
    )
    pbd_penalty_margin = fields.Float(
        string="Points added",
        default=10.0,
        digits=(5, 3),
        help="Points added to the ECB rate to get the late-payment rate (the law's minimum is 10 points). "
        "Invoices, reminders and letters quote this figure.",
    )
    pbd_flat_fee = fields.Float(
        string="Flat collection fee",
        default=40.0,
        help="Owed by a business client for each invoice paid late (40 € by law). Invoices, reminders and "
        "letters quote this amount.",
    )
    pbd_formal_notice_days = fields.Integer(
        string="Formal notice deadline (days)",
        default=8,
        help="Days a formal notice gives the client to pay, counted from its receipt: the formal-notice "
        "email and letter state it.",
    )

    @api.constrains("pbd_preview_pages")
    def _check_pbd_preview_pages(self):
        for company in self:
            if not 1 <= company.pbd_preview_pages <= 10:
                raise ValidationError(self.env._("The preview shows between 1 and 10 pages."))

    @api.constrains("pbd_formal_notice_days")
    def _check_pbd_formal_notice_days(self):
        for company in self:
            if company.pbd_formal_notice_days < 1:
                raise ValidationError(self.env._("A formal notice gives at least one day to pay."))

    def _pbd_penalty_rate(self):
        self.ensure_one()
        return penalties.annual_rate(self.pbd_ecb_rate, self.pbd_penalty_margin)

    def _pbd_margin_display(self):
        """The points added to the ECB rate as the environment's language writes them ("10", "10,5")."""
        self.ensure_one()
        margin = self.pbd_penalty_margin
        digits = 0 if float(margin).is_integer() else 2 if round(margin, 2) == margin else 3
        return formatLang(self.env, margin, digits=digits)

    # ------------------------------------------------------------------
    # The half-year of the ECB rate: its one home (parsing in lib/penalties)
    # ------------------------------------------------------------------
    @api.model
    def _pbd_half_year_selection(self):
        """Half-years from two years back to next year, in words, and any value already stored."""
        year = fields.Date.context_today(self).year
        keys = [f"{y}-H{half}" for y in range(year - 2, year + 2) for half in (1, 2)]
        stored = {
            value
            for value in self.sudo().with_context(active_test=False).search([]).mapped("pbd_ecb_rate_period")
            if value
        }
        keys += sorted(stored - set(keys))
        return [(key, self._pbd_half_year_words(key, capital=True)) for key in keys]

    @api.model
    def _pbd_half_year_words(self, key, capital=False):
        """A half-year key ("2026-H2") in words in the environment's language, else the key itself."""
        parts = penalties.parse_half_year(key)
        if not parts:
            return key
        year, half = parts
        if capital:
            if half == 1:
                return self.env._("First half of %(year)s", year=year)
            return self.env._("Second half of %(year)s", year=year)
        if half == 1:
            return self.env._("the first half of %(year)s", year=year)
        return self.env._("the second half of %(year)s", year=year)

    def _pbd_half_year_label(self, on_date):
        """The half-year of this company's ECB rate in a sentence ("le second semestre 2026").

        The environment's language is the reader's; without a half-year set,
        the one of ``on_date``.
        """
        self.ensure_one()
        return self._pbd_half_year_words(self.pbd_ecb_rate_period or penalties.half_year(on_date))

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
