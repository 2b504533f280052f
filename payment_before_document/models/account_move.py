from collections import defaultdict
from datetime import UTC, datetime
import logging
import uuid

from markupsafe import Markup
from psycopg2 import errors as pgerrors

from odoo import api, fields, models
from odoo.tools import SQL, float_compare, format_amount, formatLang, split_every

from odoo.addons.payment import utils as payment_utils

_logger = logging.getLogger(__name__)
# Errors of a row another transaction changed or holds: try again later, nothing is wrong.
CONCURRENCY_ERRORS = (pgerrors.SerializationFailure, pgerrors.LockNotAvailable, pgerrors.DeadlockDetected)


class AccountMove(models.Model):
    _inherit = "account.move"

    pbd_deliverable_ids = fields.One2many(
        "pbd.deliverable",
        "move_id",
        string="Deliverables",
        copy=False,
        groups="base.group_user",
    )
    pbd_deliverable_count = fields.Integer(
        string="Deliverable count",
        compute="_compute_pbd_deliverable_count",
        groups="base.group_user",
    )
    pbd_locked_count = fields.Integer(
        string="Locked deliverables", compute="_compute_pbd_deliverable_count", groups="base.group_user"
    )
    pbd_upload_ids = fields.Many2many(
        "ir.attachment",
        string="Add files",
        compute="_compute_pbd_upload_ids",
        inverse="_inverse_pbd_upload_ids",
        help="Select several files at once: each becomes a deliverable, released at full payment "
        "(or as the company settings say).",
        groups="base.group_user",
    )
    pbd_access_exempted = fields.Boolean(
        string="Access before payment",
        readonly=True,
        copy=False,
        tracking=True,
        help="Set at posting when the client was trusted: its deliverables are available before payment.",
        groups="base.group_user",
    )

    # Follow-up -------------------------------------------------------
    pbd_followup_level_id = fields.Many2one(
        "pbd.followup.level",
        string="Follow-up level",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The last follow-up level this invoice was reminded at (each level is sent once).",
        groups="base.group_user",
    )
    pbd_followup_date = fields.Date(
        string="Last follow-up", copy=False, readonly=True, groups="base.group_user"
    )
    pbd_followup_next_date = fields.Date(
        string="Next follow-up",
        compute="_compute_pbd_followup_next_date",
        store=True,
        index=True,
        help="When the next follow-up level applies to this invoice.",
        groups="base.group_user",
    )
    pbd_followup_open = fields.Boolean(
        string="Under follow-up",
        compute="_compute_pbd_followup_open",
        help="An open invoice under follow-up: posted, not fully paid.",
        groups="base.group_user",
    )
    pbd_dispute = fields.Boolean(
        string="Disputed",
        copy=False,
        tracking=True,
        help="A disputed invoice is left out of the follow-up.",
        groups="base.group_user",
    )
    pbd_dispute_note = fields.Char(string="Dispute", copy=False, groups="base.group_user")
    pbd_followup_history_ids = fields.Many2many(
        "pbd.followup.history",
        "pbd_followup_history_account_move_rel",
        "move_id",
        "history_id",
        string="Follow-up history",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )

    # ------------------------------------------------------------------
    # Follow-up: which invoices are under follow-up (the rules live here
    # once; the ladder of levels lives on pbd.followup.level)
    # ------------------------------------------------------------------
    @api.model
    def _pbd_open_invoice_domain(self, company_ids=None):
        """An open invoice under follow-up: a posted customer invoice not fully paid.

        Used by the run, the client's follow-up status, the recomputation of
        next dates when levels change and the call-outcome wizard.
        ``company_ids``: the allowed companies by default, ``False`` for no
        company condition (a view's domain).
        """
        domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        if company_ids is not False:
            domain.append(("company_id", "in", company_ids or self.env.companies.ids))
        return domain

    @api.model
    def _pbd_followup_candidate_domain(self, on_date, company_ids=None):
        """The invoices a follow-up may act on ``on_date``: open, due for their next level by
        the stored date (a lower bound, see :meth:`_pbd_followup_due`), not disputed, of a
        client neither excluded nor paused by a promise to pay still running."""
        return self._pbd_open_invoice_domain(company_ids) + [
            ("pbd_followup_next_date", "<=", on_date),
            ("pbd_dispute", "=", False),
            ("commercial_partner_id.pbd_followup_excluded", "=", False),
            "|",
            ("commercial_partner_id.pbd_promise_date", "=", False),
            ("commercial_partner_id.pbd_promise_date", "<", on_date),
        ]

    @api.model
    def _pbd_followup_due(self, on_date, company_ids=None, partners=None):
        """ "Action needed", defined once: ``{client: {move id: level}}`` due on ``on_date``.

        The invoices of :meth:`_pbd_followup_candidate_domain` whose next level
        applies on that date (the ladder decides, late invoices skip the
        courtesy reminder). The run sends exactly this; the client's status
        and its search say "Action needed" for exactly these clients.
        """
        domain = self._pbd_followup_candidate_domain(on_date, company_ids)
        if partners is not None:
            domain.append(("commercial_partner_id", "in", partners.commercial_partner_id.ids))
        moves = self.search(domain, order="invoice_date_due, id")
        applicable = self.env["pbd.followup.level"]._pbd_applicable(moves, on_date)
        due = defaultdict(dict)
        for move in moves:
            if move.id in applicable:
                due[move.commercial_partner_id][move.id] = applicable[move.id]
        return due

    @api.depends("move_type", "state", "payment_state")
    def _compute_pbd_followup_open(self):
        followed = self.filtered_domain(self._pbd_open_invoice_domain(False))
        for move in self:
            move.pbd_followup_open = move in followed

    @api.depends(
        "move_type",
        "state",
        "payment_state",
        "invoice_date_due",
        "pbd_followup_level_id",
        "pbd_followup_date",
        "company_id",
    )
    def _compute_pbd_followup_next_date(self):
        followed = self.filtered_domain(self._pbd_open_invoice_domain(False)).filtered("invoice_date_due")
        plans = self.env["pbd.followup.level"]._pbd_plans(followed)
        for move in self:
            move.pbd_followup_next_date = plans[move.id][1] if move.id in plans else False

    def _pbd_bookkeeping_env(self):
        """For writing follow-up bookkeeping fields on posted invoices.

        Such writes touch no accounting value: skip the journal items'
        re-synchronisation and do not mark the invoice as manually modified.
        """
        return self.with_context(skip_invoice_sync=True, skip_is_manually_modified=True)

    def _pbd_ensure_access_tokens(self):
        """Give every invoice its portal access token, in one statement.

        ``_portal_ensure_token`` writes invoices one by one, and an invoice's
        ``write`` re-synchronises its journal items: over thousands of invoices
        that is most of a follow-up run. The token is a plain column that no
        business rule reads, so it is set directly (parameterised SQL).
        """
        missing = self.filtered(lambda move: not move.access_token)
        if not missing:
            return
        for batch in split_every(1000, missing.ids):
            values = SQL(", ").join(SQL("(%s, %s)", move_id, str(uuid.uuid4())) for move_id in batch)
            self.env.cr.execute(
                SQL(
                    "UPDATE account_move SET access_token = data.token"
                    " FROM (VALUES %s) AS data(id, token) WHERE account_move.id = data.id",
                    values,
                )
            )
        missing.invalidate_recordset(["access_token"])

    def action_pbd_followup_send(self):
        """Confirm, then send, the follow-up these invoices' clients need."""
        return self.env["pbd.followup.send"]._action_open(self.commercial_partner_id)

    @api.depends("pbd_deliverable_ids.state")
    def _compute_pbd_deliverable_count(self):
        for move in self:
            move.pbd_deliverable_count = len(move.pbd_deliverable_ids)
            move.pbd_locked_count = len(move.pbd_deliverable_ids.filtered(lambda d: d._pbd_is_file_locked()))

    def _compute_pbd_upload_ids(self):
        self.pbd_upload_ids = False

    def _inverse_pbd_upload_ids(self):
        """Turn files uploaded in one go into deliverables, then drop the uploads."""
        for move in self:
            uploads = move.pbd_upload_ids
            if not uploads:
                continue
            self.env["pbd.deliverable"].create(
                [
                    {
                        "move_id": move.id,
                        "name": (upload.name or "").rsplit(".", 1)[0] or upload.name,
                        "file": upload.datas,
                        "file_name": upload.name,
                    }
                    for upload in uploads
                ]
            )
            uploads.unlink()

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        for move in posted.filtered(lambda m: m.move_type == "out_invoice" and not m.pbd_access_exempted):
            partner = move.commercial_partner_id
            if partner._pbd_is_trusted(move.invoice_date):
                move.pbd_access_exempted = True
                move.message_post(
                    body=Markup("%s<br/>%s")
                    % (
                        self.env._(
                            "Deliverables available before payment: %(partner)s is a trusted "
                            "client until %(date)s.",
                            partner=partner.display_name,
                            date=partner.pbd_trusted_until or self.env._("further notice"),
                        ),
                        self.env._("Reason: %s", partner.pbd_trust_reason or self.env._("none given")),
                    ),
                    subtype_xmlid="mail.mt_note",
                )
        return posted

    def _pbd_paid_share_reached(self, share_percent):
        """True when at least ``share_percent`` % of the total is paid."""
        self.ensure_one()
        total = abs(self.amount_total)
        if self.currency_id.is_zero(total):
            return True
        paid = total - abs(self.amount_residual)
        required = total * share_percent / 100.0
        return float_compare(paid, required, precision_rounding=self.currency_id.rounding) >= 0

    def _pbd_notify_documents_available(self, deliverables):
        """Email the client that documents of this invoice can be downloaded.

        Returns True when the email was queued for the client. When none could
        be (no valid address, no template), the accountant gets an activity to
        tell the client another way, and False is returned. None: the invoice
        was being changed by another transaction, nothing was done (try again).
        """
        self.ensure_one()
        template = self.company_id._pbd_release_template()
        partner = self.partner_id
        if template and partner.email:
            try:
                with self.env.cr.savepoint():
                    messages = self.message_post_with_source(
                        template,
                        message_type="comment",
                        subtype_xmlid="mail.mt_comment",
                        partner_ids=partner.ids,
                    )
            # Another transaction changed the invoice meanwhile (a payment, the
            # client's portal, another server's job): not the template's fault.
            # Nothing is recorded; the job tells the client on its next run.
            except CONCURRENCY_ERRORS:
                _logger.info("Documents available email of %s: invoice busy, sent on the next run", self.name)
                return None
            # An edited template may fail to render: the accountant is told instead.
            except Exception:  # pylint: disable=broad-exception-caught
                _logger.exception("Documents available email of %s could not be prepared", self.name)
                messages = self.env["mail.message"]
            emailed = messages.sudo().notification_ids.filtered(
                lambda notification: (
                    notification.res_partner_id == partner
                    and notification.notification_type == "email"
                    and notification.notification_status in ("ready", "sent")
                )
            )
            if emailed:
                return True
        # Written by a job: in the language of the accountant who reads it.
        staff = self.with_context(lang=self._pbd_staff_lang())
        summary = staff.env._("Tell the client their documents are available")
        if not self.activity_ids.filtered(lambda activity: activity.summary == summary):
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=staff.env._(
                    "Documents available: %(documents)s. No email could be sent to %(client)s "
                    "(no valid email address or no template): tell them another way.",
                    documents=", ".join(deliverables.mapped("name")),
                    client=partner.display_name,
                ),
                user_id=(self.invoice_user_id or self.create_uid or self.env.user).id,
            )
        return False

    def _pbd_staff_lang(self):
        """The language of the firm's people reading what a job writes on this invoice."""
        self.ensure_one()
        return self.invoice_user_id.lang or self.company_id.partner_id.lang or self.env.lang

    def _pbd_dispute_activity(self, transaction, dispute, lost=False):
        """Ask the accountant to answer a card dispute, with the download log as evidence."""
        self.ensure_one()
        # Written while processing a Stripe event: in the accountant's language.
        self = self.with_context(lang=self._pbd_staff_lang())  # noqa: PLW0642
        if lost:
            summary = self.env._("Stripe dispute lost: reflect it on the invoice")
        else:
            summary = self.env._("Stripe dispute: answer with the download log")
        if self.activity_ids.filtered(lambda activity: activity.summary == summary):
            return self.env["mail.activity"]
        due_by = (dispute.get("evidence_details") or {}).get("due_by")
        deadline = (
            datetime.fromtimestamp(due_by, UTC).date()
            if isinstance(due_by, int)
            else fields.Date.context_today(self)
        )
        if lost:
            closing = self.env._(
                "The documents not yet downloaded stay locked. Reflect the lost payment on the invoice."
            )
        else:
            closing = self.env._("The documents not yet downloaded stay locked until the dispute is won.")
        amount = dispute.get("amount")
        note = Markup("<p>%s</p>%s<p>%s</p>") % (
            self.env._(
                "The client disputed the card payment %(reference)s (%(amount)s, reason: %(reason)s). "
                "Downloads of the invoice's documents:",
                reference=transaction.reference,
                amount=format_amount(
                    self.env,
                    payment_utils.to_major_currency_units(amount, transaction.currency_id)
                    if isinstance(amount, int)
                    else transaction.amount,
                    transaction.currency_id,
                ),
                reason=dispute.get("reason") or "-",
            ),
            self.pbd_deliverable_ids._pbd_download_log_html(),
            closing,
        )
        return self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=deadline,
            summary=summary,
            note=note,
            user_id=(self.invoice_user_id or self.env.user).id,
        )

    def action_view_pbd_deliverables(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "payment_before_document.pbd_deliverable_action"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {"default_move_id": self.id}
        return action

    def _pbd_portal_deliverables(self):
        """Deliverables shown on the portal for this invoice (sudo, posted only)."""
        self.ensure_one()
        if self.state != "posted":
            return self.env["pbd.deliverable"]
        return self.sudo().pbd_deliverable_ids

    def _get_invoice_portal_extra_values(self, custom_amount=None):
        """/my/invoices: how many documents each invoice holds, and how many are locked."""
        values = super()._get_invoice_portal_extra_values(custom_amount=custom_amount)
        deliverables = self._pbd_portal_deliverables()
        values["pbd_document_count"] = len(deliverables)
        values["pbd_locked_document_count"] = len(deliverables.filtered(lambda d: d._pbd_is_file_locked()))
        return values

    def _pbd_invoice_mail_notice(self, lang=None):
        """The paragraph Odoo's invoice email gets while documents wait for the payment, or ``""``."""
        self.ensure_one()
        locked = self._pbd_portal_deliverables().filtered(lambda d: d._pbd_is_file_locked())
        if not locked or self.state != "posted" or self.payment_state not in ("not_paid", "partial"):
            return ""
        return (
            self.env["ir.qweb"]
            .with_context(lang=lang or self.partner_id.lang)
            ._render(
                "payment_before_document.invoice_mail_documents_notice",
                {"invoice": self, "deliverables": locked, "pay_url": self._get_pbd_pay_url()},
            )
        )

    def _get_pbd_documents_url(self):
        return self.get_portal_url(anchor="pbd_deliverables")

    def _get_pbd_pay_path(self):
        """The invoice on the portal with its payment form open (access token included)."""
        self.ensure_one()
        return self.get_portal_url(anchor="portal_pay", query_string="&payment=True")

    def _get_pbd_pay_url(self):
        """The link reminders carry: straight to the invoice's payment."""
        return self.get_base_url() + self._get_pbd_pay_path()

    def _pbd_legal_mentions(self):
        """What a French B2B invoice must state about late and early payment, or None.

        The late-payment rate of the company's penalty settings, the flat
        collection fee (professional clients only) and the early-payment
        terms (Code de commerce L441-9). Nothing for consumers or when the
        company does not apply penalties.
        """
        self.ensure_one()
        company = self.company_id.sudo()
        if (
            self.move_type != "out_invoice"
            or not company.pbd_apply_penalties
            or not self.commercial_partner_id.sudo()._pbd_is_professional()
        ):
            return None
        term = self.invoice_payment_term_id
        late = self.env._(
            "Late payment: penalties at the rate of %(rate)s %% a year (refinancing rate of the European "
            "Central Bank plus %(points)s points) from the day after the due date, and a flat collection fee "
            "of %(fee)s per invoice paid late (French Commercial Code, articles L441-10 and D441-5).",
            rate=formatLang(self.env, float(company._pbd_penalty_rate())),
            points=company._pbd_margin_display(),
            fee=format_amount(self.env, company.pbd_flat_fee, company.currency_id),
        )
        if term.early_discount and term.discount_percentage:
            early = self.env._(
                "Early payment: %(percent)s %% discount if paid within %(days)s days.",
                percent=formatLang(self.env, term.discount_percentage),
                days=term.discount_days,
            )
        else:
            early = self.env._("Early payment: no discount.")
        return {"late": late, "early": early}

    def _pbd_early_discount(self, on_date):
        """The early-payment discount still open on ``on_date``, or ``None``.

        Odoo's own computation (payment terms with an early discount): a dict
        with the last ``date`` to get it, the ``discount`` and the ``amount``
        to pay instead of the residual.
        """
        self.ensure_one()
        if not self.invoice_payment_term_id.early_discount or self.state != "posted":
            return None
        term_lines = self.line_ids.filtered(lambda line: line.display_type == "payment_term")
        if not term_lines:
            return None
        installment = next(
            (
                installment
                for installment in term_lines._get_installments_data(payment_date=on_date)
                if installment["type"] == "early_payment_discount"
            ),
            None,
        )
        if not installment:
            return None
        return {
            "date": installment["line"].discount_date,
            "discount": abs(installment["discount_amount_currency"]),
            "amount": installment["amount_residual_currency_unsigned"],
        }
