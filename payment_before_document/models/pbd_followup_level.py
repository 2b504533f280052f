from odoo import api, fields, models
from odoo.exceptions import ValidationError


class PbdFollowupLevel(models.Model):
    """One step of the firm's reminder ladder, and what it does."""

    _name = "pbd.followup.level"
    _description = "Follow-up Level"
    _order = "delay, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    delay = fields.Integer(
        string="Days after due date",
        required=True,
        help="When the level applies, in days after the invoice's due date; negative for a courtesy "
        "reminder before it is due.",
    )
    auto_execute = fields.Boolean(
        string="Run unattended",
        help="The daily run executes this level by itself; otherwise it waits for review in the "
        "follow-up list.",
    )
    min_gap_days = fields.Integer(
        string="Days after the previous level",
        default=7,
        help="An invoice gets this level only this many days, at least, after the previous level was "
        "sent for it: levels advance one at a time.",
    )
    is_formal_notice = fields.Boolean(
        string="Formal notice",
        help="Mise en demeure: the last notice before legal action, with a deadline.",
    )
    notice_deadline_days = fields.Integer(
        string="Deadline (days)", default=8, help="Days given to pay in a formal notice."
    )
    send_email = fields.Boolean(string="Email")
    email_template_id = fields.Many2one(
        "mail.template", string="Email template", domain=[("model", "=", "res.partner")]
    )
    attach_invoices = fields.Boolean(
        string="Attach invoice PDFs",
        help="Attach each overdue invoice's PDF to the email (never a locked deliverable). "
        "Rendering PDFs is slow: keep it for the levels that need it.",
    )
    send_sms = fields.Boolean(string="SMS")
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS template", domain=[("model", "=", "res.partner")]
    )
    send_letter = fields.Boolean(string="Letter")
    letter_body = fields.Html(
        string="Letter text", translate=True, sanitize_style=True, help="The body of the printed letter."
    )
    create_call = fields.Boolean(string="Phone call")
    call_script = fields.Html(string="Call script", translate=True, help="What to say on the phone.")
    create_manager_activity = fields.Boolean(string="Hand over to a manager")
    manager_id = fields.Many2one("res.users", domain=[("share", "=", False)])
    history_count = fields.Integer(compute="_compute_history_count")

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "A follow-up level name must be unique per company.",
        ),
    ]

    @api.depends_context("company")
    def _compute_history_count(self):
        counts = dict(
            self.env["pbd.followup.history"]._read_group(
                [("level_id", "in", self.ids)], ["level_id"], ["__count"]
            )
        )
        for level in self:
            level.history_count = counts.get(level, 0)

    def _channels(self):
        """The channels this level uses, in the order they run."""
        self.ensure_one()
        flags = [
            ("email", self.send_email),
            ("sms", self.send_sms),
            ("letter", self.send_letter),
            ("call", self.create_call),
            ("manager", self.create_manager_activity),
        ]
        return [channel for channel, enabled in flags if enabled]

    @api.model_create_multi
    def create(self, vals_list):
        levels = super().create(vals_list)
        levels._recompute_next_dates()
        return levels

    def write(self, vals):
        result = super().write(vals)
        if {"delay", "sequence", "active", "company_id", "min_gap_days", "is_formal_notice"} & set(vals):
            self._recompute_next_dates()
        return result

    def unlink(self):
        companies = self.company_id
        result = super().unlink()
        self.browse()._recompute_next_dates(companies)
        return result

    def _recompute_next_dates(self, companies=None):
        """Open invoices get their next follow-up date again when levels change."""
        companies = companies if companies is not None else self.company_id
        moves = self.env["account.move"].search(
            [
                ("company_id", "in", companies.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        self.env.add_to_compute(self.env["account.move"]._fields["pbd_followup_next_date"], moves)

    @api.constrains("min_gap_days")
    def _check_min_gap_days(self):
        for level in self:
            if level.min_gap_days < 0:
                raise ValidationError(self.env._("The gap after the previous level cannot be negative."))

    @api.model
    def _levels_for(self, company):
        return self.search([("company_id", "=", company.id)], order="delay, sequence, id")
