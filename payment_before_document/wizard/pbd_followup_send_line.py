from odoo import fields, models


class PbdFollowupSendLine(models.TransientModel):
    """One customer in the confirmation: level, channels, amounts, and the previews."""

    _name = "pbd.followup.send.line"
    _description = "Send Follow-ups: Customer"

    wizard_id = fields.Many2one("pbd.followup.send", string="Confirmation", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    level_id = fields.Many2one("pbd.followup.level", string="Level to send", readonly=True)
    is_formal_notice = fields.Boolean(string="Formal notice", readonly=True)
    channels = fields.Char(readonly=True)
    contact_id = fields.Many2one("res.partner", readonly=True)
    email_to = fields.Char(string="Email", readonly=True)
    mobile = fields.Char(string="Mobile for SMS", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    days_late = fields.Integer(string="Days late", readonly=True)
    amount_due = fields.Monetary(string="Amount due", readonly=True, help="All open invoices.")
    amount_overdue = fields.Monetary(
        string="Overdue", readonly=True, help="Invoices past due: what is claimed."
    )
    amount_claimed = fields.Monetary(
        string="Claimed", readonly=True, help="Overdue invoices plus late-payment interest and flat fees."
    )
    email_preview = fields.Html(string="Email preview", readonly=True, sanitize=False)
    sms_preview = fields.Text(string="SMS preview", readonly=True)
    letter_preview = fields.Html(string="Letter preview", readonly=True, sanitize=False)
