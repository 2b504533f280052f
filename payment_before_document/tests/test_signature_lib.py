"""OTP, phone numbers and certificates (plain Python)."""

from datetime import datetime, timedelta
import io
import re

from pypdf import PdfReader

from odoo.tests import BaseCase, tagged

from ..lib import certificate, otp, phone
from .common import make_encrypted_pdf, make_pdf

KEY = b"k" * 32
LABELS = {key: key.replace("_", " ").title() for key in certificate.LABEL_KEYS}


@tagged("post_install", "-at_install")
class TestOtp(BaseCase):
    def test_codes_are_six_random_digits(self):
        codes = {otp.generate_code() for _ in range(300)}
        self.assertTrue(all(re.fullmatch(r"\d{6}", code) for code in codes))
        self.assertGreater(len(codes), 290, "codes do not repeat in practice")

    def test_digest_binds_code_signer_and_document(self):
        digest = otp.code_digest(KEY, "123456", "partner-7", "a" * 64)
        self.assertNotIn("123456", digest)
        self.assertTrue(otp.verify_code(KEY, digest, "123456", "partner-7", "a" * 64))
        self.assertTrue(otp.verify_code(KEY, digest, " 123456 ", "partner-7", "a" * 64))
        self.assertFalse(otp.verify_code(KEY, digest, "123457", "partner-7", "a" * 64))
        self.assertFalse(otp.verify_code(KEY, digest, "123456", "partner-8", "a" * 64), "another signer")
        self.assertFalse(otp.verify_code(KEY, digest, "123456", "partner-7", "b" * 64), "another document")
        self.assertFalse(otp.verify_code(b"x" * 32, digest, "123456", "partner-7", "a" * 64), "another key")
        for bad in ("", "12345", "1234567", "abcdef", None):
            self.assertFalse(otp.verify_code(KEY, digest, bad, "partner-7", "a" * 64))
        self.assertFalse(otp.verify_code(KEY, "", "123456", "partner-7", "a" * 64))

    def test_send_limits(self):
        now = datetime(2026, 11, 22, 12, 0)
        self.assertTrue(otp.can_send([], now, 0).allowed)
        three = [now - timedelta(minutes=m) for m in (1, 5, 14)]
        self.assertEqual(otp.can_send(three, now, 3).reason, "too_many_sends")
        old = [now - timedelta(minutes=m) for m in (16, 20, 30)]
        self.assertTrue(otp.can_send(old, now, 3).allowed, "the window slides")
        self.assertEqual(otp.can_send([], now, otp.DAILY_CAP_PER_NUMBER).reason, "daily_cap")

    def test_verify_limits(self):
        now = datetime(2026, 11, 22, 12, 0)
        self.assertTrue(otp.can_verify(now - timedelta(minutes=9), now, 4, False).allowed)
        self.assertEqual(otp.can_verify(now - timedelta(minutes=10), now, 0, False).reason, "expired")
        self.assertEqual(otp.can_verify(now, now, 5, False).reason, "too_many_tries")
        self.assertEqual(otp.can_verify(now, now, 0, True).reason, "used")
        self.assertEqual(otp.can_verify(None, now, 0, False).reason, "no_code")

    def test_lifetime_cap_of_wrong_codes(self):
        self.assertFalse(otp.is_locked_out(19))
        self.assertTrue(otp.is_locked_out(20))


@tagged("post_install", "-at_install")
class TestPhone(BaseCase):
    def test_mobile_numbers_are_normalised(self):
        self.assertEqual(phone.parse_for_sms("06 12 34 56 78", "FR").e164, "+33612345678")
        self.assertEqual(phone.parse_for_sms("+33 6 12 34 56 78").e164, "+33612345678")
        self.assertEqual(phone.parse_for_sms("+44 7400 123456").e164, "+447400123456")

    def test_bad_numbers_say_why(self):
        self.assertEqual(phone.parse_for_sms("", "FR").problem, "empty")
        self.assertEqual(phone.parse_for_sms("not a number", "FR").problem, "unparsable")
        self.assertEqual(phone.parse_for_sms("06 12", "FR").problem, "invalid")
        self.assertEqual(phone.parse_for_sms("04 72 00 00 00", "FR").problem, "not_mobile", "a landline")

    def test_mask(self):
        self.assertEqual(phone.mask("+33612345678"), "+33 6 •• •• •• 78")
        self.assertNotIn("612345", phone.mask("+33612345678"))


@tagged("post_install", "-at_install")
class TestCertificate(BaseCase):
    def _evidence(self, sha):
        return certificate.Evidence(
            reference="SIG-1",
            document_name="report.pdf",
            document_sha256=sha,
            company_name="Moreau Ingénierie",
            signer_name="Claire Lefèvre",
            signer_phone_masked="+33 *******78",
            purpose="Acknowledge receipt",
            consent_version="2026-11",
            consent_text="I sign this document electronically.",
            code_sent_at="2026-11-22T12:00:00Z",
            code_verified_at="2026-11-22T12:01:00Z",
            signed_at="2026-11-22T12:01:00Z",
            ip_address="203.0.113.7",
            user_agent="Mozilla/5.0",
        )

    def test_certificate_is_appended_and_the_original_is_untouched(self):
        original = make_pdf(pages=3)
        sha_before = certificate.sha256_bytes(original)
        cert = certificate.certificate_pdf(self._evidence(sha_before), LABELS)
        out = io.BytesIO()
        certificate.append_certificate(io.BytesIO(original), cert, out)
        signed = out.getvalue()
        self.assertTrue(signed.startswith(original), "an incremental update: the original bytes come first")
        self.assertEqual(certificate.sha256_bytes(signed[: len(original)]), sha_before)
        reader = PdfReader(io.BytesIO(signed))
        self.assertEqual(len(reader.pages), 4)
        last = reader.pages[-1].extract_text()
        self.assertIn(sha_before, last.replace("\n", ""))
        self.assertIn("Claire Lefèvre", last)
        self.assertIn("+33 *******78", last)
        self.assertEqual(certificate.sha256_file(io.BytesIO(signed)), certificate.sha256_bytes(signed))

    def test_unreadable_documents_are_refused(self):
        cert = certificate.certificate_pdf(self._evidence("0" * 64), LABELS)
        with self.assertRaisesRegex(ValueError, "encrypted"):
            certificate.append_certificate(io.BytesIO(make_encrypted_pdf()), cert, io.BytesIO())
        with self.assertRaisesRegex(ValueError, "corrupt"):
            certificate.append_certificate(io.BytesIO(b"%PDF-1.4 nothing"), cert, io.BytesIO())
