from odoo import fields, models

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
        [("done", "Done"), ("error", "Error")], required=True, default="done", index=True
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
    mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null")
    sms_id = fields.Many2one("sms.sms", string="SMS", ondelete="set null")
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    letter_id = fields.Many2one("ir.attachment", string="Letters", ondelete="set null")
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user)
