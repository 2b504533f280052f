"""A PDF built to leak, and a scanner that finds what a file carries.

:func:`make_leaky_pdf` builds a multi-page report whose first page is a table
of contents linking to the later pages, the way real reports are made, with
everything an attacker could pull out of a preview that copies page 1: each
place carries its own secret string (:data:`SECRETS`), none of which is
visible on page 1.

:func:`find_secrets` looks for those strings everywhere in a file: the raw
bytes, every stream of every ``N G obj`` found in the bytes (referenced or
not) decoded with its filters, every object pypdf reaches through the
cross-reference table, and the text pypdf extracts from every page; in
plain, hex and UTF-16 spellings.
"""

import base64
import binascii
import io
import re
import zlib

from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link, Text
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

# Visible on page 1: a preview shows it, as pixels only.
PAGE_ONE_TEXT = "PAGE-ONE-VISIBLE"

SECRETS = {
    "page_2_text": "SECRET-P2-TEXT",
    "page_3_text": "SECRET-P3-TEXT",
    "page_4_text": "SECRET-P4-TEXT",
    "link_contents": "SECRET-LINK-CONTENTS",
    "page_2_annotation": "SECRET-P2-ANNOTATION",
    "outline": "SECRET-OUTLINE",
    "named_destination": "SECRET-NAMED-DEST",
    "shared_form_xobject": "SECRET-P4-FORM-XOBJECT",
    "shared_image_bytes": "SECRET-P3-IMAGE-BYTES",
    "form_field_value": "SECRET-P3-FIELD-VALUE",
    "embedded_file_name": "SECRET-EMBEDDED-NAME",
    "embedded_file_data": "SECRET-EMBEDDED-DATA",
    "javascript_names": "SECRET-JS-NAMES",
    "javascript_open_action": "SECRET-JS-OPENACTION",
    "info_title": "SECRET-INFO-TITLE",
    "info_author": "SECRET-INFO-AUTHOR",
    "xmp": "SECRET-XMP",
}


def make_leaky_pdf(pages=4):
    """The bytes of a ``pages``-page A4 report (``pages`` >= 4) laid out to leak."""
    from PIL import Image  # noqa: PLC0415
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.lib.utils import ImageReader  # noqa: PLC0415
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    assert pages >= 4, "the secrets live on pages 2 to 4"
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    # A Form XObject drawn on page 4 only.
    pdf.beginForm("Shared")
    pdf.drawString(72, 200, SECRETS["shared_form_xobject"])
    pdf.endForm()
    # A logo drawn on pages 1 and 2: one image XObject shared by both pages.
    logo = ImageReader(Image.new("RGB", (40, 40), (20, 60, 160)))
    pdf.setFont("Helvetica-Bold", 28)
    pdf.drawString(72, 740, PAGE_ONE_TEXT)
    pdf.setFont("Helvetica", 14)
    pdf.drawString(72, 700, "Table of contents")
    for number in range(2, pages + 1):
        pdf.drawString(90, 700 - 24 * (number - 1), f"Chapter {number} ........ page {number}")
    pdf.drawImage(logo, 480, 760, 40, 40)
    pdf.showPage()
    for number in range(2, pages + 1):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, 760, f"Chapter {number}")
        if number <= 4:
            pdf.drawString(72, 730, SECRETS[f"page_{number}_text"])
        if number == 2:
            pdf.drawImage(logo, 480, 760, 40, 40)
        if number == 3:
            pdf.acroForm.textfield(
                name="conclusion",
                value=SECRETS["form_field_value"],
                x=72,
                y=600,
                width=300,
                height=24,
            )
        if number == 4:
            pdf.doForm("Shared")
        pdf.showPage()
    pdf.save()

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    _share_resources(writer)
    # Page 1's table of contents: explicit page destinations.
    for number in range(2, pages + 1):
        top = 700 - 24 * (number - 1)
        link = Link(rect=(88, top - 4, 360, top + 14), target_page_index=number - 1)
        link[NameObject("/Contents")] = TextStringObject(SECRETS["link_contents"])
        writer.add_annotation(page_number=0, annotation=link)
    writer.add_annotation(
        page_number=1, annotation=Text(rect=(400, 700, 420, 720), text=SECRETS["page_2_annotation"])
    )
    writer.add_outline_item(title=SECRETS["outline"], page_number=1)
    writer.add_named_destination(title=SECRETS["named_destination"], page_number=2)
    writer.add_attachment(f"{SECRETS['embedded_file_name']}.txt", SECRETS["embedded_file_data"].encode())
    _add_javascript(writer)
    writer.add_metadata({"/Title": SECRETS["info_title"], "/Author": SECRETS["info_author"]})
    _add_xmp(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _share_resources(writer):
    """One resource dictionary for every page, as many producers write them:
    it names every page's fonts and XObjects, and an image drawn on page 3
    whose pixels spell a secret."""
    image = StreamObject()
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(len(SECRETS["shared_image_bytes"])),
            NameObject("/Height"): NumberObject(1),
            NameObject("/ColorSpace"): NameObject("/DeviceGray"),
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/FlateDecode"),
        }
    )
    image.set_data(zlib.compress(SECRETS["shared_image_bytes"].encode()))
    shared = DictionaryObject({NameObject("/XObject"): DictionaryObject()})
    shared["/XObject"][NameObject("/ImSecret")] = writer._add_object(image)
    for page in writer.pages:
        resources = page["/Resources"].get_object()
        for key, value in resources.items():
            if isinstance(value.get_object(), DictionaryObject):
                target = shared.setdefault(NameObject(key), DictionaryObject())
                target.update(value.get_object())
            else:
                shared[NameObject(key)] = value
    shared_ref = writer._add_object(shared)
    for page in writer.pages:
        page[NameObject("/Resources")] = shared_ref
    page_3 = writer.pages[2]
    drawing = DecodedStreamObject()
    drawing.set_data(b"q 300 0 0 20 72 400 cm /ImSecret Do Q")
    contents = page_3.raw_get("/Contents")
    page_3[NameObject("/Contents")] = ArrayObject(
        [*(contents if isinstance(contents, ArrayObject) else [contents]), writer._add_object(drawing)]
    )


def _add_javascript(writer):
    def action(code):
        return DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Action"),
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject(code),
            }
        )

    root = writer.root_object
    names = root.setdefault(NameObject("/Names"), DictionaryObject()).get_object()
    names[NameObject("/JavaScript")] = DictionaryObject(
        {
            NameObject("/Names"): ArrayObject(
                [
                    TextStringObject("pbd"),
                    writer._add_object(action(f"app.alert('{SECRETS['javascript_names']}');")),
                ]
            )
        }
    )
    root[NameObject("/OpenAction")] = writer._add_object(
        action(f"app.alert('{SECRETS['javascript_open_action']}');")
    )


def _add_xmp(writer):
    xmp = DecodedStreamObject()
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    xmp.set_data(
        (
            '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:description>{SECRETS['xmp']}</dc:description>"
            '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
        ).encode()
    )
    writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)


# ----------------------------------------------------------------------
# Scanning a file for the secrets
# ----------------------------------------------------------------------
_STREAM_RE = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_OBJ_RE = re.compile(rb"\d+\s+\d+\s+obj\b")
_FILTER_RE = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")


def _decode_filters(head, body):
    """``body`` decoded with the filters its dictionary ``head`` names (best effort)."""
    found = _FILTER_RE.search(head)
    names = re.findall(rb"/([A-Za-z0-9]+)", found.group(1)) if found else []
    data = body
    for name in names:
        try:
            if name in (b"FlateDecode", b"Fl"):
                data = zlib.decompressobj().decompress(data)
            elif name in (b"ASCII85Decode", b"A85"):
                text = re.sub(rb"\s", b"", data)
                text = text[2:] if text.startswith(b"<~") else text
                data = base64.a85decode(text.split(b"~>")[0])
            elif name in (b"ASCIIHexDecode", b"AHx"):
                text = re.sub(rb"\s", b"", data).split(b">")[0]
                data = binascii.unhexlify(text + b"0" * (len(text) % 2))
            else:  # images (DCT, JPX, CCITT...) stay as they are
                break
        except (ValueError, zlib.error, binascii.Error):
            break
    return data


def raw_payloads(data):
    """The raw bytes, then every stream found in them (whether or not any
    object or cross-reference table points at it), decoded."""
    yield data
    for match in _STREAM_RE.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            continue
        objects = list(_OBJ_RE.finditer(data, 0, match.start()))
        head = data[objects[-1].start() if objects else max(0, match.start() - 4096) : match.start()]
        body = data[start:end]
        yield _decode_filters(head, body)
        # Whatever the dictionary says, a zlib stream is read as one too.
        yield _attempt(zlib.decompressobj().decompress, body) or b""


def _attempt(func, *args):
    """``func(*args)``, or None when pypdf gives up on a damaged object."""
    try:
        return func(*args)
    except Exception:  # noqa: BLE001 - the raw scan covers what pypdf cannot read
        return None


def structural_payloads(data):
    """What pypdf reads: every object of the cross-reference table (streams
    decoded, strings unescaped) and the text of every page."""
    reader = _attempt(PdfReader, io.BytesIO(data), False)
    if reader is None:
        return
    for number in range(1, int(_attempt(lambda: reader.trailer.get("/Size", 0)) or 0)):
        obj = _attempt(reader.get_object, number)
        if obj is None:
            continue
        yield repr(obj).encode("utf-8", "replace")
        if isinstance(obj, StreamObject):
            yield _attempt(obj.get_data) or b""
    for page in reader.pages:
        yield (_attempt(page.extract_text) or "").encode("utf-8", "replace")


def _spellings(secret):
    plain = secret.encode("ascii")
    utf16 = secret.encode("utf-16-be")
    return (
        plain,
        utf16,
        binascii.hexlify(plain),
        binascii.hexlify(plain).upper(),
        binascii.hexlify(utf16),
        binascii.hexlify(utf16).upper(),
    )


def find_secrets(data, secrets=None):
    """The keys of :data:`SECRETS` (or of ``secrets``) whose string appears
    anywhere in the PDF ``data``."""
    secrets = SECRETS if secrets is None else secrets
    payloads = [*raw_payloads(data), *structural_payloads(data)]
    return {
        key
        for key, secret in secrets.items()
        if any(spelling in payload for payload in payloads for spelling in _spellings(secret))
    }
