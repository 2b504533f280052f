"""The pay link of emails and SMS, the landing after payment, early-payment discounts."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import PbdHttpTestCommon, PbdStripeMixin


@tagged("post_install", "-at_install")
class TestPayLink(PbdStripeMixin, PbdHttpTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_stripe_setup()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.early_term = cls.env["account.payment.term"].create(
            {
                "name": "2 % within 10 days, net 30",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )

    def _statement(self, on_date):
        values = self.env["pbd.followup.statement"]._build(self.client_company, self.company, on_date)
        return values[self.client_company.id]

    def test_pay_link_opens_the_payment_and_lands_on_the_documents(self):
        invoice = self._pbd_invoice(amount=500.0)
        pay_url = invoice._get_pbd_pay_url()
        self.assertTrue(pay_url.startswith(invoice.get_base_url()))
        self.assertIn("payment=True", pay_url)
        self.assertTrue(pay_url.endswith("#portal_pay"))
        page = self.url_open(invoice._get_pbd_pay_path().split("#")[0]).text
        self.assertIn('data-payment="True"', page, "the payment form opens by itself")
        self.assertIn(
            f'data-landing-route="/my/invoices/{invoice.id}/documents"', page, "after paying: the documents"
        )
        # The status page sends the client there with ?tx_id=&access_token= appended.
        tx = self._pbd_stripe_tx(invoice)
        landing = f"/my/invoices/{invoice.id}/documents?tx_id={tx.id}&access_token={invoice.access_token}"
        response = self.url_open(landing, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(response.headers["Location"].endswith("#pbd_deliverables"))
        stranger = self.url_open(
            f"/my/invoices/{invoice.id}/documents?tx_id={tx.id}&access_token=guess", allow_redirects=False
        )
        self.assertTrue(stranger.headers["Location"].endswith("/my"))
        self.assertNotIn(invoice.access_token, stranger.headers["Location"])

    def test_reminders_and_the_documents_page_carry_the_pay_link(self):
        invoice = self._pbd_invoice(amount=800.0)
        statement = self._statement(invoice.invoice_date_due + timedelta(days=10))
        self.assertEqual(statement["lines"][0]["pay_url"], invoice._get_pbd_pay_url())
        self.assertIn(invoice._get_pbd_pay_url().replace("&", "&amp;"), statement["statement_html"])
        self.authenticate("pbd_client", "pbd_client")
        documents = self.url_open("/my/documents").text
        self.assertIn(invoice._get_pbd_pay_path().replace("&", "&amp;"), documents)
        self._pbd_pay(invoice)
        documents = self.url_open("/my/documents").text
        self.assertNotIn(invoice._get_pbd_pay_path().replace("&", "&amp;"), documents, "nothing left to pay")

    def test_early_discount_shown_while_it_runs_and_paying_it_unlocks(self):
        invoice = self._pbd_invoice(
            amount=1000.0, invoice_date=self.today, invoice_payment_term_id=self.early_term.id
        )
        self.assertEqual(
            invoice._pbd_early_discount(self.today),
            {"date": self.today + timedelta(days=10), "discount": 20.0, "amount": 980.0},
        )
        self.assertIsNone(invoice._pbd_early_discount(self.today + timedelta(days=11)))
        page = self.url_open(invoice.get_portal_url()).text
        self.assertIn("o_pbd_early_discount", page)
        self.assertIn("980.00", page)
        courtesy = self._statement(self.today + timedelta(days=5))
        self.assertEqual(courtesy["lines"][0]["early_discount"]["amount"], 980.0)
        self.assertIn("o_pbd_statement_discount", courtesy["statement_html"])
        late = self._statement(self.today + timedelta(days=40))
        self.assertIsNone(late["lines"][0]["early_discount"])
        self.assertNotIn("o_pbd_statement_discount", late["statement_html"])
        # Paying the discounted amount settles the invoice: the documents unlock.
        payment = self._pbd_pay(invoice)
        self.assertEqual(payment.amount, 980.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.pbd_deliverable_ids.state, "released")

    def test_no_discount_no_mention(self):
        with_term = self._pbd_invoice(
            amount=1000.0, invoice_date=self.today, invoice_payment_term_id=self.early_term.id
        )
        self.assertIn("o_pbd_early_discount", self.url_open(with_term.get_portal_url()).text, "control")
        invoice = self._pbd_invoice(amount=1000.0, invoice_date=self.today)
        self.assertIsNone(invoice._pbd_early_discount(self.today))
        self.assertNotIn("o_pbd_early_discount", self.url_open(invoice.get_portal_url()).text)
