"""Signing on the portal with a code sent by SMS.

On the main company (it existed before the add-on), set to "Send via Twilio"
in Odoo's SMS settings; Twilio is answered at the HTTP layer only.
"""

import base64
from datetime import timedelta
import hashlib
import io
import re

from pypdf import PdfReader

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from . import fake_transport as ft
from .common import (
    PbdHttpTestCommon,
    PbdMainCompanyMixin,
    PbdTwilioMixin,
    make_corrupt_pdf,
    make_encrypted_pdf,
)


@tagged("post_install", "-at_install")
class TestSignature(PbdTwilioMixin, PbdMainCompanyMixin, PbdHttpTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_twilio_setup(cls.company)
        cls.client_contact.mobile = "+33 6 12 34 56 78"
        cls.client_company.mobile = "+33 6 12 34 56 78"  # the invoice's contact signs: the number on file
        cls.client_company.country_id = cls.env.ref("base.fr")

    def setUp(self):
        super().setUp()
        self.invoice = self._pbd_invoice(
            deliverables=[{"name": "Report", "signature_requirement": "acknowledge"}]
        )
        self.deliverable = self.invoice.pbd_deliverable_ids
        self._pbd_pay(self.invoice)
        self.authenticate("pbd_client", "pbd_client")

    # helpers -----------------------------------------------------------
    def _csrf(self):
        page = self.url_open(self.deliverable._get_sign_url()).text
        return re.search(r'csrf_token: "([^"]+)"', page).group(1)

    def _ask_code(self, phone="06 12 34 56 78", name="Claire Lefèvre"):
        return self.url_open(
            f"/my/documents/{self.deliverable.id}/sign/code",
            data={"csrf_token": self._csrf(), "signer_name": name, "phone": phone},
        )

    def _confirm(self, code):
        return self.url_open(
            f"/my/documents/{self.deliverable.id}/sign/confirm",
            data={"csrf_token": self._csrf(), "code": code},
        )

    @staticmethod
    def _code(session):
        return re.search(r"\b(\d{6})\b", session.calls[-1].form["Body"]).group(1)

    def _request(self):
        return self.env["pbd.signature.request"].search([("deliverable_id", "=", self.deliverable.id)])

    # tests -------------------------------------------------------------
    def test_sign_then_download_certificate_and_signed_copy(self):
        with self._twilio() as session:
            page = self._ask_code().text
        self.assertIn("A code was sent to +33 6 •• •• •• 78", page)
        self.assertEqual(session.calls[-1].form["To"], "+33612345678")
        self.assertEqual(session.calls[-1].form["From"], self.TWILIO_FROM_FR, "Odoo's number for France")
        code = self._code(session)
        request = self._request()
        self.assertNotIn(code, request.sudo().code_digest or "", "only an HMAC is stored")
        page = self._confirm(code).text
        self.assertIn("o_pbd_signed", page)
        request.invalidate_recordset()
        self.assertEqual(request.state, "signed")
        self.assertEqual(request.document_sha256, self.deliverable.checksum)
        signed = self.url_open(f"/my/documents/{self.deliverable.id}/signature/signed").content
        self.assertTrue(signed.startswith(self.pdf_bytes), "the signed copy starts with the original bytes")
        self.assertEqual(len(PdfReader(io.BytesIO(signed)).pages), 5)
        certificate = self.url_open(f"/my/documents/{self.deliverable.id}/signature/certificate").content
        text = PdfReader(io.BytesIO(certificate)).pages[0].extract_text().replace("\n", " ")
        self.assertIn(self.deliverable.checksum, text.replace(" ", ""))
        self.assertIn("+33 6 ** ** ** 78", text)
        self.assertIn("127.0.0.1", text)
        ok, _broken, _count = self.env["pbd.evidence.log"]._verify_chain()
        self.assertTrue(ok)
        self.assertEqual(
            request.evidence_ids.mapped("event"),
            ["requested", "phone_on_file", "code_sent", "code_verified", "signed"],
        )
        self.assertTrue(request._check_signed_file())
        # The code cannot be used again.
        self.assertIn("already signed", self._confirm(code).text)

    def test_wrong_codes_then_locked_out(self):
        with self._twilio() as session:
            self._ask_code()
        good = self._code(session)
        wrong = f"{(int(good) + 1) % 1000000:06d}"
        for left in (4, 3, 2, 1, 0):
            self.assertIn(f"Wrong code. {left} tries left.", self._confirm(wrong).text)
        self.assertIn("Too many wrong codes", self._confirm(good).text, "even the right code is refused now")
        self.assertNotEqual(self._request().state, "signed")

    def test_expired_code(self):
        with self._twilio() as session:
            self._ask_code()
        self._request().sudo().code_issued_at = fields.Datetime.now() - timedelta(minutes=11)
        self.assertIn("This code has expired", self._confirm(self._code(session)).text)

    def test_three_sends_per_quarter_hour(self):
        with self._twilio() as session:
            for _n in range(3):
                self.assertIn("A code was sent", self._ask_code().text)
            self.assertIn("Too many codes were sent", self._ask_code().text)
        self.assertEqual(len(session.calls), 3)

    def test_daily_cap_per_number_across_requests(self):
        with self._twilio() as session:
            for _n in range(3):
                self._ask_code()
            # Other documents, same number: the cap counts every send to it.
            for index in range(3):
                other = self._pbd_invoice(
                    deliverables=[{"name": f"Other {index}", "signature_requirement": "acknowledge"}]
                ).pbd_deliverable_ids
                self._pbd_pay(other.move_id)
                for _n in range(3):
                    self.url_open(
                        f"/my/documents/{other.id}/sign/code",
                        data={"csrf_token": self._csrf(), "signer_name": "C", "phone": "06 12 34 56 78"},
                    )
            self.assertEqual(len(session.calls), 10)
            # A fresh request (no send of its own yet): only the daily cap stops it.
            fresh = self._pbd_invoice(
                deliverables=[{"name": "Fresh", "signature_requirement": "acknowledge"}]
            ).pbd_deliverable_ids
            self._pbd_pay(fresh.move_id)
            page = self.url_open(
                f"/my/documents/{fresh.id}/sign/code",
                data={"csrf_token": self._csrf(), "signer_name": "C", "phone": "06 12 34 56 78"},
            ).text
        self.assertIn("Too many codes were sent to this number today", page)
        self.assertEqual(len(session.calls), 10, "the eleventh send of the day is refused")

    def test_bad_numbers_and_no_provider_fail_closed(self):
        with self._twilio() as session:
            for on_file in ("04 72 00 00 00", "06 12"):  # a landline, a broken number
                self.client_company.mobile = on_file
                self.assertIn("No mobile number that can receive a code", self._ask_code().text)
            self.client_company.mobile = "+33 6 12 34 56 78"
            self.assertIn("Type your full name", self._ask_code(name=" ").text)
        self.assertFalse(session.calls)
        self.company.sudo().sms_provider = "iap"  # Odoo's SMS service: no code can be vouched for
        self.assertIn("no SMS provider", self._ask_code().text)
        self.assertIn("no SMS provider", self._confirm("123456").text)
        page = self.url_open(self.invoice.get_portal_url()).text
        self.assertNotRegex(page, r"\bo_pbd_sign\b", "no Sign button is offered without an SMS provider")

    def test_provider_refusal_means_no_signature(self):
        with self._twilio(lambda call: ft.twilio_error(21614, "not a mobile")):
            self.assertIn("could not be sent", self._ask_code().text)
        self.assertNotEqual(self._request().state, "code_sent")

    def test_document_changed_after_the_code(self):
        with self._twilio() as session:
            self._ask_code()
        # The firm cannot replace the file once a code was sent (a new version is needed).
        with self.assertRaisesRegex(ValidationError, "cannot be replaced"):
            self.deliverable.sudo().file = base64.b64encode(self.pdf_bytes + b"\n% changed")
        self.assertIn("o_pbd_signed", self._confirm(self._code(session)).text)

    def test_confirm_without_a_code(self):
        self.assertIn("Ask for a code first", self._confirm("123456").text)

    def test_what_cannot_be_signed_says_why(self):
        unpaid = self._pbd_invoice(deliverables=[{"name": "Locked", "signature_requirement": "approve"}])
        locked = unpaid.pbd_deliverable_ids
        page = self.url_open(locked._get_sign_url()).text
        self.assertIn("once the invoice is paid", page)
        before = self._pbd_invoice(
            deliverables=[
                {"name": "Quote", "signature_requirement": "approve", "signature_timing": "before_payment"}
            ]
        ).pbd_deliverable_ids
        self.assertFalse(before._pbd_signature_problem(), "approval before payment is offered while locked")
        sheet = self._pbd_invoice(
            deliverables=[
                {
                    "name": "Sheet",
                    "file": b"PK\x03\x04",
                    "file_name": "s.xlsx",
                    "signature_requirement": "approve",
                }
            ]
        ).pbd_deliverable_ids
        self._pbd_pay(sheet.move_id)
        self.assertIn("Only PDF documents can be signed", self.url_open(sheet._get_sign_url()).text)
        encrypted = self._pbd_invoice(
            deliverables=[{"name": "Enc", "file": make_encrypted_pdf(), "signature_requirement": "approve"}]
        ).pbd_deliverable_ids
        self._pbd_pay(encrypted.move_id)
        self.assertIn("encrypted or unreadable", self.url_open(encrypted._get_sign_url()).text)
        corrupt = self._pbd_invoice(
            deliverables=[{"name": "Bad", "file": make_corrupt_pdf(), "signature_requirement": "approve"}]
        ).pbd_deliverable_ids
        self._pbd_pay(corrupt.move_id)
        page = (
            self._csrf()
            and self.url_open(
                f"/my/documents/{corrupt.id}/sign/code",
                data={"csrf_token": self._csrf(), "signer_name": "C", "phone": "06 12 34 56 78"},
            ).text
        )
        self.assertIn("encrypted or unreadable", page, "refused at the request too, not only on the page")

    @mute_logger("odoo.http")
    def test_strangers_and_tampered_ids(self):
        self.authenticate("pbd_other", "pbd_other")
        for url in (
            self.deliverable._get_sign_url(),
            f"/my/documents/{self.deliverable.id}/signature/certificate",
            "/my/documents/999999/sign",
        ):
            response = self.url_open(url, allow_redirects=False)
            self.assertEqual(response.status_code, 303, url)
            self.assertTrue(response.headers["Location"].endswith("/my"), f"{url}: refused, to /my")
        self.authenticate(None, None)
        response = self.url_open(self.deliverable._get_sign_url("wrong-token"), allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my"), "a wrong token is refused, to /my")
        # Positive control: the invoice's own token opens the signing page.
        page = self.url_open(self.deliverable._get_sign_url(self.invoice._portal_ensure_token()))
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_pbd_sign_code_form", page.text)

    def test_evidence_log_is_append_only_and_verified(self):
        with self._twilio() as session:
            self._ask_code()
        self._confirm(self._code(session))
        rows = self._request().evidence_ids
        for env in (self.env, self.env(su=True)):
            with self.assertRaisesRegex(UserError, "The evidence log cannot be modified"):
                rows.with_env(env).write({"payload": "{}"})
            # Refused by the access rights first, and by the model even to the superuser.
            with self.assertRaisesRegex(UserError, "not allowed to delete|evidence log cannot be deleted"):
                rows.with_env(env).unlink()
            with self.assertRaisesRegex(UserError, "Evidence is only recorded by the signature process"):
                env["pbd.evidence.log"].create({"request_id": rows[0].request_id.id, "event": "signed"})
        self.assertEqual(self.env["pbd.evidence.log"].action_verify_chain()["params"]["type"], "success")
        # Someone edits a row behind the ORM's back: the chain says which one.
        self.env.cr.execute("UPDATE pbd_evidence_log SET payload = '{}' WHERE id = %s", [rows[1].id])
        ok, broken, _count = self.env["pbd.evidence.log"]._verify_chain()
        self.assertFalse(ok)
        self.assertEqual(broken, rows[1])
        self.assertEqual(self.env["pbd.evidence.log"].action_verify_chain()["params"]["type"], "danger")


@tagged("post_install", "-at_install")
class TestSignatureTour(PbdTwilioMixin, PbdMainCompanyMixin, PbdHttpTestCommon):
    def test_portal_signature_in_chromium(self):
        self._pbd_twilio_setup(self.company)
        self.client_company.country_id = self.env.ref("base.fr")
        self.client_company.mobile = "+33 6 12 34 56 78"
        invoice = self._pbd_invoice(deliverables=[{"name": "Survey", "signature_requirement": "acknowledge"}])
        deliverable = invoice.pbd_deliverable_ids
        self._pbd_pay(invoice)
        with self._twilio() as session:
            self.start_tour(invoice.get_portal_url(), "pbd_sign_request_code", login="pbd_client")
            self.assertEqual(len(session.calls), 1)
            self.assertEqual(session.calls[0].form["To"], "+33612345678")
            code = re.search(r"\b(\d{6})\b", session.calls[0].form["Body"]).group(1)
            self.start_tour(
                f"{deliverable._get_sign_url()}?pbd_test_code={code}", "pbd_sign_confirm", login="pbd_client"
            )
        sign_request = deliverable.signature_request_ids
        self.assertEqual(sign_request.state, "signed")
        self.assertEqual(sign_request.signer_name, "Claire Lefèvre")
        self.assertEqual(sign_request.document_sha256, deliverable.checksum)
        signed = base64.b64decode(sign_request.sudo().signed_file)
        self.assertTrue(signed.startswith(self.pdf_bytes), "the certificate's hash matches the original")
        self.assertEqual(
            hashlib.sha256(signed[: len(self.pdf_bytes)]).hexdigest(), sign_request.document_sha256
        )
        self.assertEqual(hashlib.sha256(signed).hexdigest(), sign_request.signed_sha256)
