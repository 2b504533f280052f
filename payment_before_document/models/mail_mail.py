import logging

from odoo import models

_logger = logging.getLogger(__name__)


class MailMail(models.Model):
    """No outgoing email carries a locked deliverable, whoever attached it."""

    _inherit = "mail.mail"

    def _prepare_outgoing_list(self, mail_server=False, recipients_follower_status=None):
        emails = super()._prepare_outgoing_list(
            mail_server=mail_server, recipients_follower_status=recipients_follower_status
        )
        attachments = [att for email in emails for att in email.get("attachments") or []]
        if not attachments:
            return emails
        checksum = self.env["ir.attachment"]._compute_checksum
        # The file or its signed copy: both hold the whole document.
        locked = self.env["pbd.deliverable"]._pbd_locked_checksums(
            {checksum(raw) for _name, raw, _mime in attachments}
        )
        if not locked:
            return emails
        for email in emails:
            kept = [att for att in email["attachments"] if checksum(att[1]) not in locked]
            removed = len(email["attachments"]) - len(kept)
            if removed:
                _logger.info(
                    "mail.mail %s: %d locked deliverable(s) removed from the attachments", self.id, removed
                )
                email["attachments"] = kept
        return emails

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            # Follow-up history rows follow their email's real state.
            self.env["pbd.followup.history"]._pbd_sync_mail_state(self)
        return result
