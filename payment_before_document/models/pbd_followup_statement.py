import ast
from collections import defaultdict
from urllib.parse import urlsplit

from babel import dates as babel_dates

from odoo import api, fields, models
from odoo.tools import float_is_zero, formatLang
from odoo.tools.misc import babel_locale_parse, get_lang, posix_to_ldml

from odoo.addons.base.models.res_lang import intersperse

from ..lib import penalties

STATEMENT_TEMPLATE = "payment_before_document.pbd_followup_statement"


class Statement(dict):
    """One client's statement: plain values, and its HTML rendered on first use.

    The emails show the statement as HTML; letters and SMS never do. The HTML
    is rendered once, the first time a template reads ``statement_html`` or
    ``courtesy_html``, in the client's language.
    """

    def __init__(self, values, qweb):
        super().__init__(values)
        self._qweb = qweb

    def __missing__(self, key):
        if key == "statement_html":
            self[key] = self._qweb._render(STATEMENT_TEMPLATE, {"fu": self})
        elif key == "courtesy_html":
            self[key] = (
                self._qweb._render(STATEMENT_TEMPLATE, {"fu": self, "mode": "courtesy"})
                if self["upcoming_lines"]
                else ""
            )
        else:
            raise KeyError(key)
        return self[key]


class Formats:
    """Amounts and dates as a language writes them, as ``format_amount`` and ``format_date`` do.

    The language's data is read once: a run formats tens of thousands of
    amounts, which QWeb's monetary widget would look the language up for each.
    """

    def __init__(self, env, lang_code, currency):
        lang = get_lang(env, lang_code)
        self.currency = currency
        self.decimals = currency.decimal_places
        self.grouping = ast.literal_eval(lang.grouping)
        self.thousands_sep = lang.thousands_sep or ""
        self.decimal_point = lang.decimal_point
        symbol = currency.symbol or ""
        self.pre = f"{symbol}\N{NO-BREAK SPACE}" if currency.position == "before" else ""
        self.post = "" if currency.position == "before" else f"\N{NO-BREAK SPACE}{symbol}"
        self.locale = babel_locale_parse(lang.code)
        self.date_pattern = posix_to_ldml(lang.date_format, locale=self.locale)

    def amount(self, value):
        value = self.currency.round(value)
        if float_is_zero(value, precision_digits=self.decimals):
            value = 0.0
        integer, _sep, decimals = (f"%.{self.decimals}f" % value).partition(".")
        integer = intersperse(integer, self.grouping, self.thousands_sep)[0]
        number = self.decimal_point.join(part for part in (integer, decimals) if part)
        number = number.replace(" ", "\N{NO-BREAK SPACE}").replace("-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
        return f"{self.pre}{number}{self.post}"

    def date(self, value):
        return babel_dates.format_date(value, format=self.date_pattern, locale=self.locale) if value else ""


class PbdFollowupStatement(models.AbstractModel):
    """What a follow-up shows a client: its statement of account.

    The open invoices (those claimed, past due, and those not yet due), the
    late-payment penalties, the documents waiting for the payment, the pay
    links and the early-payment discounts, with the figures of the company's
    settings (rate, points, flat fee, formal-notice deadline). Built once per
    run and client (:meth:`_build`); emails, SMS, letters and the customer
    report only read it.
    """

    _name = "pbd.followup.statement"
    _description = "Follow-up Statement"

    @api.model
    def _get(self, partner):
        """The statement of ``partner`` for a template: the run's, else built now."""
        partner = partner.commercial_partner_id
        precomputed = self.env.context.get("pbd_followup_values") or {}
        if partner.id in precomputed:
            return precomputed[partner.id]
        return self._build(partner, self.env.company, fields.Date.context_today(self))[partner.id]

    @api.model
    def _contacts(self, moves_by_partner):
        """Who each customer's reminders go to, by commercial partner id.

        The contact of its oldest open invoice when that is a person of the
        customer's, else the customer's invoicing address, else the customer.
        """
        Partner = self.env["res.partner"]
        commercial = Partner.browse(list(moves_by_partner)).exists()
        children = Partner.search(
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

    @api.model
    def _build(self, partners, company, on_date, levels=None):
        """The statement of each client, ``{commercial partner id: values}``.

        ``levels``: ``{partner id: level}`` of the run (templates adapt their
        words to it). Queries do not depend on the number of clients: one
        search for the invoices, one for their deliverables, then prefetching.
        """
        Move = self.env["account.move"]
        partners = partners.commercial_partner_id
        levels = levels or {}
        currency = company.currency_id
        moves = Move.search(
            Move._pbd_open_invoice_domain([company.id])
            + [("commercial_partner_id", "in", partners.ids), ("pbd_dispute", "=", False)],
            order="invoice_date_due, id",
        )
        moves._pbd_ensure_access_tokens()
        deliverables = (
            self.env["pbd.deliverable"]
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
        contacts = self._contacts(moves_by_partner)
        base_url = urlsplit(company.get_base_url())
        short_url = f"{base_url.netloc}/my/invoices"
        by_lang = {}  # what depends on the language only: computed once per language
        values = {}
        for partner in partners:
            professional = partner._pbd_is_professional()
            apply_penalties = bool(company.pbd_apply_penalties and professional)
            lang = partner.lang or self.env.lang
            if lang not in by_lang:
                # A language deactivated since the client was given it: the firm's, else English.
                code = get_lang(self.env, lang).code
                env_lang = self.with_context(lang=code).env
                date_long = babel_dates.format_date(on_date, format="long", locale=babel_locale_parse(code))
                by_lang[lang] = {
                    "formats": Formats(env_lang, code, currency),
                    "rate_display": formatLang(env_lang, float(rate), digits=2),
                    "env": env_lang,
                    "qweb": env_lang["ir.qweb"],
                    "date_long": date_long,
                    "place_date": env_lang._("%(city)s, %(date)s", city=company.city, date=date_long)
                    if company.city
                    else date_long,
                    "rate_period": company.with_env(env_lang)._pbd_half_year_label(on_date),
                    "margin_display": company.with_env(env_lang)._pbd_margin_display(),
                }
            lang_values = by_lang[lang]
            formats = lang_values["formats"]
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
                discount = move._pbd_early_discount(on_date)
                if discount:
                    discount = {
                        **discount,
                        "date_display": formats.date(discount["date"]),
                        "discount_display": formats.amount(discount["discount"]),
                        "amount_display": formats.amount(discount["amount"]),
                    }
                lines.append(
                    {
                        "move": move,
                        "due_date": move.invoice_date_due,
                        "due_date_display": formats.date(move.invoice_date_due),
                        "residual": residual,
                        "residual_display": formats.amount(residual),
                        "overdue": move.invoice_date_due < on_date,
                        "days_late": penalty.days_late,
                        "interest": float(penalty.interest),
                        "interest_display": formats.amount(float(penalty.interest)),
                        "flat_fee": float(penalty.flat_fee),
                        "flat_fee_display": formats.amount(float(penalty.flat_fee)),
                        "pay_url": move._get_pbd_pay_url(),
                        "early_discount": discount,
                        "deliverables": deliverables_by_move[move.id],
                    }
                )
            overdue_lines = [line for line in lines if line["overdue"]]
            upcoming_lines = [line for line in lines if not line["overdue"]]
            claim = penalties.claim(
                [(line["residual"], line["interest"], line["flat_fee"]) for line in overdue_lines]
            )
            contact = contacts.get(partner.id) or partner
            pay_line = (overdue_lines or lines or [None])[0]
            env_lang = lang_values["env"]
            values[partner.id] = Statement(
                {
                    "partner": partner,
                    "contact": contact,
                    "greeting": env_lang._("Hello %s,", contact.name)
                    if not contact.is_company
                    else env_lang._("Madam, Sir,"),
                    "company": company,
                    "currency": currency,
                    "date": on_date,
                    "date_long": lang_values["date_long"],
                    "place_date": lang_values["place_date"],
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
                    "amount_due_display": formats.amount(float(claim.principal)),
                    "claimed_total_display": formats.amount(float(claim.total)),
                    "interest_total_display": formats.amount(float(claim.interest)),
                    "flat_fee_total_display": formats.amount(float(claim.flat_fees)),
                    "pay_url": pay_line["pay_url"] if pay_line else "",
                    "locked_deliverables": [d for line in lines for d in line["deliverables"]],
                    "professional": professional,
                    # The company's settings, as the templates quote them.
                    "rate": float(rate),
                    "rate_display": lang_values["rate_display"],
                    "rate_period": lang_values["rate_period"],
                    "margin": company.pbd_penalty_margin,
                    "margin_display": lang_values["margin_display"],
                    "flat_fee": company.pbd_flat_fee,
                    "flat_fee_display": formats.amount(company.pbd_flat_fee),
                    "notice_days": company.pbd_formal_notice_days,
                    "apply_penalties": apply_penalties,
                    "level": levels.get(partner.id) or self.env["pbd.followup.level"],
                },
                lang_values["qweb"],
            )
        return values
