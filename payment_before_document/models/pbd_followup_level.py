from datetime import timedelta

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
        help="Mise en demeure: the last notice before legal action, with the deadline of the company's "
        "settings (Invoicing > Settings > Late-payment penalties).",
    )
    notice_deadline_days = fields.Integer(
        related="company_id.pbd_formal_notice_days",
        string="Deadline (days)",
        help="Days a formal notice gives to pay: the company's setting (templates written before "
        "18.0.1.2.0 read it here).",
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
        Move = self.env["account.move"]
        moves = Move.search(Move._pbd_open_invoice_domain(companies.ids))
        self.env.add_to_compute(Move._fields["pbd_followup_next_date"], moves)

    @api.constrains("min_gap_days")
    def _check_min_gap_days(self):
        for level in self:
            if level.min_gap_days < 0:
                raise ValidationError(self.env._("The gap after the previous level cannot be negative."))

    # ------------------------------------------------------------------
    # The ladder: the order of levels, and which one applies to an invoice
    # ------------------------------------------------------------------
    @api.model
    def _levels_for(self, company):
        """The company's active levels, in the order they are sent."""
        return self.search([("company_id", "=", company.id)], order=self._order)

    def _sort_key(self):
        """The order of the ladder: later levels compare greater."""
        self.ensure_one()
        return (self.delay, self.sequence, self.id)

    def _pbd_highest(self):
        """The furthest level of these, or an empty recordset."""
        return max(self, key=lambda level: level._sort_key()) if self else self.browse()

    @api.model
    def _pbd_plans(self, moves, on_date=None):
        """Each invoice's next step, ``{move id: (level, first date)}`` (see :meth:`_pbd_plan`).

        Invoices without a next level are left out. The levels of each company
        are read once.
        """
        ladders = {}
        plans = {}
        for move in moves:
            company = move.company_id
            if company.id not in ladders:
                ladders[company.id] = self._levels_for(company)
            level, next_date = ladders[company.id]._pbd_plan(move, on_date)
            if level:
                plans[move.id] = (level, next_date)
        return plans

    def _pbd_plan(self, move, on_date=None):
        """The one level ``move`` may get next on this ladder, and the first day it may get it.

        ``self`` is a company's ladder as :meth:`_levels_for` returns it (in order).

        Levels advance one at a time: the level after the one the invoice
        reached, no sooner than its delay after the due date and its minimum
        gap after the previous level. An invoice that never had a level (an
        old overdue invoice when the add-on is adopted) starts at the first
        reminder: reminders meant for before the due date are skipped once it
        is late (on ``on_date``), and a formal notice is never its first message.
        """
        current = move.pbd_followup_level_id
        due = move.invoice_date_due
        late = bool(on_date and due and on_date > due)
        for level in self:
            if current and level._sort_key() <= current._sort_key():
                continue
            if not current and level.is_formal_notice:
                break
            if level.delay < 0 and (late or (current and current.delay >= 0)):
                continue
            next_date = due + timedelta(days=level.delay)
            if current and move.pbd_followup_date:
                next_date = max(next_date, move.pbd_followup_date + timedelta(days=level.min_gap_days))
            return level, next_date
        return self.browse(), False

    @api.model
    def _pbd_applicable(self, moves, on_date):
        """The level due on ``on_date`` for each invoice, ``{move id: level}``: only ever its next one."""
        return {
            move_id: level
            for move_id, (level, next_date) in self._pbd_plans(moves, on_date).items()
            if next_date <= on_date
        }
