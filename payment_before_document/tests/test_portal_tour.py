"""The whole client journey in Chromium: pay link, see, preview, pay, land, download."""

from odoo.tests import tagged

from .common import PbdHttpTestCommon


@tagged("post_install", "-at_install")
class TestPortalTour(PbdHttpTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        demo = cls.env.ref("payment.payment_provider_demo").sudo()
        provider = demo if demo.company_id == cls.company else demo.copy({"company_id": cls.company.id})
        provider.write({"state": "test", "is_published": True})
        cls.env["payment.provider"].sudo().search(
            [("company_id", "=", cls.company.id), ("id", "!=", provider.id)]
        ).write({"state": "disabled"})
        cls.provider = provider

    def test_client_pays_then_downloads_the_original(self):
        invoice = self._pbd_invoice(amount=1500.0)
        deliverable = invoice.pbd_deliverable_ids
        self.assertEqual(deliverable.state, "locked")
        self.start_tour(invoice._get_pbd_pay_path(), "pbd_pay_then_download", login="pbd_client")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(deliverable.state, "released")
        self.assertEqual(deliverable.download_ids.user_id, self.portal_user)
        transaction = invoice.transaction_ids
        self.assertEqual(transaction.provider_id, self.provider)
        self.assertEqual(transaction.state, "done")
