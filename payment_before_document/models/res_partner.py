from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..lib import phone


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
        groups="base.group_user",
    )
    pbd_trusted_until = fields.Date(
        string="Trusted until",
        tracking=True,
        help="Last day of the transition period. Leave empty for no end date.",
        groups="base.group_user",
    )
    pbd_trust_reason = fields.Char(string="Reason for trust", tracking=True, groups="base.group_user")

    # ------------------------------------------------------------------
    # Follow-up: the customer's state, computed from its open invoices
    # ------------------------------------------------------------------
    pbd_followup_excluded = fields.Boolean(
        string="No follow-up",
        tracking=True,
        help="Never send follow-ups to this customer.",
        groups="base.group_user",
    )
    pbd_promise_date = fields.Date(
        string="Promised payment date",
        tracking=True,
        help="The customer promised to pay by this date: follow-up pauses until then.",
        groups="base.group_user",
    )
    pbd_followup_responsible_id = fields.Many2one(
        "res.users",
        string="Follow-up responsible",
        domain=[("share", "=", False)],
        tracking=True,
        groups="base.group_user",
    )
    pbd_followup_status = fields.Selection(
        [("action", "Action needed"), ("waiting", "Overdue, waiting"), ("none", "Up to date")],
        string="Follow-up status",
        compute="_compute_pbd_followup",
        search="_search_pbd_followup_status",
        groups="base.group_user",
    )
    pbd_followup_level_id = fields.Many2one(
        "pbd.followup.level",
        string="Follow-up level",
        compute="_compute_pbd_followup",
        groups="base.group_user",
    )
    pbd_next_followup_date = fields.Date(
        string="Next follow-up", compute="_compute_pbd_followup", groups="base.group_user"
    )
    pbd_overdue_amount = fields.Monetary(
        string="Overdue",
        compute="_compute_pbd_followup",
        currency_field="pbd_followup_currency_id",
        groups="base.group_user",
    )
    pbd_followup_currency_id = fields.Many2one(
        "res.currency", compute="_compute_pbd_followup", groups="base.group_user"
    )
    pbd_followup_history_ids = fields.One2many(
        "pbd.followup.history",
        "partner_id",
        string="Follow-up history",
        groups="base.group_user",
    )
    # The review list: what will be sent, to whom, and why
    pbd_followup_next_level_id = fields.Many2one(
        "pbd.followup.level",
        string="Level to send",
        compute="_compute_pbd_followup",
        groups="base.group_user",
        help="The level the next follow-up will send: levels advance one at a time.",
    )
    pbd_followup_days_late = fields.Integer(
        string="Days late",
        compute="_compute_pbd_followup",
        groups="base.group_user",
        help="Days past the due date of the oldest overdue invoice.",
    )
    pbd_followup_amount_due = fields.Monetary(
        string="Amount due",
        compute="_compute_pbd_followup",
        currency_field="pbd_followup_currency_id",
        groups="base.group_user",
        help="All open invoices, due or not yet due.",
    )
    pbd_followup_channels = fields.Char(
        string="Follow-up channels", compute="_compute_pbd_followup", groups="base.group_user"
    )
    pbd_followup_contact_id = fields.Many2one(
        "res.partner",
        string="Follow-up contact",
        compute="_compute_pbd_followup",
        groups="base.group_user",
        help="Who the reminders go to: the invoice's contact, else the customer's invoicing address.",
    )
    pbd_followup_mobile = fields.Char(
        string="Mobile for SMS", compute="_compute_pbd_followup", groups="base.group_user"
    )
    pbd_followup_phone = fields.Char(
        string="Phone to call", compute="_compute_pbd_followup", groups="base.group_user"
    )
    pbd_followup_note = fields.Char(
        string="Follow-up note", compute="_compute_pbd_followup", groups="base.group_user"
    )

    def _pbd_is_trusted(self, on_date=None):
        """True when the commercial partner is exempted on ``on_date`` (today by default)."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.pbd_access_policy != "trusted":
            return False
        on_date = on_date or fields.Date.context_today(self)
        return not partner.pbd_trusted_until or on_date <= partner.pbd_trusted_until

    @api.model
    def _cron_pbd_end_trust_periods(self):
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

    @api.depends_context("company", "allowed_company_ids")
    def _compute_pbd_followup(self):
        today = fields.Date.context_today(self)
        Move = self.env["account.move"]
        commercial = self.commercial_partner_id
        moves = Move.search(
            Move._pbd_open_invoice_domain() + [("commercial_partner_id", "in", commercial.ids)],
            order="invoice_date_due, id",
        )
        by_partner = defaultdict(lambda: self.env["account.move"])
        for move in moves:
            by_partner[move.commercial_partner_id.id] |= move
        # What the next run will do for each invoice: levels advance one at a time.
        plans = self.env["pbd.followup.level"]._pbd_plans(
            moves.filtered(lambda m: not m.pbd_dispute and m.invoice_date_due), today
        )
        action_ids = {partner.id for partner in Move._pbd_followup_due(today, partners=commercial)}
        contacts = self.env["pbd.followup.statement"]._contacts(by_partner)
        channel_labels = dict(
            self.env["pbd.followup.history"]._fields["channel"]._description_selection(self.env)
        )
        for partner in self:
            root = partner.commercial_partner_id
            partner_moves = by_partner[root.id]
            partner_plans = [(move, *plans[move.id]) for move in partner_moves if move.id in plans]
            overdue = partner_moves.filtered(lambda m: m.invoice_date_due and m.invoice_date_due < today)
            partner.pbd_followup_level_id = partner_moves.pbd_followup_level_id._pbd_highest()
            paused = root.pbd_promise_date and root.pbd_promise_date >= today
            next_date = min(plan_date for _m, _l, plan_date in partner_plans) if partner_plans else False
            if paused:
                next_date = max(next_date, root.pbd_promise_date + timedelta(days=1)) if next_date else False
            partner.pbd_next_followup_date = next_date
            partner.pbd_overdue_amount = sum(overdue.mapped("amount_residual_signed"))
            partner.pbd_followup_amount_due = sum(partner_moves.mapped("amount_residual_signed"))
            partner.pbd_followup_currency_id = self.env.company.currency_id
            partner.pbd_followup_days_late = (
                max((today - move.invoice_date_due).days for move in overdue) if overdue else 0
            )
            partner.pbd_followup_status = root._pbd_followup_status_from(action_ids, bool(overdue))
            # The level the next run will send: the highest one due on the next follow-up date.
            when = max(next_date, today) if next_date else today
            next_level = (
                self.env["pbd.followup.level"]
                .concat(*(level for _m, level, plan_date in partner_plans if plan_date <= when))
                ._pbd_highest()
            )
            partner.pbd_followup_next_level_id = next_level
            partner.pbd_followup_channels = (
                ", ".join(channel_labels[c] for c in next_level._channels()) if next_level else False
            )
            contact = contacts.get(root.id) or root
            partner.pbd_followup_contact_id = contact
            partner.pbd_followup_mobile = contact._pbd_sms_number().e164 or False
            partner.pbd_followup_phone = contact.phone or contact.mobile or root.phone or False
            first_timers = [
                move
                for move, _level, _date in partner_plans
                if not move.pbd_followup_level_id and move in overdue
            ]
            partner.pbd_followup_note = (
                self.env._(
                    "%(count)s overdue invoice(s) never reminded: they start at the first reminder.",
                    count=len(first_timers),
                )
                if first_timers
                else False
            )

    def _pbd_followup_status_from(self, action_ids, overdue):
        """The status of one client: "action" when a run would send it something today."""
        self.ensure_one()
        if self.id in action_ids:
            return "action"
        return "waiting" if overdue else "none"

    def _pbd_sms_number(self):
        """The contact's mobile number in E.164 (phone library), never a landline."""
        self.ensure_one()
        country = (
            self.country_id or self.commercial_partner_id.country_id or self.env.company.country_id
        ).code
        parsed = phone.ParsedNumber(problem="empty")
        for raw in (self.mobile, self.phone):
            if raw:
                parsed = phone.parse_for_sms(raw, country)
                if parsed.ok:
                    return parsed
        return parsed

    def _search_pbd_followup_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the follow-up status."))
        values = {value} if isinstance(value, str) else set(value or [])
        today = fields.Date.context_today(self)
        Move = self.env["account.move"]
        # The same rule as the status compute and the run (account.move._pbd_followup_due).
        action_ids = {partner.id for partner in Move._pbd_followup_due(today)}
        overdue_moves = Move.search(Move._pbd_open_invoice_domain() + [("invoice_date_due", "<", today)])
        waiting_ids = set(overdue_moves.commercial_partner_id.ids) - action_ids
        ids = set()
        if "action" in values:
            ids |= action_ids
        if "waiting" in values:
            ids |= waiting_ids
        if "none" in values:
            positive = "not in" if operator in ("=", "in") else "in"
            return [("commercial_partner_id", positive, list(action_ids | waiting_ids))]
        positive = "in" if operator in ("=", "in") else "not in"
        return [("commercial_partner_id", positive, list(ids))]

    def _pbd_followup_responsible(self):
        """Who signs this client's letters and is given its follow-up tasks.

        Its follow-up responsible, else its salesperson, else who runs the
        follow-up. The daily job runs as OdooBot, who is nobody: a letter it
        sends is signed, and its tasks are given, by the company's first
        billing administrator.
        """
        self.ensure_one()
        user = self.pbd_followup_responsible_id or self.user_id or self.env.user
        if user._is_superuser():
            administrator = (
                self.env["res.users"]
                .sudo()
                .search(
                    [
                        ("share", "=", False),
                        ("id", "!=", user.id),
                        ("groups_id", "in", self.env.ref("account.group_account_manager").ids),
                        ("company_ids", "in", self.env.company.ids),
                    ],
                    order="id",
                    limit=1,
                )
            )
            user = administrator.with_env(self.env) or user
        return user

    def _pbd_followup_values(self):
        """This client's follow-up statement (see ``pbd.followup.statement``).

        Kept for the follow-up templates a firm edited before 18.0.1.2.0, which
        still call it: the shipped ones read the statement directly.
        """
        self.ensure_one()
        return self.env["pbd.followup.statement"]._get(self)

    def _pbd_is_professional(self):
        """A company, or anyone with a VAT number, owes the B2B penalties."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return bool(partner.is_company or partner.vat or partner.company_registry)

    def action_pbd_followup_send(self):
        """Open the confirmation: what each client will get, with previews, before anything is sent."""
        return self.env["pbd.followup.send"]._action_open(self.commercial_partner_id)

    def _pbd_followup_send_now(self):
        runs = self.env["pbd.followup.run"]._run_for_partners(self)
        return runs._pbd_notify_action(self)

    @api.model
    def _pbd_followup_next_step_text(self, partners):
        """Why nothing goes out today, and when the next follow-up will: one line per client."""
        partners = (partners or self.browse()).commercial_partner_id
        today = fields.Date.context_today(self)
        lines = []
        for partner in partners:
            parts = []
            if partner.pbd_followup_excluded:
                parts.append(self.env._("excluded from follow-ups"))
            elif partner.pbd_next_followup_date and partner.pbd_followup_next_level_id:
                parts.append(
                    self.env._(
                        "next follow-up on %(date)s (%(level)s)",
                        date=format_date(self.env, max(partner.pbd_next_followup_date, today)),
                        level=partner.pbd_followup_next_level_id.name,
                    )
                )
            else:
                parts.append(self.env._("no follow-up planned"))
            if partner.pbd_promise_date and partner.pbd_promise_date >= today:
                parts.append(
                    self.env._("promise to pay by %s", format_date(self.env, partner.pbd_promise_date))
                )
            lines.append(f"{partner.display_name}: {', '.join(parts)}")
        return "\n".join(lines) or self.env._("No customer selected.")

    def action_pbd_followup_report(self):
        return self.env.ref("payment_before_document.action_report_pbd_followup_statement").report_action(
            self
        )

    def action_pbd_log_call(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "payment_before_document.action_pbd_followup_call_outcome"
        )
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
