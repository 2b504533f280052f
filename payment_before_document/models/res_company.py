from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    pbd_lock_by_default = fields.Boolean(
        string="Lock deliverables until payment",
        default=True,
        help="New deliverables wait for the invoice to be paid before the client can download them.",
    )
    pbd_preview_enabled = fields.Boolean(string="Show a preview of locked PDFs", default=True)
    pbd_preview_pages = fields.Integer(string="Preview pages", default=1)
    pbd_watermark_text = fields.Char(
        string="Watermark text",
        translate=True,
        default="PREVIEW – payment required",
    )
    pbd_release_template_id = fields.Many2one(
        "mail.template",
        string="Documents available email",
        domain=[("model", "=", "account.move")],
        default=lambda self: self.env.ref(
            "payment_before_document.mail_template_documents_available", raise_if_not_found=False
        ),
    )
