from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from ..lib import penalties


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

    # ------------------------------------------------------------------
    # Follow-up: the customer's state, computed from its open invoices
    # ------------------------------------------------------------------
    pbd_followup_excluded = fields.Boolean(
        string="No follow-up", tracking=True, help="Never send follow-ups to this customer."
    )
    pbd_promise_date = fields.Date(
        string="Promised payment date",
        tracking=True,
        help="The customer promised to pay by this date: follow-up pauses until then.",
    )
    pbd_followup_responsible_id = fields.Many2one(
        "res.users", string="Follow-up responsible", domain=[("share", "=", False)], tracking=True
    )
    pbd_followup_status = fields.Selection(
        [("action", "Action needed"), ("waiting", "Overdue, waiting"), ("none", "Up to date")],
        string="Follow-up status",
        compute="_compute_pbd_followup",
        search="_search_pbd_followup_status",
    )
    pbd_followup_level_id = fields.Many2one(
        "pbd.followup.level", string="Follow-up level", compute="_compute_pbd_followup"
    )
    pbd_next_followup_date = fields.Date(string="Next follow-up", compute="_compute_pbd_followup")
    pbd_overdue_amount = fields.Monetary(
        string="Overdue", compute="_compute_pbd_followup", currency_field="pbd_followup_currency_id"
    )
    pbd_followup_currency_id = fields.Many2one("res.currency", compute="_compute_pbd_followup")
    pbd_followup_history_ids = fields.One2many(
        "pbd.followup.history", "partner_id", string="Follow-up history"
    )

    def _pbd_open_invoice_domain(self, company_ids=None):
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id", "in", company_ids or self.env.companies.ids),
        ]

    @api.depends_context("company", "allowed_company_ids")
    def _compute_pbd_followup(self):
        today = fields.Date.context_today(self)
        commercial = self.commercial_partner_id
        moves = self.env["account.move"].search(
            self._pbd_open_invoice_domain() + [("commercial_partner_id", "in", commercial.ids)]
        )
        by_partner = defaultdict(lambda: self.env["account.move"])
        for move in moves:
            by_partner[move.commercial_partner_id.id] |= move
        for partner in self:
            root = partner.commercial_partner_id
            partner_moves = by_partner[root.id]
            followed = partner_moves.filtered(lambda m: not m.pbd_dispute)
            next_dates = [d for d in followed.mapped("pbd_followup_next_date") if d]
            overdue = partner_moves.filtered(lambda m: m.invoice_date_due and m.invoice_date_due < today)
            levels = partner_moves.pbd_followup_level_id
            partner.pbd_followup_level_id = (
                max(levels, key=lambda lvl: (lvl.delay, lvl.sequence, lvl.id)) if levels else False
            )
            paused = root.pbd_promise_date and root.pbd_promise_date >= today
            next_date = min(next_dates) if next_dates else False
            if paused:
                next_date = max(next_date, root.pbd_promise_date + timedelta(days=1)) if next_date else False
            partner.pbd_next_followup_date = next_date
            partner.pbd_overdue_amount = sum(overdue.mapped("amount_residual_signed"))
            partner.pbd_followup_currency_id = self.env.company.currency_id
            if not root.pbd_followup_excluded and next_date and next_date <= today:
                partner.pbd_followup_status = "action"
            elif overdue:
                partner.pbd_followup_status = "waiting"
            else:
                partner.pbd_followup_status = "none"

    def _search_pbd_followup_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the follow-up status."))
        values = {value} if isinstance(value, str) else set(value or [])
        today = fields.Date.context_today(self)
        action_moves = self.env["account.move"].search(
            self._pbd_open_invoice_domain()
            + [
                ("pbd_followup_next_date", "<=", today),
                ("pbd_dispute", "=", False),
                ("commercial_partner_id.pbd_followup_excluded", "=", False),
                "|",
                ("commercial_partner_id.pbd_promise_date", "=", False),
                ("commercial_partner_id.pbd_promise_date", "<", today),
            ]
        )
        action_ids = set(action_moves.commercial_partner_id.ids)
        overdue_moves = self.env["account.move"].search(
            self._pbd_open_invoice_domain() + [("invoice_date_due", "<", today)]
        )
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
        self.ensure_one()
        return self.pbd_followup_responsible_id or self.user_id or self.env.user

    def _pbd_followup_values(self):
        """Values for templates and letters (precomputed by a run, else computed now)."""
        self.ensure_one()
        precomputed = self.env.context.get("pbd_followup_values") or {}
        if self.id in precomputed:
            return precomputed[self.id]
        return self._pbd_followup_values_batch(self, self.env.company, fields.Date.context_today(self))[
            self.id
        ]

    @api.model
    def _pbd_followup_values_batch(self, partners, company, on_date):
        """Statement of each client: open invoices, penalties, locked documents.

        Queries do not depend on the number of clients: one search for the
        invoices, one for their deliverables, then prefetching.
        """
        partners = partners.commercial_partner_id
        currency = company.currency_id
        moves = self.env["account.move"].search(
            self._pbd_open_invoice_domain([company.id])
            + [("commercial_partner_id", "in", partners.ids), ("pbd_dispute", "=", False)],
            order="invoice_date_due, id",
        )
        moves._pbd_ensure_access_tokens()
        deliverables = (
            self.env["account.move.deliverable"]
            .sudo()
            .search([("move_id", "in", moves.ids), ("state", "=", "locked")])
        )
        deliverables_by_move = defaultdict(list)
        for deliverable in deliverables:
            deliverables_by_move[deliverable.move_id.id].append(deliverable)
        moves_by_partner = defaultdict(lambda: self.env["account.move"])
        for move in moves:
            moves_by_partner[move.commercial_partner_id.id] |= move
        rate = company._pbd_penalty_rate()
        values = {}
        for partner in partners:
            professional = partner._pbd_is_professional()
            lines = []
            for move in moves_by_partner[partner.id]:
                residual = move.amount_residual
                penalty = penalties.invoice_penalty(
                    residual,
                    move.invoice_date_due,
                    on_date,
                    rate,
                    company.pbd_flat_fee,
                    professional=professional and company.pbd_apply_penalties,
                )
                lines.append(
                    {
                        "move": move,
                        "due_date": move.invoice_date_due,
                        "residual": residual,
                        "days_late": penalty.days_late,
                        "interest": float(penalty.interest),
                        "flat_fee": float(penalty.flat_fee),
                        "pay_url": move._get_pbd_pay_url(),
                        "early_discount": move._pbd_early_discount(on_date),
                        "deliverables": deliverables_by_move[move.id],
                    }
                )
            amount_due = sum(line["residual"] for line in lines)
            penalty_total = sum(line["interest"] + line["flat_fee"] for line in lines)
            partner_values = {
                "partner": partner,
                "company": company,
                "currency": currency,
                "date": on_date,
                "moves": moves_by_partner[partner.id],
                "lines": lines,
                "amount_due": amount_due,
                "overdue_amount": sum(line["residual"] for line in lines if line["days_late"]),
                "penalty_total": penalty_total,
                "amount_due_display": format_amount(self.env, amount_due, currency),
                "locked_deliverables": [d for line in lines for d in line["deliverables"]],
                "professional": professional,
                "rate": float(rate),
                "rate_period": company.pbd_ecb_rate_period or penalties.half_year(on_date),
                "flat_fee": company.pbd_flat_fee,
                "apply_penalties": company.pbd_apply_penalties and professional,
            }
            partner_values["statement_html"] = (
                self.env["ir.qweb"]
                .with_context(lang=partner.lang or self.env.lang)
                ._render("payment_before_document.pbd_followup_statement", {"fu": partner_values})
            )
            values[partner.id] = partner_values
        return values

    def _pbd_is_professional(self):
        """A company, or anyone with a VAT number, owes the B2B penalties."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return bool(partner.is_company or partner.vat or partner.company_registry)

    def action_pbd_followup_send(self):
        runs = self.env["pbd.followup.run"]._run_for_partners(self)
        return runs._pbd_notify_action()

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
