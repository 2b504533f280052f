"""Helpers shared by the module's tests (and by later issues' tests).

- :class:`PbdTestMixin` builds a portal client with invoices and deliverables,
  pays, unpays and reverses invoices the way the accountant would;
- :class:`PbdRealCursorMixin` is the scene of the tests that commit (races
  between real connections), with the clean-up of what they made;
- :func:`make_pdf` and friends make real PDFs (readable, encrypted, corrupt).
"""

import base64
from contextlib import contextmanager
from datetime import timedelta
import io
import itertools

from pypdf import PdfWriter

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import get_db_name
from odoo.tools import SQL

from odoo.addons.account.tests.common import AccountTestInvoicingCommon, AccountTestInvoicingHttpCommon

from . import fake_transport as ft

STRIPE_WEBHOOK_SECRET = "whsec_pbd_test_secret"


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
    def _pbd_invoice(cls, partner=None, amount=1000.0, deliverables=None, post=True, **invoice_values):
        """A customer invoice (without taxes) and its deliverables.

        ``deliverables`` is a list of dicts of values for
        ``pbd.deliverable``; ``file`` may be given as raw bytes.
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
                **invoice_values,
            }
        )
        for values in [{"name": "Report"}] if deliverables is None else deliverables:
            values = dict(values)
            raw = values.pop("file", cls.pdf_bytes)
            values.setdefault("file_name", "report.pdf")
            cls.env["pbd.deliverable"].create(dict(values, move_id=invoice.id, file=b64(raw)))
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


class PbdStripeMixin:
    """A Stripe provider for the firm; Stripe's API answered at the HTTP layer.

    Odoo blocks outgoing HTTP in tests through ``_request_handler``: requests
    to api.stripe.com are answered there by :attr:`stripe_api` (a
    :class:`~.fake_transport.FakeHttpSession`), so the stripe library and
    Odoo's own Stripe code run for real. ``stripe_intents`` holds what Stripe
    says about each PaymentIntent.
    """

    stripe_api = None
    _pbd_tx_counter = itertools.count(1)

    @classmethod
    def _pbd_stripe_setup(cls):
        base = cls.env.ref("payment.payment_provider_stripe").sudo()
        provider = base if base.company_id == cls.company else base.copy({"company_id": cls.company.id})
        card = cls.env.ref("payment.payment_method_card").sudo()
        provider.write(
            {
                "state": "test",
                "is_published": True,
                "payment_method_ids": [Command.set(card.ids)],
                "stripe_secret_key": "sk_test_pbd",
                "stripe_publishable_key": "pk_test_pbd",
                "stripe_webhook_secret": STRIPE_WEBHOOK_SECRET,
                "journal_id": cls.company_data["default_journal_bank"].id,
            }
        )
        card.active = True
        cls.stripe_provider = provider
        cls.card_method = cls.env.ref("payment.payment_method_card")
        cls.stripe_intents = ft.StripeIntents()
        cls.stripe_api = ft.FakeHttpSession().add(ft.STRIPE_PAYMENT_INTENT, cls.stripe_intents)

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        if cls.stripe_api is not None and r.url.startswith("https://api.stripe.com/"):
            return cls.stripe_api.send(r, **kw)
        return super()._request_handler(s, r, **kw)

    def _pbd_stripe_reset(self):
        self.stripe_api.calls.clear()
        self.stripe_intents.intents.clear()

    def _pbd_paying_client(self):
        """Stripe as new, and a 1,200 invoice whose document waits for a card payment still pending."""
        self._pbd_stripe_reset()
        self.invoice = self._pbd_invoice(amount=1200.0)
        self.deliverable = self.invoice.pbd_deliverable_ids
        self.tx = self._pbd_stripe_tx(self.invoice)

    def _pbd_stripe_tx(self, invoice, state="pending", amount=None, age_minutes=30, **values):
        """A Stripe card transaction for ``invoice``, as if created ``age_minutes`` ago.

        Its PaymentIntent id is ``pi_<reference>`` and Stripe knows it as
        still processing until the test says otherwise.
        """
        number = next(self._pbd_tx_counter)
        reference = f"{invoice.name}-T{number}"
        intent_id = f"pi_pbd{number:06d}"
        amount = invoice.amount_residual if amount is None else amount
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.stripe_provider.id,
                    "payment_method_id": self.card_method.id,
                    "amount": amount,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": invoice.partner_id.id,
                    "reference": reference,
                    "operation": "online_direct",
                    "invoice_ids": [Command.set(invoice.ids)],
                    "provider_reference": intent_id,
                    "state": state,
                    **values,
                }
            )
        )
        self.stripe_intents.set(
            intent_id,
            status="processing",
            amount=round(amount * 100),
            currency=invoice.currency_id.name.lower(),
            description=reference,
        )
        self._pbd_age(tx, minutes=age_minutes)
        return tx

    def _pbd_age(self, transactions, **delta):
        """Set the transactions' creation date to ``delta`` ago."""
        transactions.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE payment_transaction SET create_date = %s WHERE id IN %s",
                fields.Datetime.now() - timedelta(**delta),
                tuple(transactions.ids),
            )
        )
        transactions.invalidate_recordset(["create_date"])


class PbdTwilioMixin:
    """The firm sends its SMS via Twilio (Odoo's SMS settings); Twilio answered at HTTP.

    Requests to api.twilio.com are answered through Odoo's ``_request_handler``
    by :attr:`twilio_api` (a :class:`~.fake_transport.FakeHttpSession`): the
    ``twilio`` library that sends signature codes and Odoo's own ``sms_twilio``
    that sends every other SMS run for real, and the test sees their requests.
    """

    twilio_api = None
    TWILIO_SID = "AC" + "1" * 32
    TWILIO_TOKEN = "twilio-secret-token"
    TWILIO_FROM_FR = "+33700000000"
    TWILIO_FROM_BE = "+32460000000"

    @classmethod
    def _pbd_twilio_setup(cls, company):
        """``company`` sends via Twilio: account, token, a French then a Belgian number."""
        company.sudo().write(
            {
                "sms_provider": "twilio",
                "sms_twilio_account_sid": cls.TWILIO_SID,
                "sms_twilio_auth_token": cls.TWILIO_TOKEN,
                "sms_twilio_number_ids": [
                    Command.clear(),
                    Command.create(
                        {"number": cls.TWILIO_FROM_FR, "country_id": cls.env.ref("base.fr").id, "sequence": 1}
                    ),
                    Command.create(
                        {"number": cls.TWILIO_FROM_BE, "country_id": cls.env.ref("base.be").id, "sequence": 2}
                    ),
                ],
            }
        )
        cls.twilio_api = ft.FakeHttpSession().add(ft.TWILIO_MESSAGES, ft.twilio_message_responder())

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        if cls.twilio_api is not None and r.url.startswith("https://api.twilio.com/"):
            return cls.twilio_api.send(r, **kw)
        return super()._request_handler(s, r, **kw)

    @contextmanager
    def _twilio(self, responder=None):
        """Twilio as new for the block; ``responder`` answers Messages.json (default: accepted)."""
        session = ft.FakeHttpSession().add(ft.TWILIO_MESSAGES, responder or ft.twilio_message_responder())
        previous = type(self).twilio_api
        type(self).twilio_api = session
        try:
            yield session
        finally:
            type(self).twilio_api = previous


class PbdMainCompanyMixin:
    """Run on the database's main company, which existed before the add-on was installed.

    Test classes otherwise work on a company they create, which gets every
    default of the add-on; a firm's own company got its settings at install.
    Its demo clients speak French: the language is activated as on the
    firm's database, and the demo's released documents count as notified.
    """

    @classmethod
    def setup_independent_company(cls, **kwargs):
        return None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        assert cls.company == cls.env.ref("base.main_company"), "the tests run on the main company"
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["pbd.deliverable"].search(
            [("state", "!=", "locked"), ("release_notified", "=", False)]
        ).release_notified = True


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


class PbdRealCursorMixin:
    """For tests that commit: each side of a race needs a connection of its own.

    As two Odoo workers have: :meth:`_env` is an environment on a cursor of
    its own, committed at the end of the block. What a test commits is
    recorded in ``created`` (ids by model) and removed when the class is
    done: first what the class itself made on the invoices
    (:meth:`_pbd_clean_up`, to override), then the invoices and partners.
    """

    @classmethod
    def _pbd_real_cursor_setup(cls, *models):
        """Open the registry for this class and the HTTP server's threads (as ``HttpCase`` does)."""
        cls.registry = Registry(get_db_name())
        cls.classPatch(Registry, "_lock", DummyRLock())
        cls.created = {model: [] for model in ("account.move", "res.partner", *models)}
        cls.addClassCleanup(cls._pbd_remove_what_was_created)

    @classmethod
    @contextmanager
    def _env(cls):
        """An environment on a connection of its own, committed at the end."""
        with cls.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    @classmethod
    def _pbd_clean_up(cls, env):
        """Remove what hangs on the created invoices, and put settings back (override)."""

    @classmethod
    def _pbd_remove_what_was_created(cls):
        with cls._env() as env:
            cls._pbd_clean_up(env)
            invoices = env["account.move"].browse(cls.created["account.move"]).exists()
            invoices.button_draft()
            invoices.with_context(force_delete=True).unlink()
            env["res.partner"].browse(cls.created["res.partner"]).exists().unlink()

    def _pbd_committed_invoice(self, env, partner, **deliverable_values):
        """A posted invoice of 900 for ``partner``, with one PDF deliverable "Report"; both recorded."""
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    Command.create({"name": "Study", "quantity": 1, "price_unit": 900.0, "tax_ids": []})
                ],
            }
        )
        env["pbd.deliverable"].create(
            {
                "move_id": invoice.id,
                "name": "Report",
                "file": b64(make_pdf(1)),
                "file_name": "report.pdf",
                **deliverable_values,
            }
        )
        invoice.action_post()
        self.created["res.partner"].append(partner.id)
        self.created["account.move"].append(invoice.id)
        return invoice
