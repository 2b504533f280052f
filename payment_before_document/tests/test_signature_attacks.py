"""Issue 14: the signing flow tried as a stranger would.

Whoever holds the invoice link must not be able to choose where the code
goes, read the client's number, sign a document that was replaced, flood
the evidence log, or remove its end unnoticed.
"""

import base64
import io
import re
from unittest.mock import patch

import psycopg2
from pypdf import PdfReader

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from ..lib import phone
from .common import PbdHttpTestCommon, PbdMainCompanyMixin, PbdTwilioMixin

ON_FILE = "+33612345678"
OTHER = "+33699887766"


@tagged("post_install", "-at_install")
class TestSignatureAttacks(PbdTwilioMixin, PbdMainCompanyMixin, PbdHttpTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_twilio_setup(cls.company)
        cls.client_company.country_id = cls.env.ref("base.fr")
        cls.client_company.mobile = "+33 6 12 34 56 78"
        cls.client_contact.mobile = "+33 6 12 34 56 78"

    def setUp(self):
        super().setUp()
        self.invoice = self._pbd_invoice(
            deliverables=[{"name": "Report", "signature_requirement": "acknowledge"}]
        )
        self.deliverable = self.invoice.pbd_deliverable_ids
        self._pbd_pay(self.invoice)
        self.token = self.invoice._portal_ensure_token()
        self.authenticate(None, None)  # a link holder: no login, only the invoice's link

    def _sign_url(self, deliverable=None):
        return (deliverable or self.deliverable)._get_sign_url(self.token)

    def _csrf(self, deliverable=None):
        page = self.url_open(self._sign_url(deliverable)).text
        return re.search(r'csrf_token: "([^"]+)"', page).group(1)

    def _post(self, what, deliverable=None, **data):
        deliverable = deliverable or self.deliverable
        response = self.url_open(
            deliverable._get_sign_step_url(what),
            data={"csrf_token": self._csrf(deliverable), "access_token": self.token, **data},
        )
        self.env.invalidate_all()  # the request wrote through its own environment: read again
        return response

    @staticmethod
    def _code(session):
        return re.search(r"\b(\d{6})\b", session.calls[-1].form["Body"]).group(1)

    def _request(self, deliverable=None):
        return (deliverable or self.deliverable).signature_request_ids

    def _sign(self, deliverable=None):
        with self._twilio() as session:
            self._post("code", deliverable, signer_name="Claire Lefèvre")
        return self._post("confirm", deliverable, code=self._code(session))

    # -- who signed ------------------------------------------------------
    def test_page_never_shows_the_number_in_clear(self):
        for page in (self.url_open(self._sign_url()).text, self._post("code", signer_name="X").text):
            for written in phone.variants(ON_FILE):
                self.assertNotIn(written, page)
            self.assertNotIn("12 34 56", page)
            self.assertIn("+33 6 •• •• •• 78", page)

    def test_another_number_typed_on_the_portal_gets_no_code(self):
        with self._twilio() as session:
            self._post("code", signer_name="Mallory", phone=OTHER)
            self._post("code", signer_name="Mallory", phone="06 99 88 77 66", mobile=OTHER, to=OTHER)
        self.assertTrue(session.calls)
        self.assertEqual({call.form["To"] for call in session.calls}, {ON_FILE}, "only the number on file")

    def test_no_number_on_file_then_the_client_asks_the_firm(self):
        self.client_company.mobile = False
        self.client_company.phone = False
        with self._twilio() as session:
            page = self._post("code", signer_name="Claire", phone=OTHER).text
        self.assertFalse(session.calls)
        self.assertIn("No mobile number", page)
        self._post("ask_number")
        activities = self.invoice.activity_ids.filtered(lambda a: "mobile" in (a.summary or ""))
        self.assertEqual(len(activities), 1, "the firm is asked to check the number")
        # The firm sets it in the back office: an evidence row, numbers masked.
        self.env["pbd.signature.request"].browse(self._request().id)._pbd_set_phone("+33 6 11 22 33 44")
        row = self._request().evidence_ids.filtered(lambda r: r.event == "phone_changed")
        self.assertEqual(len(row), 1)
        self.assertIn("+33 6 •• •• •• 44", row.payload)
        self.assertNotIn("11 22 33", row.payload)
        self.assertIn(str(self.env.user.id), row.payload)
        with self._twilio() as session:
            self._post("code", signer_name="Claire")
        self.assertEqual(session.calls[-1].form["To"], "+33611223344")

    def test_certificate_before_release_carries_no_ip_browser_or_typed_name(self):
        unpaid = self._pbd_invoice(
            deliverables=[
                {"name": "Quote", "signature_requirement": "approve", "signature_timing": "before_payment"}
            ]
        )
        self.token = unpaid._portal_ensure_token()
        quote = unpaid.pbd_deliverable_ids
        with self._twilio() as session:
            self._post("code", quote, signer_name="Typed Name Zorglub")
        self._post("confirm", quote, code=self._code(session))
        self.assertEqual(self._request(quote).state, "signed")
        response = self.url_open(f"/my/documents/{quote.id}/signature/certificate?access_token={self.token}")
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        self.assertNotIn("127.0.0.1", text)
        self.assertNotIn("Zorglub", text)
        self.assertNotIn("python-requests", text)
        self.assertIn("+33 6 ** ** ** 78", text)

    # -- what was signed ---------------------------------------------------
    def test_file_cannot_be_replaced_once_a_code_was_sent(self):
        with self._twilio():
            self._post("code", signer_name="Claire")
        with self.assertRaisesRegex(ValidationError, "(?i)new version"):
            self.deliverable.file = base64.b64encode(self.pdf_bytes + b"\n% changed")
        old = self._request()
        self.deliverable.action_pbd_new_version()
        self.assertFalse(old.active, "the old request is archived")
        self.assertIn("new version", self.deliverable.message_ids[0].body)
        self.deliverable.file = base64.b64encode(self.pdf_bytes + b"\n% changed")  # now allowed
        self.assertEqual(self._sign().status_code, 200)
        self.assertEqual(self._request().state, "signed")

    def test_one_request_per_deliverable_and_signer(self):
        with self._twilio():
            self._post("code", signer_name="Claire")
        request = self._request()
        with self.assertRaises(psycopg2.IntegrityError), self.cr.savepoint(), mute_logger("odoo.sql_db"):
            self.env["pbd.signature.request"].sudo().create(
                {"deliverable_id": self.deliverable.id, "partner_id": request.partner_id.id}
            )

    # -- limits ------------------------------------------------------------
    def test_daily_cap_counts_the_number_the_code_was_sent_to(self):
        """Numbers alternate on file: the sends to each still count for it.

        The requests that sent to the first number then get the other one on
        file: a cap counted on each request's current number would forget them.
        """
        to_first = []
        with self._twilio() as session:
            for index in range(6):
                self.client_company.mobile = ON_FILE if index % 2 == 0 else OTHER
                invoice = self._pbd_invoice(
                    deliverables=[{"name": f"D{index}", "signature_requirement": "acknowledge"}]
                )
                self._pbd_pay(invoice)
                self.token = invoice._portal_ensure_token()
                for _n in range(3):
                    self._post("code", invoice.pbd_deliverable_ids, signer_name="C")
                if index % 2 == 0:
                    to_first.append((invoice.pbd_deliverable_ids, self.token))
            self.client_company.mobile = OTHER
            for deliverable, self.token in to_first:  # refused (3 a quarter), but now on file: OTHER
                self._post("code", deliverable, signer_name="C")
            first = self.env["pbd.deliverable"].union(*[deliverable for deliverable, _t in to_first])
            self.assertEqual(set(first.signature_request_ids.sudo().mapped("phone_e164")), {OTHER})
            self.client_company.mobile = ON_FILE
            sent_to_on_file = sum(1 for call in session.calls if call.form["To"] == ON_FILE)
        self.assertEqual(sent_to_on_file, 9)
        with self._twilio() as session:
            self.token = self.invoice._portal_ensure_token()
            self._post("code", signer_name="C")  # the tenth of the day
            page = self._post("code", signer_name="C").text
        self.assertIn("Too many codes were sent to this number today", page)
        self.assertEqual(len(session.calls), 1, "10 a day to one number, whatever it was on file for")

    def test_refusals_do_not_flood_the_log(self):
        with self._twilio():
            self._post("code", signer_name="C")
        request = self._request()
        self.env.cr.execute(
            "UPDATE pbd_signature_request SET code_issued_at = code_issued_at - interval '1 hour'"
            " WHERE id = %s",
            [request.id],
        )
        for _n in range(30):
            self.assertIn("expired", self._post("confirm", code="000000").text)
        request.invalidate_recordset()
        refused = request.evidence_ids.filtered(lambda r: r.event == "verify_refused")
        self.assertLessEqual(len(refused), 10, "refusals are logged, up to a limit")
        self.assertTrue(refused)

    def test_refusals_from_one_address_do_not_flood_the_log(self):
        """Many requests, one address: the address's cap holds too."""
        for index in range(5):
            invoice = self._pbd_invoice(
                deliverables=[{"name": f"D{index}", "signature_requirement": "approve"}]
            )
            self._pbd_pay(invoice)
            self.token = invoice._portal_ensure_token()
            deliverable = invoice.pbd_deliverable_ids
            with self._twilio():
                self._post("code", deliverable, signer_name="C")
            self.env.cr.execute(
                "UPDATE pbd_signature_request SET code_issued_at = code_issued_at - interval '1 hour'"
                " WHERE deliverable_id = %s",
                [deliverable.id],
            )
            for _n in range(6):
                self._post("confirm", deliverable, code="000000")
        logged = self.env["pbd.evidence.log"].search_count(
            [("event", "=", "verify_refused"), ("ip_address", "=", "127.0.0.1")]
        )
        self.assertEqual(logged, 20, "5 per request, 20 per address")

    def test_wrong_codes_have_a_lifetime_cap(self):
        for _round in range(4):
            with self._twilio() as session:
                self._post("code", signer_name="C")
            good = self._code(session)
            for _n in range(5):
                self._post("confirm", code=f"{(int(good) + 1) % 1000000:06d}")
            self.env.cr.execute(
                "UPDATE pbd_evidence_log SET timestamp = timestamp - interval '1 hour' WHERE request_id = %s",
                [self._request().id],
            )
        request = self._request()
        self.assertTrue(request.locked_out, "20 wrong codes: the firm must reopen it")
        with self._twilio() as session:
            self._post("code", signer_name="C")
        self.assertFalse(session.calls)
        request.action_pbd_reopen()
        with self._twilio() as session:
            self._post("code", signer_name="C")
        self.assertEqual(len(session.calls), 1)

    # -- anchoring -----------------------------------------------------------
    def test_last_row_deleted_is_detected_through_the_certificate(self):
        self._sign()
        request = self._request()
        log = self.env["pbd.evidence.log"]
        self.assertTrue(log._verify_chain()[0])
        certificate = base64.b64decode(request.sudo().certificate_file)
        text = PdfReader(io.BytesIO(certificate)).pages[0].extract_text().replace("\n", "")
        self.assertIn(request.anchor_row_hash[:32], text.replace(" ", ""))
        signed_row = request.evidence_ids.filtered(lambda r: r.event == "signed")
        self.assertIn(request.certificate_sha256, signed_row.payload)
        # Someone removes the end of the chain from the signing row on, and points the head back.
        anchor = request.evidence_ids.filtered(lambda r: r.row_hash == request.anchor_row_hash)
        self.env.cr.execute(
            "DELETE FROM pbd_evidence_log WHERE request_id = %s AND id >= %s", [request.id, anchor.id]
        )
        self.env.cr.execute(
            "UPDATE pbd_evidence_head SET row_hash = %s WHERE company_id = %s",
            [anchor.prev_hash, request.company_id.id],
        )
        log.invalidate_model()
        self.assertFalse(log._verify_chain()[0], "the certificate's anchor is gone from the chain")

    def test_a_key_in_the_server_configuration_makes_the_row_hash_an_hmac(self):
        with patch.dict(config.options, {"pbd_evidence_key": "kept-outside-the-database"}):
            self._sign()
            rows = self._request().evidence_ids
            self.assertEqual(set(rows.mapped("hash_kind")), {"hmac"})
            self.assertTrue(self.env["pbd.evidence.log"]._verify_chain()[0])
        # Without the key, nobody (the database alone) can recompute them.
        self.assertFalse(self.env["pbd.evidence.log"]._verify_chain()[0])

    def test_last_row_deleted_is_detected_through_the_head(self):
        self._sign()
        last = self._request().evidence_ids[-1]
        self.env.cr.execute("DELETE FROM pbd_evidence_log WHERE id = %s", [last.id])
        self.env["pbd.evidence.log"].invalidate_model()
        problems, _count = self.env["pbd.evidence.log"]._verify_report()
        self.assertTrue(any("head" in problem for problem in problems), problems)
        self.assertEqual(self.env["pbd.evidence.log"].action_verify_chain()["params"]["type"], "danger")
