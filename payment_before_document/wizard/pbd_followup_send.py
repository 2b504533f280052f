from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class PbdFollowupSend(models.TransientModel):
    """Confirmation before follow-ups go out: who gets what, through which channels, for how much.

    Each line previews the email and the letter exactly as they will be
    rendered. Formal notices are sent only once the accountant ticked that
    they checked them.
    """

    _name = "pbd.followup.send"
    _description = "Send Follow-ups"

    line_ids = fields.One2many("pbd.followup.send.line", "wizard_id", string="Follow-ups", readonly=True)
    partner_ids = fields.Many2many("res.partner", string="Customers", readonly=True)
    formal_notice_count = fields.Integer(string="Formal notices", compute="_compute_formal_notice_count")
    confirm_formal_notice = fields.Boolean(
        string="I checked the formal notices",
        help="Formal notices (mises en demeure) are sent only once this is ticked.",
    )

    def _compute_display_name(self):
        for wizard in self:
            wizard.display_name = self.env._("Send follow-ups")

    @api.depends("line_ids.is_formal_notice")
    def _compute_formal_notice_count(self):
        for wizard in self:
            wizard.formal_notice_count = len(wizard.line_ids.filtered("is_formal_notice"))

    @api.model
    def _action_open(self, partners):
        """The confirmation for these customers, or, with nothing to send, what happens next and when."""
        if not partners:
            partners = self.env["res.partner"].search(
                [("parent_id", "=", False), ("pbd_followup_status", "=", "action")]
            )
        lines = self._line_values(partners)
        if not lines:
            return self.env["pbd.followup.run"]._pbd_notify_action(partners)
        wizard = self.create(
            {
                "partner_ids": [Command.set(partners.ids)],
                "line_ids": [Command.create(vals) for vals in lines],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send follow-ups"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def _line_values(self, partners):
        """What a run would send today to each of these customers, with previews."""
        Run = self.env["pbd.followup.run"]
        today = fields.Date.context_today(self)
        by_company = {}
        for partner in partners.commercial_partner_id:
            company = partner.company_id or self.env.company
            by_company.setdefault(company, self.env["res.partner"])
            by_company[company] |= partner
        result = []
        for company, company_partners in by_company.items():
            actions = Run.with_company(company)._compute_actions(company, today, company_partners)
            if not actions:
                continue
            values = self.env["pbd.followup.statement"]._build(
                self.env["res.partner"].browse([a.partner.id for a in actions]),
                company,
                today,
                levels={action.partner.id: action.level for action in actions},
            )
            for action in actions:
                result.append(self._preview_line(action, values, company, today))
        return result

    @api.model
    def _preview_line(self, action, values, company, today):
        level = action.level
        partner_values = values[action.partner.id]
        channels = level._channels()
        labels = dict(self.env["pbd.followup.history"]._fields["channel"]._description_selection(self.env))
        contact = partner_values["contact"]
        env = self.with_context(pbd_followup_values=values).env
        email = ""
        if "email" in channels and level.email_template_id:
            email = level.email_template_id.with_env(env)._render_field(
                "body_html", action.partner.ids, compute_lang=True
            )[action.partner.id]
        sms = ""
        if "sms" in channels and level.sms_template_id:
            sms = level.sms_template_id.with_env(env)._render_field(
                "body", action.partner.ids, compute_lang=True
            )[action.partner.id]
        letter = ""
        if "letter" in channels:
            doc = env["pbd.followup.history"].new(
                {
                    "partner_id": action.partner.id,
                    "company_id": company.id,
                    "level_id": level.id,
                    "date": today,
                }
            )
            letter = (
                env["ir.qweb"]
                .with_context(lang=action.partner.lang or self.env.lang)
                ._render("payment_before_document.report_pbd_followup_letter_page", {"doc": doc})
            )
        return {
            "partner_id": action.partner.id,
            "level_id": level.id,
            "is_formal_notice": level.is_formal_notice,
            "channels": ", ".join(labels[channel] for channel in channels),
            "contact_id": contact.id,
            "email_to": contact.email or False,
            "mobile": contact._pbd_sms_number().e164 or False,
            "currency_id": partner_values["currency"].id,
            "amount_due": partner_values["open_amount"],
            "amount_overdue": partner_values["amount_due"],
            "amount_claimed": partner_values["claimed_total"],
            "days_late": max((line["days_late"] for line in partner_values["overdue_lines"]), default=0),
            "email_preview": email,
            "sms_preview": sms,
            "letter_preview": letter,
        }

    def action_send(self):
        self.ensure_one()
        if self.formal_notice_count and not self.confirm_formal_notice:
            raise UserError(
                self.env._(
                    '%s formal notice(s) will be sent: read them, then tick "I checked the formal notices".',
                    self.formal_notice_count,
                )
            )
        partners = self.line_ids.partner_id
        return partners._pbd_followup_send_now()
