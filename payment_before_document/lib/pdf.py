"""PDF work on deliverables, in plain Python (no ORM).

- :func:`inspect_pdf` tells whether bytes are a readable PDF and how many
  pages it has, or why it cannot be read (encrypted, corrupt, empty);
- :func:`make_preview` builds the preview shown on the portal while a
  deliverable is locked: a *new* PDF made of the first pages of the original,
  each stamped with a watermark. The original is never modified.
"""

from dataclasses import dataclass
import io
import logging

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError, PyPdfError

_logger = logging.getLogger(__name__)

PDF_MIMETYPE = "application/pdf"
PDF_MAGIC = b"%PDF-"

# Reasons a PDF gets no preview; the model turns them into translated text.
REASON_EMPTY = "empty"
REASON_ENCRYPTED = "encrypted"
REASON_CORRUPT = "corrupt"
REASON_NOT_PDF = "not_pdf"


@dataclass(frozen=True)
class PdfInfo:
    page_count: int = 0
    problem: str = ""  # one of the REASON_* constants, or "" when readable

    @property
    def readable(self):
        return not self.problem


def looks_like_pdf(data):
    """True when the first bytes carry the PDF signature (within 1 KiB)."""
    return PDF_MAGIC in (data or b"")[:1024]


def _reader(data):
    return PdfReader(io.BytesIO(data), strict=False)


def inspect_pdf(data):
    """Return a :class:`PdfInfo` for ``data`` without ever raising."""
    if not data:
        return PdfInfo(problem=REASON_EMPTY)
    if not looks_like_pdf(data):
        return PdfInfo(problem=REASON_NOT_PDF)
    try:
        reader = _reader(data)
        if reader.is_encrypted:
            return PdfInfo(problem=REASON_ENCRYPTED)
        count = len(reader.pages)
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        _logger.info("Unreadable PDF: %s", exc.__class__.__name__)
        return PdfInfo(problem=REASON_CORRUPT)
    if not count:
        return PdfInfo(problem=REASON_CORRUPT)
    return PdfInfo(page_count=count)


def _watermark_page(width, height, text):
    """A one-page PDF of the given size carrying ``text`` diagonally."""
    # reportlab ships with Odoo (its own requirements); imported lazily so the
    # module's pure helpers stay importable without it.
    from reportlab.lib.colors import Color  # noqa: PLC0415
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setFillColor(Color(0.75, 0.1, 0.1, alpha=0.35))
    size = max(min(width, height) / 14.0, 10)
    pdf.setFont("Helvetica-Bold", size)
    pdf.translate(width / 2.0, height / 2.0)
    pdf.rotate(35)
    step = size * 4
    for offset in (-2, -1, 0, 1, 2):
        pdf.drawCentredString(0, offset * step, text)
    pdf.showPage()
    pdf.save()
    return PdfReader(io.BytesIO(buffer.getvalue())).pages[0]


def make_preview(data, pages=1, watermark="PREVIEW"):
    """Return the bytes of a watermarked PDF of the first ``pages`` pages.

    Raises ``ValueError`` when ``data`` cannot be previewed; callers check
    :func:`inspect_pdf` first to get the reason.
    """
    info = inspect_pdf(data)
    if not info.readable:
        raise ValueError(info.problem)
    reader = _reader(data)
    writer = PdfWriter()
    for page in reader.pages[: max(int(pages or 1), 1)]:
        box = page.mediabox
        stamp = _watermark_page(float(box.width), float(box.height), watermark or "")
        new_page = writer.add_page(page)
        new_page.merge_page(stamp, over=True)
        # Annotations (links, form fields) of the original are not carried over.
        if "/Annots" in new_page:
            del new_page["/Annots"]
    writer.add_metadata({"/Title": watermark or "", "/Producer": "payment_before_document"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
