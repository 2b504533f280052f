"""Plain-Python PDF helpers: inspection and watermarked previews.

The preview shows only what it shows: a report built to leak (a clickable
table of contents on page 1, bookmarks, named destinations, shared resources,
a filled form field, an embedded file, JavaScript, Info and XMP metadata,
each with its own secret) gives a preview in which no secret appears,
anywhere in the file — as the library returns it, as a deliverable stores it
and as the portal serves it to a stranger holding the invoice link.
"""

import base64
import io
from unittest.mock import patch

from pypdf import PdfReader, PdfWriter

from odoo.tests import BaseCase, tagged

from ..lib import pdf as pdf_lib
from .common import PbdHttpTestCommon, PbdTestCommon, make_corrupt_pdf, make_encrypted_pdf, make_pdf
from .pdf_fixtures import PAGE_ONE_TEXT, SECRETS, find_secrets, make_leaky_pdf


def _pixels(pdf_bytes, index=0, scale=0.5):
    """The RGB pixels of page ``index`` of ``pdf_bytes``, rendered back with PDFium."""
    import pypdfium2 as pdfium  # noqa: PLC0415

    document = pdfium.PdfDocument(pdf_bytes)
    try:
        page = document[index]
        try:
            bitmap = page.render(scale=scale, rev_byteorder=True)
            try:
                return list(bitmap.to_pil().convert("RGB").getdata())
            finally:
                bitmap.close()
        finally:
            page.close()
    finally:
        document.close()


def reddish_share(pdf_bytes, index=0):
    """The share of clearly red pixels (the watermark) on page ``index``."""
    pixels = _pixels(pdf_bytes, index)
    return sum(1 for r, g, b in pixels if r - max(g, b) > 40) / len(pixels)


def dark_share(pdf_bytes, index=0):
    """The share of dark pixels (black text) on page ``index``."""
    pixels = _pixels(pdf_bytes, index)
    return sum(1 for r, g, b in pixels if max(r, g, b) < 90) / len(pixels)


class PreviewAssertions:
    def assertPreviewLeaksNothing(self, preview, pages):
        """``preview`` has ``pages`` watermarked pictures and nothing else of the original."""
        self.assertEqual(find_secrets(preview), set(), "secrets of the original found in the preview")
        reader = PdfReader(io.BytesIO(preview))
        self.assertEqual(len(reader.pages), pages)
        for index, page in enumerate(reader.pages):
            resources = page["/Resources"]
            self.assertNotIn("/Font", resources, "a preview page has fonts: it is not a picture")
            self.assertNotIn("/Annots", page)
            xobjects = resources["/XObject"]
            self.assertTrue(xobjects)
            for xobject in xobjects.values():
                self.assertEqual(xobject.get_object()["/Subtype"], "/Image")
            self.assertEqual(page.extract_text().strip(), "", "text can be extracted from the preview")
            self.assertGreater(reddish_share(preview, index), 0.02, "no watermark on the page")
        root = reader.trailer["/Root"]
        for key in ("/Outlines", "/Names", "/Dests", "/AcroForm", "/OpenAction", "/AA", "/Metadata"):
            self.assertNotIn(key, root)
        self.assertEqual(set(reader.metadata) - {"/CreationDate", "/ModDate"}, {"/Title", "/Producer"})
        self.assertEqual(reader.metadata["/Producer"], pdf_lib.PRODUCER)


@tagged("post_install", "-at_install")
class TestPdfLib(PreviewAssertions, BaseCase):
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
        self.assertEqual(reader.metadata["/Title"], "APERCU PBD")
        self.assertNotIn("Confidential finding", "".join(page.extract_text() for page in reader.pages))
        for index in range(2):
            self.assertGreater(reddish_share(preview, index), 0.02)
        # Pictures of the pages, at the pages' size.
        box = reader.pages[0].mediabox
        self.assertAlmostEqual(float(box.width), 595.27, delta=2)
        self.assertAlmostEqual(float(box.height), 841.89, delta=2)
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

    def test_preview_of_a_pdf_pdfium_cannot_open_raises_value_error(self):
        import pypdfium2 as pdfium  # noqa: PLC0415

        with (
            patch.object(pdfium, "PdfDocument", side_effect=pdfium.PdfiumError("Failed to load document")),
            self.assertRaises(ValueError) as caught,
        ):
            pdf_lib.make_preview(make_pdf(pages=2))
        self.assertEqual(str(caught.exception), pdf_lib.REASON_CORRUPT)

    def test_preview_closes_pdfium_documents_even_on_failure(self):
        import pypdfium2 as pdfium  # noqa: PLC0415

        close = pdfium.PdfDocument.close
        with patch.object(pdfium.PdfDocument, "close", autospec=True, side_effect=close) as closed:
            pdf_lib.make_preview(make_pdf(pages=3), pages=2)
            self.assertEqual(closed.call_count, 1)
            with (
                patch.object(pdfium.PdfPage, "render", side_effect=pdfium.PdfiumError("boom")),
                self.assertRaises(ValueError),
            ):
                pdf_lib.make_preview(make_pdf(pages=3), pages=2)
            self.assertEqual(closed.call_count, 2)
        self.assertFalse(pdf_lib._PDFIUM_LOCK.locked())

    def test_preview_caps_the_pixels_of_huge_pages(self):
        from pypdf import PdfWriter  # noqa: PLC0415

        writer = PdfWriter()
        writer.add_blank_page(width=14400, height=14400)  # 200 x 200 inches, the PDF maximum
        writer.add_blank_page(width=595, height=842)
        out = io.BytesIO()
        writer.write(out)
        reader = PdfReader(io.BytesIO(pdf_lib.make_preview(out.getvalue(), pages=2)))
        sizes = [
            (int(image["/Width"]), int(image["/Height"]))
            for image in (page["/Resources"]["/XObject"]["/image"].get_object() for page in reader.pages)
        ]
        huge, a4 = sizes
        self.assertLessEqual(max(huge), pdf_lib.MAX_SIDE_PX)
        self.assertLessEqual(huge[0] * huge[1], pdf_lib.MAX_PIXELS * 1.01)
        # The A4 page keeps its own resolution (~110 dpi), whatever its neighbour's size.
        self.assertAlmostEqual(a4[0], 595 * pdf_lib.PREVIEW_DPI / 72, delta=2)

    # ------------------------------------------------------------------
    # Issue 10 §2: the preview shows only what it shows
    # ------------------------------------------------------------------
    def test_leaky_fixture_carries_every_secret(self):
        """The scanner finds every secret in the original: its silence on a preview means something."""
        original = make_leaky_pdf(pages=4)
        self.assertEqual(find_secrets(original), set(SECRETS))
        reader = PdfReader(io.BytesIO(original))
        self.assertIn(PAGE_ONE_TEXT, reader.pages[0].extract_text())
        self.assertEqual(len(reader.pages[0]["/Annots"]), 3)

    def test_one_page_preview_of_a_leaky_report_leaks_nothing(self):
        original = make_leaky_pdf(pages=4)
        preview = pdf_lib.make_preview(original, pages=1, watermark="APERCU")
        self.assertPreviewLeaksNothing(preview, pages=1)

    def test_three_page_preview_of_a_leaky_report_leaks_nothing(self):
        original = make_leaky_pdf(pages=5)
        preview = pdf_lib.make_preview(original, pages=3, watermark="PREVIEW – payment required")
        self.assertPreviewLeaksNothing(preview, pages=3)
        self.assertEqual(PdfReader(io.BytesIO(preview)).metadata["/Title"], "PREVIEW – payment required")

    def test_preview_shows_page_one_as_a_picture_only(self):
        preview = pdf_lib.make_preview(make_leaky_pdf(pages=4), pages=1)
        reader = PdfReader(io.BytesIO(preview))
        self.assertNotIn(PAGE_ONE_TEXT, reader.pages[0].extract_text())
        self.assertNotIn(PAGE_ONE_TEXT.encode(), preview)
        # ...but the page is there to read: its text is drawn.
        self.assertGreater(dark_share(preview), 0.002)


@tagged("post_install", "-at_install")
class TestPdfPreviewDeliverable(PreviewAssertions, PbdTestCommon):
    def test_uploaded_leaky_report_gets_a_preview_of_the_configured_pages_only(self):
        self.company.pbd_preview_pages = 3
        self.assertEqual(self.env.company, self.company)
        invoice = self._pbd_invoice(deliverables=[{"name": "Leaky report", "file": make_leaky_pdf(pages=5)}])
        deliverable = invoice.pbd_deliverable_ids
        self.assertEqual(deliverable.page_count, 5)
        self.assertFalse(deliverable.preview_problem)
        self.assertPreviewLeaksNothing(base64.b64decode(deliverable.preview), pages=3)

    def test_previews_made_before_pictures_are_made_again(self):
        """An upgraded database: a preview copied the old way is replaced by a picture."""
        invoice = self._pbd_invoice(deliverables=[{"name": "Old report", "file": make_leaky_pdf(pages=4)}])
        deliverable = invoice.pbd_deliverable_ids
        writer = PdfWriter(clone_from=io.BytesIO(make_leaky_pdf(pages=4)))
        while len(writer.pages) > 1:
            writer.remove_page(1)  # what the earlier code kept: page 1 and all it referenced
        old = io.BytesIO()
        writer.write(old)
        deliverable.preview = base64.b64encode(old.getvalue())
        self.assertTrue(find_secrets(base64.b64decode(deliverable.preview)), "the old preview leaked")
        self.env["pbd.deliverable"].search([("is_pdf", "=", True)])._pbd_refresh_previews()
        self.assertPreviewLeaksNothing(base64.b64decode(deliverable.preview), pages=1)


@tagged("post_install", "-at_install")
class TestPdfPreviewHttp(PreviewAssertions, PbdHttpTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.pbd_preview_pages = 3
        cls.leaky_pdf = make_leaky_pdf(pages=5)
        cls.invoice = cls._pbd_invoice(
            amount=900.0, deliverables=[{"name": "Leaky report", "file": cls.leaky_pdf}]
        )
        cls.invoice._portal_ensure_token()
        cls.deliverable = cls.invoice.pbd_deliverable_ids

    def test_stranger_with_the_invoice_link_gets_a_preview_without_secrets(self):
        self.assertEqual(self.deliverable.state, "locked")
        self.authenticate(None, None)
        response = self.url_open(
            self.deliverable._get_preview_url(self.invoice.access_token), allow_redirects=False
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertNotEqual(response.content, self.leaky_pdf)
        self.assertPreviewLeaksNothing(response.content, pages=3)
