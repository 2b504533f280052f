from odoo import fields, models


class PbdSignaturePhoneWizard(models.TransientModel):
    """The firm changes the mobile number that receives a signer's code."""

    _name = "pbd.signature.phone.wizard"
    _description = "Change the Signer's Mobile Number"

    request_id = fields.Many2one("pbd.signature.request", required=True, ondelete="cascade")
    phone = fields.Char(string="New mobile number", required=True)

    def action_apply(self):
        self.ensure_one()
        self.request_id._pbd_set_phone(self.phone)
        return {"type": "ir.actions.act_window_close"}
