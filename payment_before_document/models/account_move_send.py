from markupsafe import Markup

from odoo import api, models


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _get_default_mail_body(self, move, mail_template, mail_lang):
        """Odoo's invoice email says which documents wait for the payment, with the pay link.

        The notice is added to the body Odoo renders from the chosen template
        (whichever it is, edited or not), in the email's language: the single
        and the batch sending wizards, and the sending job, all start from it.
        """
        body = super()._get_default_mail_body(move, mail_template, mail_lang)
        notice = move._pbd_invoice_mail_notice(mail_lang)
        if not notice:
            return body
        return Markup("%s%s") % (body or "", notice)
