"""Plain-Python PDF helpers: inspection and watermarked previews."""

import io

from pypdf import PdfReader

from odoo.tests import BaseCase, tagged

from ..lib import pdf as pdf_lib
from .common import make_corrupt_pdf, make_encrypted_pdf, make_pdf


@tagged("post_install", "-at_install")
class TestPdfLib(BaseCase):
    def test_inspect_readable_pdf(self):
        info = pdf_lib.inspect_pdf(make_pdf(pages=5))
        self.assertTrue(info.readable)
        self.assertEqual(info.page_count, 5)

    def test_inspect_bad_inputs_never_raise(self):
        self.assertEqual(pdf_lib.inspect_pdf(b"").problem, pdf_lib.REASON_EMPTY)
        self.assertEqual(pdf_lib.inspect_pdf(b"PK\x03\x04 spreadsheet").problem, pdf_lib.REASON_NOT_PDF)
        self.assertEqual(pdf_lib.inspect_pdf(make_encrypted_pdf()).problem, pdf_lib.REASON_ENCRYPTED)
        self.assertEqual(pdf_lib.inspect_pdf(make_corrupt_pdf()).problem, pdf_lib.REASON_CORRUPT)
        self.assertEqual(pdf_lib.inspect_pdf(b"%PDF-1.4\n" + b"\x00" * 50).problem, pdf_lib.REASON_CORRUPT)

    def test_preview_keeps_only_the_first_pages_and_is_watermarked(self):
        original = make_pdf(pages=6, text="Confidential finding")
        preview = pdf_lib.make_preview(original, pages=2, watermark="APERCU PBD")
        reader = PdfReader(io.BytesIO(preview))
        self.assertEqual(len(reader.pages), 2)
        first = reader.pages[0].extract_text()
        self.assertIn("Confidential finding 1", first)
        self.assertIn("APERCU PBD", first)
        self.assertNotIn("Confidential finding 3", "".join(p.extract_text() for p in reader.pages))
        self.assertNotEqual(preview, original)

    def test_preview_page_count_is_clamped(self):
        preview = pdf_lib.make_preview(make_pdf(pages=2), pages=10)
        self.assertEqual(len(PdfReader(io.BytesIO(preview)).pages), 2)
        preview = pdf_lib.make_preview(make_pdf(pages=2), pages=0)
        self.assertEqual(len(PdfReader(io.BytesIO(preview)).pages), 1)

    def test_preview_refuses_unreadable_pdf(self):
        with self.assertRaises(ValueError):
            pdf_lib.make_preview(make_encrypted_pdf())
        with self.assertRaises(ValueError):
            pdf_lib.make_preview(make_corrupt_pdf())
