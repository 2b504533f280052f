import base64

from odoo import api, fields, models

CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("letter", "Letter"),
    ("call", "Phone call"),
    ("manager", "Manager"),
]


class PbdFollowupHistory(models.Model):
    """What was done, for whom, through which channel, and how it went.

    One row per client, level and channel of a run; it lists the invoices the
    communication covered. Errors (no email address, invalid mobile number,
    provider refusal) are rows too: nothing is silently dropped.
    """

    _name = "pbd.followup.history"
    _description = "Follow-up History"
    _order = "date desc, id desc"
    _check_company_auto = True

    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    level_id = fields.Many2one("pbd.followup.level", required=True, ondelete="restrict", index=True)
    run_id = fields.Many2one("pbd.followup.run", ondelete="set null", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    channel = fields.Selection(CHANNELS, required=True)
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("queued", "Queued"),
            ("to_print", "To print"),
            ("sent", "Sent"),
            ("done", "Done"),
            ("bounced", "Bounced"),
            ("error", "Failed"),
        ],
        required=True,
        default="done",
        index=True,
        help="Follows the real outcome: an email or SMS is queued, then sent, bounced or failed (with the "
        "reason); a call stays planned until its outcome is logged.",
    )
    error = fields.Char()
    result = fields.Char(help="What came of it: queued, planned, or the outcome of a call.")
    move_ids = fields.Many2many(
        "account.move",
        "pbd_followup_history_account_move_rel",
        "history_id",
        "move_id",
        string="Invoices",
    )
    currency_id = fields.Many2one("res.currency", required=True)
    amount_due = fields.Monetary(string="Amount due")
    penalty_amount = fields.Monetary(string="Penalties")
    locked_document_count = fields.Integer(string="Locked documents")
    mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null", index="btree_not_null")
    sms_id = fields.Many2one("sms.sms", string="SMS", ondelete="set null")
    sms_uuid = fields.Char(string="SMS UUID", index="btree_not_null", readonly=True)
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    letter_id = fields.Many2one("ir.attachment", string="Letters", ondelete="set null")
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user)

    @api.model
    def _pbd_address_lines(self, partner):
        """A postal address without its empty lines, for letters."""
        address = partner._display_address(without_company=True)
        return "\n".join(line for line in address.splitlines() if line.strip())

    @api.model
    def _pbd_qr_data_uri(self, url):
        """A QR code of ``url`` as a data URI, for printed letters."""
        if not url:
            return ""
        png = self.env["ir.actions.report"].barcode("QR", url, width=240, height=240)
        return "data:image/png;base64," + base64.b64encode(png).decode()

    def _pbd_staff_rows(self):
        """These rows by the language of their company, which what a job writes on them is in."""
        for lang, rows in self.grouped(lambda row: row.company_id.partner_id.lang or "").items():
            yield rows.with_context(lang=lang or self.env.lang)

    @api.model
    def _pbd_sync_mail_state(self, mails):
        """Each history row of these emails takes the email's real state."""
        for rows in self.sudo().search([("mail_id", "in", mails.ids)])._pbd_staff_rows():
            rows._pbd_sync_mail_state_rows()

    def _pbd_sync_mail_state_rows(self):
        for row in self:
            mail = row.mail_id
            if mail.state in ("sent", "received"):
                row.write({"state": "sent", "error": False, "result": self.env._("Sent")})
            elif mail.state in ("exception", "cancel"):
                failure = dict(mail._fields["failure_type"]._description_selection(self.env)).get(
                    mail.failure_type
                )
                reason = mail.failure_reason or failure or self.env._("The email could not be sent.")
                state = "bounced" if mail.failure_type == "mail_bounce" else "error"
                row.write({"state": state, "error": reason[:250], "result": False})

    @api.model
    def _pbd_mark_bounced(self, messages, reason=""):
        """The emails of these messages bounced: their history rows say so, with the reason."""
        for rows in self.sudo().search([("mail_id.mail_message_id", "in", messages.ids)])._pbd_staff_rows():
            rows.write({"state": "bounced", "error": (reason or rows.env._("The email bounced."))[:250]})

    @api.model
    def _pbd_sync_sms_state(self, trackers, status, failure_type=False, failure_reason=False):
        """Each history row of these SMS takes what the provider reported (sent, bounced, failed)."""
        uuids = [uuid for uuid in trackers.mapped("sms_uuid") if uuid]
        if not uuids:
            return
        for rows in self.sudo().search([("sms_uuid", "in", uuids)])._pbd_staff_rows():
            rows._pbd_sync_sms_state_rows(status, failure_type, failure_reason)

    def _pbd_sync_sms_state_rows(self, status, failure_type, failure_reason):
        rows = self
        if status in ("pending", "process"):
            rows.filtered(lambda row: row.state == "queued").write(
                {"state": "sent", "result": self.env._("Accepted by the SMS provider")}
            )
        elif status == "sent":
            rows.write({"state": "sent", "error": False, "result": self.env._("Delivered")})
        elif status in ("exception", "bounce", "canceled"):
            labels = dict(self.env["sms.sms"]._fields["failure_type"]._description_selection(self.env))
            reason = failure_reason or labels.get(failure_type) or self.env._("The SMS could not be sent.")
            rows.write({"state": "bounced" if status == "bounce" else "error", "error": reason[:250]})

    def action_pbd_open_letter(self):
        """Open the letter (the run's PDF) in one click."""
        self.ensure_one()
        letter = self.letter_id or self.run_id.letter_id
        if not letter:
            return False
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{letter.id}?download=true",
            "target": "new",
        }
