from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlsplit

from babel import dates as babel_dates

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date
from odoo.tools.misc import babel_locale_parse

from ..lib import penalties, phone


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
            self._pbd_open_invoice_domain() + [("commercial_partner_id", "in", commercial.ids)],
            order="invoice_date_due, id",
        )
        by_partner = defaultdict(lambda: self.env["account.move"])
        for move in moves:
            by_partner[move.commercial_partner_id.id] |= move
        contacts = self._pbd_followup_contacts(by_partner)
        levels_by_company = {}
        channel_labels = dict(
            self.env["pbd.followup.history"]._fields["channel"]._description_selection(self.env)
        )
        for partner in self:
            root = partner.commercial_partner_id
            partner_moves = by_partner[root.id]
            followed = partner_moves.filtered(lambda m: not m.pbd_dispute)
            # What the next run will do for each invoice: levels advance one at a time.
            plans = []
            for move in followed:
                company = move.company_id
                if company.id not in levels_by_company:
                    levels_by_company[company.id] = self.env["pbd.followup.level"]._levels_for(company)
                level, plan_date = move._pbd_followup_plan(levels_by_company[company.id], today)
                if level:
                    plans.append((move, level, plan_date))
            overdue = partner_moves.filtered(lambda m: m.invoice_date_due and m.invoice_date_due < today)
            levels = partner_moves.pbd_followup_level_id
            partner.pbd_followup_level_id = (
                max(levels, key=lambda lvl: (lvl.delay, lvl.sequence, lvl.id)) if levels else False
            )
            paused = root.pbd_promise_date and root.pbd_promise_date >= today
            next_date = min(plan_date for _m, _l, plan_date in plans) if plans else False
            if paused:
                next_date = max(next_date, root.pbd_promise_date + timedelta(days=1)) if next_date else False
            partner.pbd_next_followup_date = next_date
            partner.pbd_overdue_amount = sum(overdue.mapped("amount_residual_signed"))
            partner.pbd_followup_amount_due = sum(partner_moves.mapped("amount_residual_signed"))
            partner.pbd_followup_currency_id = self.env.company.currency_id
            partner.pbd_followup_days_late = (
                max((today - move.invoice_date_due).days for move in overdue) if overdue else 0
            )
            if not root.pbd_followup_excluded and next_date and next_date <= today:
                partner.pbd_followup_status = "action"
            elif overdue:
                partner.pbd_followup_status = "waiting"
            else:
                partner.pbd_followup_status = "none"
            # The level the next run will send: the highest one due on the next follow-up date.
            when = max(next_date, today) if next_date else today
            due_levels = [level for _m, level, plan_date in plans if plan_date <= when]
            next_level = (
                max(due_levels, key=lambda lvl: (lvl.delay, lvl.sequence, lvl.id))
                if due_levels
                else self.env["pbd.followup.level"]
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
                move for move, _level, _date in plans if not move.pbd_followup_level_id and move in overdue
            ]
            partner.pbd_followup_note = (
                self.env._(
                    "%(count)s overdue invoice(s) never reminded: they start at the first reminder.",
                    count=len(first_timers),
                )
                if first_timers
                else False
            )

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

    @api.model
    def _pbd_half_year_label(self, env, period_text, on_date):
        """The half-year of the ECB rate in words, in the reader's language ("le second semestre 2026")."""
        parts = penalties.parse_half_year(period_text) if period_text else penalties.half_year_parts(on_date)
        if not parts:
            return period_text  # as the firm typed it
        year, half = parts
        if half == 1:
            return env._("the first half of %(year)s", year=year)
        return env._("the second half of %(year)s", year=year)

    @api.model
    def _pbd_followup_contacts(self, moves_by_partner):
        """Who each customer's reminders go to, by commercial partner id.

        The contact of its oldest open invoice when that is a person of the
        customer's, else the customer's invoicing address, else the customer.
        """
        commercial = self.browse(list(moves_by_partner)).exists()
        children = self.search(
            [("parent_id", "in", commercial.ids), ("type", "=", "invoice"), ("email", "!=", False)],
            order="id",
        )
        invoicing = {}
        for child in children:
            invoicing.setdefault(child.parent_id.id, child)
        contacts = {}
        for partner in commercial:
            moves = moves_by_partner[partner.id]
            invoice_contact = next(
                (m.partner_id for m in moves if m.partner_id != partner and m.partner_id.email), None
            )
            contacts[partner.id] = invoice_contact or invoicing.get(partner.id) or partner
        return contacts

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
        contacts = self._pbd_followup_contacts(moves_by_partner)
        base_url = urlsplit(company.get_base_url())
        short_url = f"{base_url.netloc}/my/invoices"
        values = {}
        for partner in partners:
            professional = partner._pbd_is_professional()
            apply_penalties = bool(company.pbd_apply_penalties and professional)
            lang = partner.lang or self.env.lang
            env_lang = self.with_context(lang=lang).env
            lines = []
            for move in moves_by_partner[partner.id]:
                residual = move.amount_residual
                penalty = penalties.invoice_penalty(
                    residual,
                    move.invoice_date_due,
                    on_date,
                    rate,
                    company.pbd_flat_fee,
                    professional=apply_penalties,
                )
                lines.append(
                    {
                        "move": move,
                        "due_date": move.invoice_date_due,
                        "residual": residual,
                        "overdue": move.invoice_date_due < on_date,
                        "days_late": penalty.days_late,
                        "interest": float(penalty.interest),
                        "flat_fee": float(penalty.flat_fee),
                        "pay_url": move._get_pbd_pay_url(),
                        "early_discount": move._pbd_early_discount(on_date),
                        "deliverables": deliverables_by_move[move.id],
                    }
                )
            overdue_lines = [line for line in lines if line["overdue"]]
            upcoming_lines = [line for line in lines if not line["overdue"]]
            claim = penalties.claim(
                [(line["residual"], line["interest"], line["flat_fee"]) for line in overdue_lines]
            )
            contact = contacts.get(partner.id) or partner
            person = not contact.is_company
            pay_line = (overdue_lines or lines or [None])[0]
            date_long = babel_dates.format_date(on_date, format="long", locale=babel_locale_parse(lang))
            partner_values = {
                "partner": partner,
                "contact": contact,
                "greeting": env_lang._("Hello %s,", contact.name) if person else env_lang._("Madam, Sir,"),
                "company": company,
                "currency": currency,
                "date": on_date,
                "date_long": date_long,
                "place_date": env_lang._("%(city)s, %(date)s", city=company.city, date=date_long)
                if company.city
                else date_long,
                "short_url": short_url,
                "moves": moves_by_partner[partner.id],
                "lines": lines,
                "overdue_lines": overdue_lines,
                "upcoming_lines": upcoming_lines,
                # What is claimed covers the invoices past due only.
                "amount_due": float(claim.principal),
                "overdue_amount": float(claim.principal),
                "upcoming_amount": sum(line["residual"] for line in upcoming_lines),
                "open_amount": sum(line["residual"] for line in lines),
                "interest_total": float(claim.interest),
                "flat_fee_total": float(claim.flat_fees),
                "late_count": claim.late_count,
                "penalty_total": float(claim.penalties),
                "claimed_total": float(claim.total),
                "amount_due_display": format_amount(self.env, float(claim.principal), currency),
                "claimed_total_display": format_amount(self.env, float(claim.total), currency),
                "pay_url": pay_line["pay_url"] if pay_line else "",
                "locked_deliverables": [d for line in lines for d in line["deliverables"]],
                "professional": professional,
                "rate": float(rate),
                "rate_period": self._pbd_half_year_label(env_lang, company.pbd_ecb_rate_period, on_date),
                "flat_fee": company.pbd_flat_fee,
                "apply_penalties": apply_penalties,
                "level": self.env["pbd.followup.level"],
            }
            qweb = self.env["ir.qweb"].with_context(lang=lang)
            partner_values["statement_html"] = qweb._render(
                "payment_before_document.pbd_followup_statement", {"fu": partner_values}
            )
            partner_values["courtesy_html"] = (
                qweb._render(
                    "payment_before_document.pbd_followup_statement",
                    {"fu": partner_values, "mode": "courtesy"},
                )
                if upcoming_lines
                else ""
            )
            values[partner.id] = partner_values
        return values

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
