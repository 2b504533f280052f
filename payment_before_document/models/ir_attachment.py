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

    def _pbd_copies_of_locked_files(self):
        """Those of these attachments whose content is a locked deliverable file.

        A copy arises when someone attaches the same file to a chatter message
        or an email: Odoo stores it once (same content, same checksum) and
        mints a token for it. Until the deliverable is released, such a copy
        is as locked as the original.
        """
        if not self.ids:
            return self.browse()
        self.flush_model(["checksum", "res_model", "res_id", "res_field"])
        self.env["account.move.deliverable"].flush_model(["state"])
        self.env.cr.execute(
            """
            SELECT DISTINCT a.id
              FROM ir_attachment a
              JOIN ir_attachment f ON f.checksum = a.checksum
                                  AND f.res_model = %s
                                  AND f.res_field = 'file'
              JOIN account_move_deliverable d ON d.id = f.res_id AND d.state = 'locked'
             WHERE a.id IN %s
            """,
            [DELIVERABLE_MODEL, tuple(self.ids)],
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def validate_access(self, access_token):
        # Neither a token nor the public flag opens a deliverable file, nor a
        # copy of a locked one, for anyone outside the firm.
        self.ensure_one()
        if self.sudo()._pbd_deliverable_attachments():
            if not self.env.user._is_internal():
                raise AccessError(self.env._("Sorry, you are not allowed to access this document."))
            self.check("read")
            return self
        if not self.env.user._is_internal() and self.sudo()._pbd_copies_of_locked_files():
            raise AccessError(self.env._("This document is available once the invoice is paid."))
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
