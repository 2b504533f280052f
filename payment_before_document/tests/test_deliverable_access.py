"""Nothing leaks: every way a stranger, another client or the owner could try
to get a locked file, over real HTTP (HttpCase)."""

import io

from pypdf import PdfReader

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import PbdHttpTestCommon


@tagged("post_install", "-at_install")
class TestDeliverableAccess(PbdHttpTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice_locked = cls._pbd_invoice(amount=1200.0)
        cls.locked = cls.invoice_locked.pbd_deliverable_ids
        cls.invoice_paid = cls._pbd_invoice(amount=800.0)
        cls._pbd_pay(cls.invoice_paid)
        cls.released = cls.invoice_paid.pbd_deliverable_ids
        cls.invoice_locked._portal_ensure_token()
        cls.invoice_paid._portal_ensure_token()
        cls.file_attachments = cls.env["ir.attachment"].search(
            [
                ("res_model", "=", "pbd.deliverable"),
                ("res_id", "in", (cls.locked + cls.released).ids),
                ("res_field", "in", ("file", "preview")),
            ]
        )

    def setUp(self):
        super().setUp()
        self.assertEqual(self.locked.state, "locked")
        self.assertEqual(self.released.state, "released")

    # ------------------------------------------------------------------
    def _get(self, url, **kw):
        return self.url_open(url, allow_redirects=False, **kw)

    def assertNoFile(self, response, msg=None):
        """Neither the file nor its preview: a redirect, an error, an HTML page
        or /web/image's placeholder picture."""
        self.assertNotIn(self.pdf_bytes, response.content, msg)
        self.assertNotIn(b"%PDF-", response.content, msg)
        self.assertNotIn("application/pdf", response.headers.get("Content-Type", ""), msg)

    def assertIsFile(self, response):
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.pdf_bytes)
        self.assertIn("attachment", response.headers.get("Content-Disposition", ""))

    # ------------------------------------------------------------------
    # Our own download route
    # ------------------------------------------------------------------
    def test_owner_downloads_released_file_and_it_is_logged(self):
        self.authenticate("pbd_client", "pbd_client")
        response = self._get(self.released._get_download_url())
        self.assertIsFile(response)
        log = self.released.download_ids
        self.assertEqual(len(log), 1)
        self.assertEqual(log.user_id, self.portal_user)
        self.assertEqual(log.ip_address, "127.0.0.1")

    def test_owner_cannot_download_locked_file(self):
        self.authenticate("pbd_client", "pbd_client")
        response = self._get(self.locked._get_download_url())
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"/my/invoices/{self.invoice_locked.id}", response.headers["Location"])
        self.assertNoFile(response)
        self.assertFalse(self.locked.download_ids)

    def test_other_client_gets_nothing(self):
        self.authenticate("pbd_other", "pbd_other")
        for deliverable in self.locked + self.released:
            for url in (deliverable._get_download_url(), deliverable._get_preview_url()):
                response = self._get(url)
                self.assertEqual(response.status_code, 303, url)
                self.assertTrue(response.headers["Location"].endswith("/my"), url)
                self.assertNoFile(response)

    def test_anonymous_with_invoice_token(self):
        self.authenticate(None, None)
        # No token: nothing.
        self.assertNoFile(self._get(self.released._get_download_url()))
        # A wrong token: nothing.
        self.assertNoFile(self._get(self.released._get_download_url("not-the-token")))
        # The invoice link's token opens released files only: holding the link is not payment.
        self.assertIsFile(self._get(self.released._get_download_url(self.invoice_paid.access_token)))
        response = self._get(self.locked._get_download_url(self.invoice_locked.access_token))
        self.assertEqual(response.status_code, 303)
        self.assertIn(
            self.invoice_locked._get_pbd_documents_url(), response.headers["Location"], "back to pay"
        )
        self.assertNoFile(response)
        # One invoice's token does not open another invoice's documents.
        self.assertNoFile(self._get(self.released._get_download_url(self.invoice_locked.access_token)))

    def test_unknown_deliverable(self):
        self.authenticate("pbd_client", "pbd_client")
        response = self._get("/my/documents/999999999/download")
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my"), "refused, to /my")

    def test_preview_of_locked_pdf_is_watermarked_first_page_only(self):
        self.authenticate("pbd_client", "pbd_client")
        response = self._get(self.locked._get_preview_url())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertNotEqual(response.content, self.pdf_bytes)
        self.assertEqual(len(PdfReader(io.BytesIO(response.content)).pages), 1)

    # ------------------------------------------------------------------
    # Odoo's generic routes: never, for anyone outside the firm
    # ------------------------------------------------------------------
    def _generic_urls(self, attachment):
        deliverable_id = attachment.res_id
        return [
            f"/web/content/{attachment.id}",
            f"/web/content/{attachment.id}?download=true",
            f"/web/content/ir.attachment/{attachment.id}/datas",
            f"/web/content/pbd.deliverable/{deliverable_id}/file",
            f"/web/content/pbd.deliverable/{deliverable_id}/preview",
            f"/web/image/{attachment.id}",
            f"/web/image/pbd.deliverable/{deliverable_id}/file",
        ]

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_attachment", "odoo.addons.base.models.ir_rule")
    def test_generic_content_routes_never_serve_deliverable_files(self):
        for login in ("pbd_client", "pbd_other", None):
            self.authenticate(login, login)
            for attachment in self.file_attachments:
                for url in self._generic_urls(attachment):
                    with self.subTest(login=login, url=url):
                        self.assertNoFile(self._get(url))

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_attachment")
    def test_a_token_or_public_flag_does_not_open_a_deliverable_file(self):
        attachment = self.file_attachments.filtered(
            lambda a: a.res_id == self.locked.id and a.res_field == "file"
        )
        # Tokens are never minted for deliverable files...
        with self.assertRaises(AccessError):
            attachment.generate_access_token()
        with self.assertRaises(AccessError):
            attachment.write({"public": True})
        # ...and one forced into the database (say, by another module) opens nothing.
        self.env.cr.execute(
            "UPDATE ir_attachment SET access_token = 'forced-token', public = true WHERE id = %s",
            [attachment.id],
        )
        attachment.invalidate_recordset()
        for login in ("pbd_client", None):
            self.authenticate(login, login)
            for url in (
                f"/web/content/{attachment.id}?access_token=forced-token",
                f"/web/content/{attachment.id}",
                f"/web/image/{attachment.id}?access_token=forced-token",
            ):
                with self.subTest(login=login, url=url):
                    self.assertNoFile(self._get(url))

    @mute_logger("odoo.http")
    def test_json_rpc_reads_are_refused_to_clients(self):
        self.authenticate("pbd_client", "pbd_client")
        attempts = [
            (
                "ir.attachment",
                "search_read",
                [[("res_model", "=", "pbd.deliverable")]],
                {"fields": ["datas"]},
            ),
            ("ir.attachment", "read", [self.file_attachments.ids], {"fields": ["datas", "raw"]}),
            ("pbd.deliverable", "search_read", [[]], {"fields": ["file", "preview"]}),
            ("pbd.deliverable", "read", [self.locked.ids], {"fields": ["file"]}),
            ("account.move", "read", [self.invoice_locked.ids], {"fields": ["pbd_deliverable_ids"]}),
        ]
        for model, method, args, kwargs in attempts:
            with self.subTest(model=model, method=method):
                try:
                    result = self.make_jsonrpc_request(
                        "/web/dataset/call_kw",
                        {"model": model, "method": method, "args": args, "kwargs": kwargs},
                    )
                except JsonRpcException:
                    continue
                self.assertNotIn(self.pdf_bytes.hex()[:40], str(result))
                for row in result or []:
                    self.assertFalse(row.get("datas") or row.get("file"), f"{model}.{method} leaked {row}")

    # ------------------------------------------------------------------
    # Portal pages
    # ------------------------------------------------------------------
    def test_invoice_page_shows_deliverables_with_the_right_actions(self):
        self.authenticate("pbd_client", "pbd_client")
        page = self.url_open(self.invoice_locked.get_portal_url()).text
        self.assertIn("pbd_deliverables", page)
        self.assertIn(self.locked.name, page)
        self.assertIn(self.locked._get_preview_url(self.invoice_locked.access_token), page)
        self.assertNotIn(f"/my/documents/{self.locked.id}/download", page)
        page = self.url_open(self.invoice_paid.get_portal_url()).text
        self.assertIn(f"/my/documents/{self.released.id}/download", page)

    def test_my_documents_lists_filters_and_counts(self):
        self.authenticate("pbd_client", "pbd_client")
        page = self.url_open("/my/documents").text
        self.assertIn(f'data-deliverable-id="{self.locked.id}"', page)
        self.assertIn(f'data-deliverable-id="{self.released.id}"', page)
        page = self.url_open("/my/documents?filterby=to_pay").text
        self.assertIn(f'data-deliverable-id="{self.locked.id}"', page)
        self.assertNotIn(f'data-deliverable-id="{self.released.id}"', page)
        page = self.url_open("/my/documents?filterby=available").text
        self.assertNotIn(f'data-deliverable-id="{self.locked.id}"', page)
        self.assertIn(f'data-deliverable-id="{self.released.id}"', page)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["pbd_document_count"]})
        self.assertEqual(counters["pbd_document_count"], 2)
        # Another client sees none of them.
        self.authenticate("pbd_other", "pbd_other")
        page = self.url_open("/my/documents").text
        self.assertNotIn(f'data-deliverable-id="{self.locked.id}"', page)

    def test_how_it_works_page_is_public(self):
        self.authenticate(None, None)
        response = self.url_open("/payment-before-access")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_pbd_how_it_works", response.text)


@tagged("post_install", "-at_install")
class TestDeliverableAccessMore(PbdHttpTestCommon):
    """Report, share and pagination routes."""

    ROW = 'data-deliverable-id="'

    def test_invoice_report_route_does_not_carry_the_deliverable(self):
        invoice = self._pbd_invoice()
        self._pbd_pay(invoice)
        download_path = f"/my/documents/{invoice.pbd_deliverable_ids.id}/download"
        self.authenticate("pbd_client", "pbd_client")
        self.assertIn(download_path, self.url_open(invoice.get_portal_url()).text, "control: invoice page")
        response = self.url_open(f"{invoice.get_portal_url(report_type='pdf')}&download=true")
        self.assertEqual(response.status_code, 200)
        # (In test mode Odoo renders reports as HTML instead of calling wkhtmltopdf.)
        self.assertIn(invoice.name.encode(), response.content, "the invoice itself is served")
        self.assertNotIn(self.pdf_bytes, response.content)
        html = self.url_open(invoice.get_portal_url(report_type="html")).text
        self.assertNotIn(download_path, html)

    def test_share_link_is_not_payment(self):
        invoice = self._pbd_invoice()
        deliverable = invoice.pbd_deliverable_ids
        share = (
            self.env["portal.share"]
            .with_context(active_model="account.move", active_id=invoice.id)
            .create({"partner_ids": [(6, 0, self.other_partner.ids)]})
        )
        self.assertIn("access_token=", share.share_link)
        token = share.share_link.split("access_token=")[1].split("&")[0]
        self.authenticate(None, None)
        page = self.url_open(share.share_link).text
        self.assertIn(deliverable.name, page, "the shared invoice page shows the document, locked")
        response = self.url_open(deliverable._get_download_url(token), allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn(
            invoice._get_pbd_documents_url(), response.headers["Location"], "back to the invoice to pay"
        )
        self.assertNotIn(self.pdf_bytes, response.content)

    def test_my_documents_pagination(self):
        invoice = self._pbd_invoice(deliverables=[{"name": f"Part {n:02d}"} for n in range(25)])
        self.authenticate("pbd_client", "pbd_client")
        first = self.url_open("/my/documents?sortby=name").text
        second = self.url_open("/my/documents/page/2?sortby=name").text
        self.assertEqual(first.count(self.ROW), 20)
        self.assertEqual(second.count(self.ROW), 5)
        ids = invoice.pbd_deliverable_ids.sorted("name").ids
        self.assertIn(f'{self.ROW}{ids[0]}"', first)
        self.assertIn(f'{self.ROW}{ids[-1]}"', second)

    def test_portal_pages_survive_bad_files_and_say_why(self):
        from .common import make_corrupt_pdf, make_encrypted_pdf  # noqa: PLC0415

        invoice = self._pbd_invoice(
            deliverables=[
                {"name": "Broken", "file": make_corrupt_pdf(), "file_name": "broken.pdf"},
                {"name": "Protected", "file": make_encrypted_pdf(), "file_name": "protected.pdf"},
                {"name": "Sheet", "file": b"PK\x03\x04 sheet", "file_name": "sheet.xlsx"},
            ]
        )
        self.authenticate("pbd_client", "pbd_client")
        for url in (invoice.get_portal_url(), "/my/documents"):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertEqual(response.text.count(self.ROW), 3, url)
            self.assertIn("Unreadable PDF: no preview", response.text)
            self.assertIn("Encrypted PDF: no preview", response.text)
            self.assertIn("Not a PDF: no preview", response.text)
