"""PDF work on deliverables, in plain Python (no ORM).

- :func:`inspect_pdf` tells whether bytes are a readable PDF and how many
  pages it has, or why it cannot be read (encrypted, corrupt, empty);
- :func:`make_preview` builds the preview shown on the portal while a
  deliverable is locked: a *new* PDF made of pictures of the first pages of
  the original, each stamped with a watermark. The original is never
  modified.

Why pictures. A preview that copies page objects out of the original (what
pypdf's ``add_page`` does) copies whatever they point at: link annotations
and their destinations (other pages), shared resource dictionaries (fonts,
images and Form XObjects of every page), form fields. Removing ``/Annots``
afterwards does not take the copied objects out of the file, so the text of
pages the preview does not show could be read from it. Rendering the pages
to bitmaps and building a PDF of those bitmaps only cannot leak by
construction: the preview holds pixels, a watermark and metadata written
here (Title = the watermark text, Producer = payment_before_document, dates) —
no text, annotation, outline, named destination, form field, embedded file,
JavaScript, Info or XMP metadata of the original.

Why pypdfium2 (PDFium, Chromium's PDF engine) rather than poppler's
``pdftoppm``: pypdfium2 is a wheel on PyPI that bundles its own PDFium
build, so ``pip install`` is all a server needs, where pdftoppm comes from
poppler-utils, a system package; it renders in-process from the bytes
already in memory (PDFium reads them in place, without a copy), where
pdftoppm is a subprocess per preview, fed through a pipe or a temporary
file, whose images must be read back and parsed. PDFium reads the
cross-reference table when it opens a document and parses a page's objects
when that page is loaded, so picturing page 1 of a 100-page file does not
parse the other 99 (``make bench SCENARIO=preview_make``). PDFium is not
thread-safe and Odoo serves requests in threads: every call into it holds
:data:`_PDFIUM_LOCK`.

Files pypdf reads but PDFium cannot open raise ``ValueError`` like any other
unreadable file.
"""

from dataclasses import dataclass
import functools
import io
import logging
import math
import os
import threading

from pypdf import PdfReader
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
    # Through a BufferedReader: pypdf sizes a BytesIO with getbuffer(), which
    # makes the BytesIO copy the whole file (20 MB read, 20 MB more memory).
    return PdfReader(io.BufferedReader(io.BytesIO(data)), strict=False)


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


# Preview pictures: ~110 dpi reads well on screen; the caps bound the memory
# a page of any size can take (a 200 x 200 inch page renders at the caps).
PREVIEW_DPI = 110
MAX_SIDE_PX = 2600
MAX_PIXELS = 3_000_000
JPEG_QUALITY = 80
WATERMARK_RGB = (191, 26, 26)  # semi-transparent red, as in earlier previews
WATERMARK_OPACITY = 0.35
WATERMARK_ANGLE = 35
WATERMARK_MAX_CHARS = 200  # a company's text, drawn once per row: bounded
PRODUCER = "payment_before_document"

# PDFium is not thread-safe; Odoo serves requests in threads.
_PDFIUM_LOCK = threading.Lock()

# TrueType fonts for the watermark, first found wins: DejaVu (Debian's
# fonts-dejavu-core, wide coverage), then Bitstream Vera, which reportlab (an
# Odoo requirement) always ships; Pillow's own bitmap font as a last resort.
_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
)


@functools.lru_cache(maxsize=1)
def _font_path():
    import reportlab  # noqa: PLC0415 - an Odoo requirement, loaded when a preview is made

    vera = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "VeraBd.ttf")
    return next((path for path in (*_FONT_PATHS, vera) if os.path.isfile(path)), None)


def _text_mask(text, size):
    """An ``L`` image of ``text`` about ``size`` pixels high (white on black)."""
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415

    path = _font_path()
    font = None
    if path:
        try:
            font = ImageFont.truetype(path, size)
        except OSError:
            font = None
    bitmap_font = font is None
    if bitmap_font:
        font = ImageFont.load_default()
        text = text.encode("latin-1", "replace").decode("latin-1")  # all that font can draw
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    mask = Image.new("L", (max(right - left, 1) + 2, max(bottom - top, 1) + 2), 0)
    ImageDraw.Draw(mask).text((1 - left, 1 - top), text, font=font, fill=255)
    if bitmap_font:  # a tiny fixed-size font: scale the picture of the text up
        ratio = size / mask.height
        mask = mask.resize((max(int(mask.width * ratio), 1), size), Image.Resampling.BILINEAR)
    return mask


def _watermark(image, text):
    """Stamp ``text`` on the RGB ``image``: diagonal rows covering the page."""
    from PIL import Image  # noqa: PLC0415

    text = (text or "").strip()[:WATERMARK_MAX_CHARS]
    if not text:
        return image
    width, height = image.size
    size = max(int(min(width, height) / 14), 10)
    mask = _text_mask(text, size)
    # Rows of the text on a square as large as the page's diagonal, rotated,
    # then cropped to the page: the text covers the page whatever its shape.
    side = int(math.hypot(width, height)) + 2
    tile = Image.new("L", (side, side), 0)
    gap = size * 2
    period = mask.width + gap
    step = size * 4
    rows = side // step + 1
    for row in range(-rows, rows + 1):
        y = side // 2 + row * step - mask.height // 2
        if y + mask.height < 0 or y > side:
            continue
        x = side // 2 - mask.width // 2 + (period // 2 if row % 2 else 0)
        x -= (x // period + 1) * period
        while x < side:
            tile.paste(mask, (x, y))
            x += period
    tile = tile.rotate(WATERMARK_ANGLE, resample=Image.Resampling.BILINEAR)
    left, top = (side - width) // 2, (side - height) // 2
    alpha = tile.crop((left, top, left + width, top + height)).point(
        [round(value * WATERMARK_OPACITY) for value in range(256)]
    )
    image.paste(WATERMARK_RGB, (0, 0, width, height), alpha)
    return image


def _page_scale(width, height):
    """Pixels per PDF unit for a page of ``width`` x ``height`` points:
    :data:`PREVIEW_DPI`, lower for pages too large for the pixel caps."""
    if not (width > 0 and height > 0):
        raise ValueError(REASON_CORRUPT)
    return min(
        PREVIEW_DPI / 72.0,
        MAX_SIDE_PX / max(width, height),
        math.sqrt(MAX_PIXELS / (width * height)),
    )


def _render_pages(data, count):
    """RGB pictures of the first ``count`` pages."""
    import pypdfium2 as pdfium  # noqa: PLC0415

    images = []
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise ValueError(REASON_CORRUPT) from exc
        try:
            # Filled form fields show on the pictures as a viewer shows them.
            document.init_forms()
            for index in range(min(count, len(document))):
                page = document.get_page(index)
                try:
                    bitmap = page.render(
                        scale=_page_scale(*page.get_size()),
                        may_draw_forms=True,
                        fill_color=(255, 255, 255, 255),
                        rev_byteorder=True,
                    )
                    try:
                        images.append(bitmap.to_pil().convert("RGB"))
                    finally:
                        bitmap.close()
                finally:
                    page.close()
        except pdfium.PdfiumError as exc:
            raise ValueError(REASON_CORRUPT) from exc
        finally:
            document.close()
    return images


def make_preview(data, pages=1, watermark="PREVIEW"):
    """Return the bytes of a watermarked PDF of the first ``pages`` pages.

    The pages are pictures (see the module's docstring): nothing else of the
    original is in the result. Raises ``ValueError`` when ``data`` cannot be
    previewed; callers check :func:`inspect_pdf` first to get the reason.
    """
    info = inspect_pdf(data)
    if not info.readable:
        raise ValueError(info.problem)
    count = min(max(int(pages or 1), 1), info.page_count)
    images = _render_pages(data, count)
    if not images:
        raise ValueError(REASON_CORRUPT)
    for image in images:
        _watermark(image, watermark)
    out = io.BytesIO()
    images[0].save(
        out,
        "PDF",
        save_all=True,
        append_images=images[1:],
        # Pages keep their size in the preview, except those the caps shrank.
        resolution=float(PREVIEW_DPI),
        quality=JPEG_QUALITY,
        title=watermark or "",
        producer=PRODUCER,
    )
    return out.getvalue()
