from odoo import fields, models
from odoo.exceptions import UserError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pbd_lock_by_default = fields.Boolean(related="company_id.pbd_lock_by_default", readonly=False)
    pbd_preview_enabled = fields.Boolean(related="company_id.pbd_preview_enabled", readonly=False)
    pbd_preview_pages = fields.Integer(related="company_id.pbd_preview_pages", readonly=False)
    pbd_watermark_text = fields.Char(related="company_id.pbd_watermark_text", readonly=False)
    pbd_release_template_id = fields.Many2one(related="company_id.pbd_release_template_id", readonly=False)
    pbd_apply_penalties = fields.Boolean(related="company_id.pbd_apply_penalties", readonly=False)
    pbd_ecb_rate = fields.Float(related="company_id.pbd_ecb_rate", readonly=False)
    pbd_ecb_rate_period = fields.Char(related="company_id.pbd_ecb_rate_period", readonly=False)
    pbd_penalty_margin = fields.Float(related="company_id.pbd_penalty_margin", readonly=False)
    pbd_flat_fee = fields.Float(related="company_id.pbd_flat_fee", readonly=False)

    # Twilio (administrators only; stored as system parameters, never logged)
    pbd_twilio_account_sid = fields.Char(
        string="Twilio account SID",
        config_parameter="payment_before_document.twilio_account_sid",
        groups="base.group_system",
    )
    pbd_twilio_auth_token = fields.Char(
        string="Twilio auth token",
        config_parameter="payment_before_document.twilio_auth_token",
        groups="base.group_system",
    )
    pbd_twilio_sender = fields.Char(
        string="Twilio sender",
        config_parameter="payment_before_document.twilio_sender",
        groups="base.group_system",
        help="A phone number in E.164 format (+33…) or a messaging service SID (MG…).",
    )

    def action_pbd_twilio_test(self):
        self.ensure_one()
        self.execute()
        transport = self.env["sms.sms"]._pbd_twilio()
        if not transport:
            raise UserError(self.env._("Fill in the account SID, the auth token and the sender first."))
        try:
            status = transport.check_credentials(self.pbd_twilio_account_sid)
        except Exception as exc:
            raise UserError(
                self.env._("Twilio refused the credentials (%s).", exc.__class__.__name__)
            ) from exc
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Twilio answered: account %s.", status),
            },
        }
