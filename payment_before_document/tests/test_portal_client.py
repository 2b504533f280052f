"""The client's portal explains itself: documents by invoice, what unlocks them, in French."""

import re

from odoo.tests import tagged

from .common import PbdHttpTestCommon, PbdTestCommon

# The add-on's own English source strings a French client must never see.
ENGLISH_STRINGS = (
    "Your documents",
    "Available after payment",
    "Available on payment of",
    "Locked documents become available",
    "Pay and unlock",
    "Online signing is not available yet",
    "Locked until payment",
    "Not a PDF: no preview",
    "The documents we delivered to you",
)


class PortalClientMixin:
    @classmethod
    def _pbd_client_pages_setup(cls):
        cls.company.partner_id.write({"name": cls.company.name, "email": "contact@firm.example.com"})
        cls.invoice_locked = cls._pbd_invoice(
            amount=3200.0,
            deliverables=[
                {"name": "Structural report"},
                {"name": "Site plan"},
                {"name": "Quantities", "file": b"PK\x03\x04 sheet", "file_name": "quantities.xlsx"},
            ],
        )
        cls.invoice_deposit = cls._pbd_invoice(
            amount=4000.0,
            deliverables=[
                {"name": "Interim note", "release_rule": "share", "release_share": 50.0},
                {"name": "Final study", "release_rule": "share", "release_share": 100.0},
            ],
        )
        cls._pbd_pay(cls.invoice_deposit, amount=1000.0)
        cls.invoice_paid = cls._pbd_invoice(amount=1500.0, deliverables=[{"name": "Survey"}])
        cls._pbd_pay(cls.invoice_paid)
        cls.invoice_signed = cls._pbd_invoice(
            amount=900.0,
            deliverables=[{"name": "Acceptance report", "signature_requirement": "approve"}],
        )
        cls._pbd_pay(cls.invoice_signed)


@tagged("post_install", "-at_install")
class TestPortalClient(PortalClientMixin, PbdHttpTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_client_pages_setup()

    def _groups(self, page):
        """{invoice id: the group's HTML} of /my/documents."""
        parts = re.split(r"(?=<div[^>]*o_pbd_invoice_group)", page)
        groups = {}
        for part in parts[1:]:
            invoice_id = int(re.search(r'data-invoice-id="(\d+)"', part).group(1))
            groups[invoice_id] = part
        return groups

    def test_documents_are_grouped_by_invoice_with_one_pay_button(self):
        self.authenticate("pbd_client", "pbd_client")
        page = self.url_open("/my/documents?sortby=name").text
        groups = self._groups(page)
        self.assertEqual(
            set(groups),
            {self.invoice_locked.id, self.invoice_deposit.id, self.invoice_paid.id, self.invoice_signed.id},
        )
        locked = groups[self.invoice_locked.id]
        self.assertIn(self.invoice_locked.name, locked)
        self.assertEqual(locked.count('data-deliverable-id="'), 3, "its three documents, in its block")
        self.assertEqual(page.count('o_pbd_pay"'), 2, "one Pay button per unpaid invoice, not per row")
        self.assertEqual(locked.count('o_pbd_pay"'), 1)
        self.assertIn(self.invoice_locked._get_pbd_pay_path().replace("&", "&amp;"), locked)
        self.assertIn("3,200.00", locked, "the amount due")
        self.assertIn("Due", locked)
        self.assertNotIn('o_pbd_pay"', groups[self.invoice_paid.id], "nothing to pay on a paid invoice")
        # The spreadsheet shows its size, but no page count.
        sheet = self.invoice_locked.pbd_deliverable_ids.filtered(lambda d: d.name == "Quantities")
        self.assertEqual(sheet._pbd_portal_file_info(), "10 bytes")
        report = self.invoice_locked.pbd_deliverable_ids[0]
        self.assertRegex(report._pbd_portal_file_info(), r"^4 pages · \d\.\d\xa0kB$")

    def test_deposit_document_says_what_unlocks_it(self):
        interim, final = self.invoice_deposit.pbd_deliverable_ids.sorted("name")
        self.assertEqual((interim.state, final.state), ("locked", "locked"))
        self.authenticate("pbd_client", "pbd_client")
        page = self.url_open(self.invoice_deposit.get_portal_url()).text
        text = re.sub(r"\s+", " ", page)
        self.assertIn("Available on payment of 50 %, i.e.", text)
        self.assertRegex(text, r"Available on payment of 50 %, i\.e\. .{0,60}2,000\.00")
        self.assertRegex(text, r"Available on payment of 100 %, i\.e\. .{0,60}4,000\.00")

    def test_invoice_list_shows_which_invoices_hold_documents(self):
        other = self._pbd_invoice(amount=200.0, deliverables=[])
        self.authenticate("pbd_client", "pbd_client")
        page = self.url_open("/my/invoices").text
        self.assertIn(f'href="{self.invoice_locked.get_portal_url(anchor="pbd_deliverables")}', page)
        self.assertIn('data-locked="3"', page)
        self.assertIn('data-locked="0"', page, "the paid invoice's documents are available")
        self.assertEqual(page.count("o_pbd_invoice_documents"), 4)
        self.assertEqual(page.count("o_pbd_invoice_locked_icon"), 2, "a lock by the number on phones")
        self.assertIn(other.name, page)

    def test_signature_row_says_why_it_cannot_be_signed(self):
        deliverable = self.invoice_signed.pbd_deliverable_ids
        self.assertTrue(deliverable.pbd_signature_sms_missing, "the firm sends no SMS through Twilio")
        self.authenticate("pbd_client", "pbd_client")
        page = self.url_open(self.invoice_signed.get_portal_url()).text
        self.assertIn(f"Online signing is not available yet: contact {self.company.name}", page)
        self.assertNotIn('o_pbd_sign"', page)
        # A document asking for no signature says nothing about it.
        self.assertEqual(self.invoice_paid.pbd_deliverable_ids._pbd_portal_signature_note(), "")

    def test_a_bookmarked_invoice_without_token_goes_to_the_tokenised_url_and_can_be_paid(self):
        demo = self.env.ref("payment.payment_provider_demo").sudo()
        provider = demo if demo.company_id == self.company else demo.copy({"company_id": self.company.id})
        provider.write({"state": "test", "is_published": True})
        self.env["ir.config_parameter"].sudo().set_param("account_payment.enable_portal_payment", True)
        invoice = self.invoice_locked
        self.authenticate("pbd_client", "pbd_client")
        response = self.url_open(f"/my/invoices/{invoice.id}?payment=True", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"access_token={invoice.access_token}", response.headers["Location"])
        self.assertIn("payment=True", response.headers["Location"])
        page = self.url_open(f"/my/invoices/{invoice.id}").text
        token = re.search(r'data-access-token="([^"]+)"', page)
        self.assertTrue(token, "the payment form carries the invoice's token")
        self.assertEqual(token.group(1), invoice.access_token)
        # What the payment form posts when the client clicks Pay.
        processing = self.make_jsonrpc_request(
            f"/invoice/transaction/{invoice.id}",
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
                "token_id": None,
                "amount": invoice.amount_residual,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": f"/my/invoices/{invoice.id}/documents",
                "is_validation": False,
                "access_token": token.group(1),
            },
        )
        self.assertTrue(processing["reference"])
        # Another client's invoice is not reachable without its token.
        self.authenticate("pbd_other", "pbd_other")
        response = self.url_open(f"/my/invoices/{invoice.id}", allow_redirects=False)
        self.assertNotIn("access_token", response.headers.get("Location", ""))

    def test_how_it_works_gives_transfer_details_and_why_downloads_are_recorded(self):
        main = self.env.ref("base.main_company")  # the company of the public page
        main.email = "contact@firm.example.com"
        self.env["res.partner.bank"].create(
            {
                "partner_id": main.partner_id.id,
                "acc_number": "FR76 3000 6000 0112 3456 7890 189",
                "allow_out_payment": True,
                "sequence": 1,
            }
        )
        self.authenticate(None, None)
        page = self.url_open("/payment-before-access").text
        self.assertIn("FR76 3000 6000 0112 3456 7890 189", page)
        self.assertIn("business days", page)
        self.assertIn("proof of delivery", page)
        self.assertIn("contact@firm.example.com", page)


@tagged("post_install", "-at_install")
class TestPortalInFrench(PortalClientMixin, PbdHttpTestCommon):
    """A French client sees the portal pages in French: none of the add-on's English strings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"].search(
            [("name", "in", ("payment_before_document", "account", "portal", "payment"))]
        )._update_translations(["fr_FR"], overwrite=True)
        cls.company.write({"name": "Bureau Moreau Test"})
        cls.client_company.lang = "fr_FR"
        cls.client_contact.lang = "fr_FR"
        cls.portal_user.lang = "fr_FR"
        cls._pbd_client_pages_setup()

    def assertFrench(self, page, url):
        text = re.sub(r"\s+", " ", page)
        found = [term for term in ENGLISH_STRINGS if term in text]
        self.assertFalse(found, f"{url} shows English to a French client: {found}")

    def test_portal_pages_are_french(self):
        self.authenticate("pbd_client", "pbd_client")
        pages = {}
        for url in (
            "/my",
            "/my/documents",
            "/my/invoices",
            self.invoice_locked.get_portal_url(),
            self.invoice_deposit.get_portal_url(),
            self.invoice_signed.get_portal_url(),
            "/payment-before-access",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertFrench(response.text, url)
            pages[url] = re.sub(r"\s+", " ", response.text)
        deposit = pages[self.invoice_deposit.get_portal_url()]
        self.assertIn("Disponible au paiement de 50 %, soit", deposit)
        self.assertIn(
            "La signature en ligne n'est pas encore disponible : contactez Bureau Moreau Test",
            pages[self.invoice_signed.get_portal_url()].replace("&#39;", "'"),
        )
        documents = pages["/my/documents"]
        self.assertRegex(documents, r"4 pages · \d,\d Ko")


@tagged("post_install", "-at_install")
class TestInvoiceEmailMentionsDocuments(PbdTestCommon):
    def _send(self, invoice):
        wizard = (
            self.env["account.move.send.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
        )
        return wizard

    def test_invoice_email_says_documents_wait_and_gives_the_pay_link(self):
        invoice = self._pbd_invoice(amount=1200.0)
        wizard = self._send(invoice)
        self.assertIn("o_pbd_invoice_mail_notice", wizard.mail_body)
        self.assertIn(invoice.pbd_deliverable_ids.name, wizard.mail_body)
        self.assertIn("unlock as soon as the payment is received", wizard.mail_body)
        pay_url = invoice._get_pbd_pay_url().replace("&", "&amp;")
        self.assertIn(pay_url, wizard.mail_body)
        wizard.action_send_and_print(allow_fallback_pdf=True)
        message = invoice.message_ids.filtered(lambda m: "o_pbd_invoice_mail_notice" in (m.body or ""))
        self.assertTrue(message, "the email sent carries the notice")

    def test_no_notice_once_paid_or_without_locked_documents(self):
        unpaid = self._pbd_invoice(amount=500.0)
        self.assertIn("o_pbd_invoice_mail_notice", self._send(unpaid).mail_body, "control: unpaid, locked")
        paid = self._pbd_invoice(amount=500.0)
        self._pbd_pay(paid)
        self.assertNotIn("o_pbd_invoice_mail_notice", self._send(paid).mail_body)
        plain = self._pbd_invoice(amount=500.0, deliverables=[])
        self.assertNotIn("o_pbd_invoice_mail_notice", self._send(plain).mail_body)

    def test_invoice_email_notice_in_the_clients_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "payment_before_document")])._update_translations(
            ["fr_FR"], overwrite=True
        )
        invoice = self._pbd_invoice(amount=1200.0)
        notice = str(invoice._pbd_invoice_mail_notice("fr_FR"))
        self.assertIn("dès réception du paiement", notice)

    def test_announcement_grants_portal_access_from_the_company_address(self):
        self.company.email = "bureau@firm.example.com"
        client = self.env["res.partner"].create(
            {"name": "Bernard Conseil", "is_company": True, "email": "bernard@example.com"}
        )
        wizard = (
            self.env["pbd.access.announce"]
            .with_context(active_model="res.partner", active_ids=client.ids)
            .with_company(self.company)
            .create({"grant_portal_access": True})
        )
        wizard.action_send()
        self.assertTrue(client.user_ids, "a portal login was created")
        self.assertTrue(client.user_ids._is_portal())
        message = client.message_ids.filtered(lambda m: m.message_type == "comment")[:1]
        self.assertIn("bureau@firm.example.com", message.email_from)
        self.assertEqual(
            self.env["res.users"].search_count([("partner_id", "=", self.client_contact.id)]),
            1,
            "nothing else changes",
        )

    def test_notes_written_by_a_job_are_in_the_firms_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "payment_before_document")])._update_translations(
            ["fr_FR"], overwrite=True
        )
        self.company.partner_id.lang = "fr_FR"
        no_email = self.env["res.partner"].create({"name": "Sans Courriel SARL", "is_company": True})
        invoice = self._pbd_invoice(partner=no_email, invoice_user_id=False)
        # The release job runs without any language of its own.
        self.assertFalse(
            invoice.with_context(lang=None)._pbd_notify_documents_available(invoice.pbd_deliverable_ids)
        )
        activity = invoice.activity_ids
        self.assertEqual(activity.summary, "Prévenir le client que ses documents sont disponibles")
        self.assertIn("Documents disponibles", str(activity.note))

    def test_the_preview_watermark_is_in_the_clients_language(self):
        from unittest.mock import patch  # noqa: PLC0415

        from ..lib import pdf as pdf_lib  # noqa: PLC0415

        self.env["res.lang"]._activate_lang("fr_FR")
        self.company.with_context(lang="en_US").pbd_watermark_text = "PREVIEW - payment required"
        self.company.update_field_translations("pbd_watermark_text", {"fr_FR": "APERÇU - paiement requis"})
        self.client_company.lang = "fr_FR"
        with patch.object(pdf_lib, "make_preview", wraps=pdf_lib.make_preview) as make_preview:
            # Uploaded by an accountant working in English.
            self.assertNotEqual(self.env.lang, "fr_FR")
            self._pbd_invoice(post=False)
        watermarks = [call.kwargs["watermark"] for call in make_preview.call_args_list]
        self.assertEqual(watermarks, ["APERÇU - paiement requis"])
