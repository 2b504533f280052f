"""Helpers shared by the module's tests (and by later issues' tests).

- :class:`PbdTestMixin` builds a portal client with invoices and deliverables,
  pays, unpays and reverses invoices the way the accountant would;
- :func:`make_pdf` and friends make real PDFs (readable, encrypted, corrupt).
"""

import base64
import io

from pypdf import PdfWriter

from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon, AccountTestInvoicingHttpCommon


def make_pdf(pages=3, text="Deliverable page"):
    """A real PDF of ``pages`` A4 pages, each with a line of text."""
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        pdf.drawString(72, 760, f"{text} {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_encrypted_pdf(password="secret"):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_corrupt_pdf():
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> garbage\n%%EOF"


def b64(data):
    return base64.b64encode(data)


class PbdTestMixin:
    """Set-up of a firm, its portal client and invoices with deliverables."""

    @classmethod
    def _pbd_setup(cls):
        cls.company = cls.company_data["company"]
        cls.env.user.company_ids |= cls.company
        cls.client_company = cls.env["res.partner"].create(
            {"name": "Lefèvre Architectes", "is_company": True, "email": "contact@lefevre.example.com"}
        )
        cls.client_contact = cls.env["res.partner"].create(
            {
                "name": "Claire Lefèvre",
                "parent_id": cls.client_company.id,
                "email": "claire@lefevre.example.com",
            }
        )
        cls.portal_user = cls._pbd_portal_user("pbd_client", cls.client_contact)
        cls.other_partner = cls.env["res.partner"].create(
            {"name": "Other Client", "is_company": True, "email": "other@client.example.com"}
        )
        cls.other_portal_user = cls._pbd_portal_user("pbd_other", cls.other_partner)
        cls.pdf_bytes = make_pdf(pages=4)

    @classmethod
    def _pbd_portal_user(cls, login, partner):
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": login,
                    "password": login,
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "company_ids": [Command.set(cls.company.ids)],
                    "groups_id": [Command.set(cls.env.ref("base.group_portal").ids)],
                }
            )
        )

    @classmethod
    def _pbd_invoice(cls, partner=None, amount=1000.0, deliverables=None, post=True):
        """A customer invoice (without taxes) and its deliverables.

        ``deliverables`` is a list of dicts of values for
        ``account.move.deliverable``; ``file`` may be given as raw bytes.
        """
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or cls.client_company).id,
                "invoice_date": "2026-11-01",
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Engineering study", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        for values in [{"name": "Report"}] if deliverables is None else deliverables:
            values = dict(values)
            raw = values.pop("file", cls.pdf_bytes)
            values.setdefault("file_name", "report.pdf")
            cls.env["account.move.deliverable"].create(dict(values, move_id=invoice.id, file=b64(raw)))
        if post:
            invoice.action_post()
        return invoice

    @classmethod
    def _pbd_pay(cls, invoice, amount=None):
        """Register a payment on the invoice as the accountant does."""
        values = {"amount": amount} if amount is not None else {}
        if amount is not None:
            values["payment_difference_handling"] = "open"
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(values)
            ._create_payments()
        )


class PbdTestCommon(PbdTestMixin, AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_setup()


class PbdHttpTestCommon(PbdTestMixin, AccountTestInvoicingHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_setup()
