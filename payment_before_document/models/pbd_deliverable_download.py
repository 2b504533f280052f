from odoo import fields, models


class PbdDeliverableDownload(models.Model):
    """One row per download of a deliverable: who, when, from where, which file."""

    _name = "pbd.deliverable.download"
    _description = "Deliverable Download"
    _order = "create_date desc, id desc"
    _log_access = True

    deliverable_id = fields.Many2one(
        "pbd.deliverable", required=True, ondelete="cascade", index=True, readonly=True
    )
    move_id = fields.Many2one(related="deliverable_id.move_id", store=True, string="Invoice")
    company_id = fields.Many2one(related="deliverable_id.company_id", store=True)
    user_id = fields.Many2one("res.users", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Downloaded by", readonly=True)
    file_kind = fields.Selection(
        [("original", "Original"), ("signed", "Signed copy")],
        string="File downloaded",
        required=True,
        default="original",
        readonly=True,
        help="The document as delivered, or its signed copy (the document with the signature certificate).",
    )
    by_staff = fields.Boolean(
        string="By staff",
        readonly=True,
        help="Downloaded by a member of the firm (from the back office or the portal), not by the client.",
    )
    ip_address = fields.Char(string="IP address", readonly=True)
    user_agent = fields.Char(readonly=True)
    create_date = fields.Datetime(string="Downloaded on", readonly=True)
