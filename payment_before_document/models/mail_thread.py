from odoo import models
from odoo.tools import html2plaintext


class MailThread(models.AbstractModel):
    """A bounce of a follow-up email marks its history row as bounced."""

    _inherit = "mail.thread"

    def _routing_handle_bounce(self, email_message, message_dict):
        result = super()._routing_handle_bounce(email_message, message_dict)
        bounced_message = message_dict.get("bounced_message")
        if message_dict.get("bounced_email") and bounced_message:
            self.env["pbd.followup.history"]._pbd_mark_bounced(
                bounced_message, html2plaintext(message_dict.get("body") or "")
            )
        return result
