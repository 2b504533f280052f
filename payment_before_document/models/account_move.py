from datetime import timedelta
import uuid

from markupsafe import Markup
from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.tools import float_compare


class AccountMove(models.Model):
    _inherit = "account.move"

    pbd_deliverable_ids = fields.One2many(
        "account.move.deliverable", "move_id", string="Deliverables", copy=False
    )
    pbd_deliverable_count = fields.Integer(
        string="Deliverable count", compute="_compute_pbd_deliverable_count"
    )
    pbd_locked_count = fields.Integer(string="Locked deliverables", compute="_compute_pbd_deliverable_count")
    pbd_upload_ids = fields.Many2many(
        "ir.attachment",
        string="Add files",
        compute="_compute_pbd_upload_ids",
        inverse="_inverse_pbd_upload_ids",
        help="Select several files at once: each becomes a deliverable, released at full payment "
        "(or as the company settings say).",
    )
    pbd_access_exempted = fields.Boolean(
        string="Access before payment",
        readonly=True,
        copy=False,
        tracking=True,
        help="Set at posting when the client was trusted: its deliverables are available before payment.",
    )

    # Follow-up -------------------------------------------------------
    pbd_followup_level_id = fields.Many2one(
        "pbd.followup.level",
        string="Follow-up level",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The last follow-up level this invoice was reminded at (each level is sent once).",
    )
    pbd_followup_date = fields.Date(string="Last follow-up", copy=False, readonly=True)
    pbd_followup_next_date = fields.Date(
        string="Next follow-up",
        compute="_compute_pbd_followup_next_date",
        store=True,
        index=True,
        help="When the next follow-up level applies to this invoice.",
    )
    pbd_dispute = fields.Boolean(
        string="Disputed", copy=False, tracking=True, help="A disputed invoice is left out of the follow-up."
    )
    pbd_dispute_note = fields.Char(string="Dispute", copy=False)
    pbd_followup_history_ids = fields.Many2many(
        "pbd.followup.history",
        "pbd_followup_history_account_move_rel",
        "move_id",
        "history_id",
        string="Follow-up history",
        readonly=True,
        copy=False,
    )

    @api.depends(
        "move_type", "state", "payment_state", "invoice_date_due", "pbd_followup_level_id", "company_id"
    )
    def _compute_pbd_followup_next_date(self):
        levels_by_company = {}
        for move in self:
            if not move._pbd_is_followed_up():
                move.pbd_followup_next_date = False
                continue
            company = move.company_id
            if company.id not in levels_by_company:
                levels_by_company[company.id] = self.env["pbd.followup.level"]._levels_for(company)
            level = move._pbd_next_level(levels_by_company[company.id])
            move.pbd_followup_next_date = (
                (move.invoice_date_due + timedelta(days=level.delay)) if level else False
            )

    def _pbd_is_followed_up(self):
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state in ("not_paid", "partial")
            and bool(self.invoice_date_due)
        )

    @staticmethod
    def _pbd_level_key(level):
        return (level.delay, level.sequence, level.id)

    def _pbd_next_level(self, levels):
        """The first level after the one this invoice reached."""
        self.ensure_one()
        current = self.pbd_followup_level_id
        for level in levels:
            if not current or self._pbd_level_key(level) > self._pbd_level_key(current):
                return level
        return levels.browse()

    def _pbd_applicable_level(self, levels, on_date):
        """The highest level due on ``on_date`` that this invoice has not had yet."""
        self.ensure_one()
        days = (on_date - self.invoice_date_due).days
        current = self.pbd_followup_level_id
        best = levels.browse()
        for level in levels:
            if level.delay <= days and (
                not current or self._pbd_level_key(level) > self._pbd_level_key(current)
            ):
                best = level
        return best

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
        execute_values(
            self.env.cr._obj,
            "UPDATE account_move SET access_token = data.token"
            " FROM (VALUES %s) AS data(id, token) WHERE account_move.id = data.id",
            [(move.id, str(uuid.uuid4())) for move in missing],
        )
        missing.invalidate_recordset(["access_token"])

    def action_pbd_followup_send(self):
        """Send now the follow-up these invoices' clients need."""
        runs = self.env["pbd.followup.run"]._run_for_partners(self.commercial_partner_id)
        return runs._pbd_notify_action()

    @api.depends("pbd_deliverable_ids.state")
    def _compute_pbd_deliverable_count(self):
        for move in self:
            move.pbd_deliverable_count = len(move.pbd_deliverable_ids)
            move.pbd_locked_count = len(move.pbd_deliverable_ids.filtered(lambda d: d.state == "locked"))

    def _compute_pbd_upload_ids(self):
        self.pbd_upload_ids = False

    def _inverse_pbd_upload_ids(self):
        """Turn files uploaded in one go into deliverables, then drop the uploads."""
        for move in self:
            uploads = move.pbd_upload_ids
            if not uploads:
                continue
            self.env["account.move.deliverable"].create(
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
        """Tell the client, once, that documents of this invoice can be downloaded."""
        self.ensure_one()
        template = self.company_id.pbd_release_template_id
        if not template or not self.partner_id.email:
            self.message_post(
                body=self.env._(
                    "Documents released: %s. The client was not emailed (no email address or no template).",
                    ", ".join(deliverables.mapped("name")),
                ),
                subtype_xmlid="mail.mt_note",
            )
            return
        self.message_post_with_source(
            template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.partner_id.ids,
        )

    def action_view_pbd_deliverables(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "payment_before_document.action_account_move_deliverable"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {"default_move_id": self.id}
        return action

    def _pbd_portal_deliverables(self):
        """Deliverables shown on the portal for this invoice (sudo, posted only)."""
        self.ensure_one()
        if self.state != "posted":
            return self.env["account.move.deliverable"]
        return self.sudo().pbd_deliverable_ids

    def _get_pbd_documents_url(self):
        return self.get_portal_url(anchor="pbd_deliverables")

    def _get_pbd_pay_path(self):
        """The invoice on the portal with its payment form open (access token included)."""
        self.ensure_one()
        return self.get_portal_url(anchor="portal_pay", query_string="&payment=True")

    def _get_pbd_pay_url(self):
        """The link reminders carry: straight to the invoice's payment."""
        return self.get_base_url() + self._get_pbd_pay_path()

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
