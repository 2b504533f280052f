from odoo import api, models
from odoo.exceptions import AccessError
from odoo.http import request
from odoo.tools import SQL
from odoo.tools.sql import create_index

DELIVERABLE_MODEL = "pbd.deliverable"
SIGNATURE_MODEL = "pbd.signature.request"

# The files the module serves through its own routes only: a deliverable's
# file and preview, a signature's signed copy and certificate.
PROTECTED_FIELDS = {
    DELIVERABLE_MODEL: ("file", "preview"),
    SIGNATURE_MODEL: ("signed_file", "certificate_file"),
}

# What no write may change on a protected attachment: it would take the file
# out from under the guard (re-linked to a channel, turned into a link...).
PINNED_KEYS = ("res_model", "res_id", "res_field", "type", "url")


class IrAttachment(models.Model):
    """Deliverable files are never served by Odoo's generic routes.

    Odoo 18 hands an attachment out in sudo to whoever holds its
    ``access_token`` or when it is ``public``; for deliverable files (and their
    previews, signed copies and certificates) only internal users may go
    through ``ir.attachment`` at all: the client gets them from our routes,
    which check payment. Copies of a locked file (the same content attached to
    a chatter, a discussion channel, an email) are as locked as the original,
    whatever route streams them.
    """

    _inherit = "ir.attachment"

    def _auto_init(self):
        res = super()._auto_init()
        # Finding the copies of a locked file compares checksums with those
        # of the few attachments holding deliverable files: a partial index.
        create_index(
            self.env.cr,
            "ir_attachment_pbd_checksum_idx",
            self._table,
            ["checksum"],
            where="res_model IN ('pbd.deliverable', 'pbd.signature.request')",
        )
        return res

    # ------------------------------------------------------------------
    # What is protected
    # ------------------------------------------------------------------
    @api.model
    def _pbd_is_protected_field(self, res_model, res_field):
        return bool(res_field) and res_field in PROTECTED_FIELDS.get(res_model, ())

    def _pbd_deliverable_attachments(self):
        """Those of these attachments that hold a deliverable's own files.

        Only the fields served by the module's routes: a deliverable's file and
        preview, a signature's signed copy and certificate. Other attachments
        on a deliverable (images of its chatter) are ordinary attachments.
        """
        if not self.ids:
            return self.browse()
        self.flush_model(["res_model", "res_field"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id
                  FROM ir_attachment
                 WHERE id IN %s
                   AND ((res_model = %s AND res_field IN %s) OR (res_model = %s AND res_field IN %s))
                """,
                tuple(self.ids),
                DELIVERABLE_MODEL,
                PROTECTED_FIELDS[DELIVERABLE_MODEL],
                SIGNATURE_MODEL,
                PROTECTED_FIELDS[SIGNATURE_MODEL],
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _pbd_deny_unless_internal(self):
        if self.env.is_superuser() or self.env.user._is_internal():
            return
        if self._pbd_deliverable_attachments():
            raise AccessError(self.env._("Sorry, you are not allowed to access this document."))

    def _pbd_deliverable(self):
        """The deliverable whose file this attachment holds (its own, or its signature's), in sudo."""
        self.ensure_one()
        if self.res_model not in PROTECTED_FIELDS:
            return self.env[DELIVERABLE_MODEL]
        record = self.env[self.res_model].sudo().browse(self.res_id).exists()
        return record if self.res_model == DELIVERABLE_MODEL else record.deliverable_id

    def _pbd_copies_of_locked_files(self):
        """Those of these attachments whose content is a locked deliverable file.

        The content is the deliverable's file or its signed copy (the whole
        document with the certificate appended). A copy arises when someone
        attaches the same file to a chatter message, a discussion or an
        email: Odoo stores it once (same content, same checksum) and mints a
        token for it. Until the deliverable is released, such a copy is as
        locked as the original (which is its own copy): see
        :meth:`pbd.deliverable._pbd_locked_checksums`.
        """
        locked = self.env[DELIVERABLE_MODEL]._pbd_locked_checksums(self.sudo().mapped("checksum"))
        return self.filtered(lambda attachment: attachment.sudo().checksum in locked)

    def _pbd_locked_originals(self):
        """Those of these deliverable attachments that hold a locked deliverable's document.

        By the record they belong to (not by content): the file of a locked
        deliverable, or the signed copy of one. Its preview and certificate
        are not the document.
        """
        return (
            self._pbd_deliverable_attachments()
            .sudo()
            .filtered(
                lambda attachment: (
                    attachment.res_field in ("file", "signed_file")
                    and attachment._pbd_deliverable()._pbd_is_file_locked()
                )
            )
            .with_env(self.env)
        )

    def _pbd_requester_is_internal(self):
        """Whether whoever asks for the file is a member of the firm.

        In an HTTP request, that is the request's user: routes often stream
        attachments in sudo, or as the superuser (an attachment served at its
        URL), so the environment's user says nothing about who gets the bytes.
        """
        user = self.env.user
        if request and getattr(request, "env", None) is not None:
            user = request.env.user
        return bool(user) and user._is_internal()

    # ------------------------------------------------------------------
    # Serving
    # ------------------------------------------------------------------
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

    def _to_http_stream(self):
        # Every route that streams an attachment ends here, including those
        # that look the attachment up in sudo without ``validate_access``:
        # discuss channels (and livechat, the same routes), zip downloads, an
        # attachment served at its URL. The content of a locked deliverable
        # goes to the firm only. A deliverable's own attachment is judged by
        # its deliverable (a paid one is served even when another, locked,
        # deliverable has the same content); any other by its content.
        if not self._pbd_requester_is_internal():
            attachment_sudo = self.sudo()
            if attachment_sudo._pbd_deliverable_attachments():
                locked = attachment_sudo._pbd_locked_originals()
            else:
                locked = attachment_sudo._pbd_copies_of_locked_files()
            if locked:
                raise AccessError(self.env._("This document is available once the invoice is paid."))
        return super()._to_http_stream()

    # ------------------------------------------------------------------
    # Access and writes
    # ------------------------------------------------------------------
    @api.model
    def check(self, mode, values=None):
        if (
            values
            and values.get("res_model") in PROTECTED_FIELDS
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
            if self._pbd_is_protected_field(vals.get("res_model"), vals.get("res_field")):
                vals["public"] = False
                vals.pop("access_token", None)
        return super().create(vals_list)

    def write(self, vals):
        protected = self.sudo()._pbd_deliverable_attachments()
        if protected:
            if vals.get("public") or vals.get("access_token"):
                raise AccessError(self.env._("Deliverable files cannot be made public or shared by link."))
            for attachment in protected:
                if any(
                    (attachment[key] or False) != (vals[key] or False) for key in PINNED_KEYS if key in vals
                ):
                    raise AccessError(
                        self.env._(
                            "A deliverable's file stays with its deliverable: it cannot be moved to another "
                            "record or turned into a link. Attach a copy instead."
                        )
                    )
        return super().write(vals)
