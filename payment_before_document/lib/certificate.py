"""Signature certificates, in plain Python (no ORM).

- :func:`certificate_pdf` draws the certificate page(s) with reportlab from
  the evidence of one signature (labels come translated from the caller);
- :func:`append_certificate` appends them to the signed document as a PDF
  *incremental update*: the signed file starts with the original's exact
  bytes, so anyone can check that the document was not altered, and the
  work is proportional to the certificate, not to the document;
- :func:`sha256_file` hashes by chunks, never loading a large file whole.
"""

from dataclasses import dataclass
import hashlib
import io

from pypdf import PdfReader, PdfWriter

CHUNK = 1024 * 1024


def sha256_file(fileobj) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# The labels certificate_pdf() expects, translated by the caller.
LABEL_KEYS = (
    "title",
    "intro",
    "reference",
    "document",
    "sha256_before",
    "company",
    "signer",
    "phone",
    "phone_on_file",
    "purpose",
    "code_sent_at",
    "code_verified_at",
    "signed_at",
    "ip_address",
    "user_agent",
    "consent_version",
    "anchor_row_hash",
    "chain_head_hash",
    "consent",
    "footer",
)


@dataclass(frozen=True)
class Evidence:
    reference: str
    document_name: str
    document_sha256: str
    company_name: str
    signer_name: str
    signer_phone_masked: str
    purpose: str
    consent_version: str
    consent_text: str
    code_sent_at: str  # ISO 8601, UTC
    code_verified_at: str
    signed_at: str
    ip_address: str
    user_agent: str
    phone_on_file: str = ""  # since when and by whom the number was on file
    anchor_row_hash: str = ""  # the signing row of the evidence log
    chain_head_hash: str = ""  # the log's head when it was signed


def certificate_pdf(evidence: Evidence, labels: dict) -> bytes:
    """The certificate as a one-page PDF (A4)."""
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.lib.styles import getSampleStyleSheet  # noqa: PLC0415
    from reportlab.lib.units import mm  # noqa: PLC0415
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # noqa: PLC0415

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("pbd_small", fontSize=8, leading=10)

    def cell(text):
        # The standard PDF fonts have no bullet: a masked number's "•" is printed "*".
        text = (text or "").replace("\u2022", "*")
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), small)

    rows = [
        (labels["reference"], evidence.reference),
        (labels["document"], evidence.document_name),
        (labels["sha256_before"], evidence.document_sha256),
        (labels["company"], evidence.company_name),
        (labels["signer"], evidence.signer_name),
        (labels["phone"], evidence.signer_phone_masked),
        (labels.get("phone_on_file", ""), evidence.phone_on_file),
        (labels["purpose"], evidence.purpose),
        (labels["code_sent_at"], evidence.code_sent_at),
        (labels["code_verified_at"], evidence.code_verified_at),
        (labels["signed_at"], evidence.signed_at),
        (labels["ip_address"], evidence.ip_address),
        (labels["user_agent"], evidence.user_agent),
        (labels["consent_version"], evidence.consent_version),
        (labels.get("anchor_row_hash", ""), evidence.anchor_row_hash),
        (labels.get("chain_head_hash", ""), evidence.chain_head_hash),
    ]
    # What a signature before release does not show (no IP, no browser): no empty line either.
    rows = [(label, value) for label, value in rows if value or label in (labels["signer"], labels["phone"])]
    table = Table([[cell(k), cell(v)] for k, v in rows], colWidths=[50 * mm, 120 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, (0.6, 0.6, 0.6)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), (0.94, 0.94, 0.94)),
            ]
        )
    )
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=labels["title"], author=evidence.company_name)
    doc.build(
        [
            Paragraph(labels["title"], styles["Title"]),
            Paragraph(labels["intro"], styles["BodyText"]),
            Spacer(1, 6 * mm),
            table,
            Spacer(1, 6 * mm),
            Paragraph(labels["consent"], styles["Heading4"]),
            Paragraph(evidence.consent_text, small),
            Spacer(1, 4 * mm),
            Paragraph(labels["footer"], small),
        ]
    )
    return out.getvalue()


def append_certificate(source, certificate: bytes, target) -> None:
    """Write ``source`` (a binary file object) followed by ``certificate``'s
    pages into ``target``, as an incremental update of ``source``.

    Raises ``ValueError`` when ``source`` is not a readable, unencrypted PDF.
    """
    try:
        reader = PdfReader(source, strict=False)
        if reader.is_encrypted:
            raise ValueError("encrypted")
        writer = PdfWriter(reader, incremental=True)
        for page in PdfReader(io.BytesIO(certificate)).pages:
            writer.add_page(page)
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError("corrupt") from exc
    writer.write(target)
