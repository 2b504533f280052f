"""A locked file attached elsewhere (chatter, email) stays locked."""

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import PbdHttpTestCommon, PbdTestCommon


@tagged("post_install", "-at_install")
class TestLockedCopiesOverHttp(PbdHttpTestCommon):
    @mute_logger("odoo.http", "odoo.addons.base.models.ir_attachment")
    def test_chatter_copy_with_token_is_locked_until_payment(self):
        invoice = self._pbd_invoice()
        # The accountant also posts the report in the invoice's chatter.
        message = invoice.message_post(
            body="Here is the report", attachments=[("report.pdf", self.pdf_bytes)], message_type="comment"
        )
        copy = message.attachment_ids
        self.assertEqual(copy.res_model, "account.move")
        token = copy.generate_access_token()[0]  # what the portal chatter does
        url = f"/web/content/{copy.id}?access_token={token}&download=true"
        for login in ("pbd_client", None):
            self.authenticate(login, login)
            response = self.url_open(url, allow_redirects=False)
            self.assertNotIn(self.pdf_bytes, response.content, login)
        # Once paid, the same link works: we lock the content, not the link.
        self._pbd_pay(invoice)
        self.authenticate(None, None)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.pdf_bytes)


@tagged("post_install", "-at_install")
class TestLockedFilesNeverEmailed(PbdTestCommon, MockEmail):
    def _send_with_copy(self, invoice):
        copy = self.env["ir.attachment"].create(
            {"name": "report.pdf", "raw": self.pdf_bytes, "res_model": "account.move", "res_id": invoice.id}
        )
        invoice_pdf = self.env["ir.attachment"].create(
            {
                "name": "invoice.pdf",
                "raw": b"%PDF-1.4 invoice",
                "res_model": "account.move",
                "res_id": invoice.id,
            }
        )
        mail = self.env["mail.mail"].create(
            {
                "subject": "Your invoice",
                "body_html": "<p>Please find attached</p>",
                "email_to": "claire@lefevre.example.com",
                "attachment_ids": [(6, 0, (copy + invoice_pdf).ids)],
            }
        )
        with self.mock_mail_gateway():
            mail.send()
        self.assertEqual(len(self._mails), 1)
        return [name for name, _content, _mime in self._mails[0]["attachments"]]

    def test_locked_file_is_removed_from_outgoing_email(self):
        invoice = self._pbd_invoice()
        names = self._send_with_copy(invoice)
        self.assertEqual(names, ["invoice.pdf"], "the invoice goes, the locked report does not")

    def test_released_file_may_be_emailed(self):
        invoice = self._pbd_invoice()
        self._pbd_pay(invoice)
        names = self._send_with_copy(invoice)
        self.assertEqual(sorted(names), ["invoice.pdf", "report.pdf"])

    def test_release_email_attaches_nothing(self):
        invoice = self._pbd_invoice()
        self._pbd_pay(invoice)
        with self.mock_mail_gateway():
            self.env["pbd.deliverable"]._cron_notify_released()
            self.env["mail.mail"].sudo().search(
                [("model", "=", "account.move"), ("res_id", "=", invoice.id)]
            ).send()
        sent = [mail for mail in self._mails if "documents" in (mail["subject"] or "")]
        self.assertTrue(sent)
        for mail in sent:
            self.assertFalse(mail["attachments"])
            self.assertIn("/my/invoices/", mail["body"])
