from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pbd_lock_by_default = fields.Boolean(related="company_id.pbd_lock_by_default", readonly=False)
    pbd_preview_enabled = fields.Boolean(related="company_id.pbd_preview_enabled", readonly=False)
    pbd_preview_pages = fields.Integer(related="company_id.pbd_preview_pages", readonly=False)
    pbd_watermark_text = fields.Char(related="company_id.pbd_watermark_text", readonly=False)
    pbd_release_template_id = fields.Many2one(related="company_id.pbd_release_template_id", readonly=False)
    pbd_apply_penalties = fields.Boolean(related="company_id.pbd_apply_penalties", readonly=False)
    pbd_ecb_rate = fields.Float(related="company_id.pbd_ecb_rate", readonly=False)
    pbd_ecb_rate_period = fields.Selection(related="company_id.pbd_ecb_rate_period", readonly=False)
    pbd_penalty_margin = fields.Float(related="company_id.pbd_penalty_margin", readonly=False)
    pbd_flat_fee = fields.Float(related="company_id.pbd_flat_fee", readonly=False)
    pbd_formal_notice_days = fields.Integer(related="company_id.pbd_formal_notice_days", readonly=False)
