from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pbd_lock_by_default = fields.Boolean(related="company_id.pbd_lock_by_default", readonly=False)
    pbd_preview_enabled = fields.Boolean(related="company_id.pbd_preview_enabled", readonly=False)
    pbd_preview_pages = fields.Integer(related="company_id.pbd_preview_pages", readonly=False)
    pbd_watermark_text = fields.Char(related="company_id.pbd_watermark_text", readonly=False)
    pbd_release_template_id = fields.Many2one(related="company_id.pbd_release_template_id", readonly=False)
