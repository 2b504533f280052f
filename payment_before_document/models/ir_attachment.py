from odoo import api, models
from odoo.exceptions import AccessError

DELIVERABLE_MODEL = "account.move.deliverable"


class IrAttachment(models.Model):
    """Deliverable files are never served by Odoo's generic routes.

    Odoo 18 hands an attachment out in sudo to whoever holds its
    ``access_token`` or when it is ``public``; for deliverable files (and their
    previews) only internal users may go through ``ir.attachment`` at all: the
    client gets them from our download route, which checks payment.
    """

    _inherit = "ir.attachment"

    def _pbd_deliverable_attachments(self):
        if not self.ids:
            return self.browse()
        self.flush_model(["res_model"])
        self.env.cr.execute(
            "SELECT id FROM ir_attachment WHERE id IN %s AND res_model = %s",
            [tuple(self.ids), DELIVERABLE_MODEL],
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _pbd_deny_unless_internal(self):
        if self.env.is_superuser() or self.env.user._is_internal():
            return
        if self._pbd_deliverable_attachments():
            raise AccessError(self.env._("Sorry, you are not allowed to access this document."))

    def validate_access(self, access_token):
        # Neither a token nor the public flag opens a deliverable file.
        self.ensure_one()
        if self.sudo()._pbd_deliverable_attachments():
            if not self.env.user._is_internal():
                raise AccessError(self.env._("Sorry, you are not allowed to access this document."))
            self.check("read")
            return self
        return super().validate_access(access_token)

    @api.model
    def check(self, mode, values=None):
        if (
            values
            and values.get("res_model") == DELIVERABLE_MODEL
            and not (self.env.is_superuser() or self.env.user._is_internal())
        ):
            raise AccessError(self.env._("Sorry, you are not allowed to access this document."))
        self._pbd_deny_unless_internal()
        return super().check(mode, values=values)

    def generate_access_token(self):
        if self.sudo()._pbd_deliverable_attachments():
            raise AccessError(self.env._("Deliverable files cannot be shared by link."))
        return super().generate_access_token()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("res_model") == DELIVERABLE_MODEL:
                vals["public"] = False
                vals.pop("access_token", None)
        return super().create(vals_list)

    def write(self, vals):
        if (vals.get("public") or vals.get("access_token")) and self.sudo()._pbd_deliverable_attachments():
            raise AccessError(self.env._("Deliverable files cannot be made public or shared by link."))
        return super().write(vals)
