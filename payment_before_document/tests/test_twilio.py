"""Twilio as Odoo's SMS provider (the twilio library runs; only HTTP is faked)."""

from contextlib import contextmanager
from unittest.mock import patch

from twilio.request_validator import RequestValidator

from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from . import fake_transport as ft

SID = "AC" + "1" * 32
TOKEN = "twilio-secret-token"


class TwilioMixin:
    def _configure(self, sender="+33700000000"):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("payment_before_document.twilio_account_sid", SID)
        params.set_param("payment_before_document.twilio_auth_token", TOKEN)
        params.set_param("payment_before_document.twilio_sender", sender)

    @contextmanager
    def _twilio(self, responder=None):
        session = ft.FakeHttpSession().add(ft.TWILIO_MESSAGES, responder or ft.twilio_message_responder())
        with patch.object(
            type(self.env["sms.sms"]), "_pbd_twilio_http_client", lambda _self: ft.twilio_http_client(session)
        ):
            yield session


@tagged("post_install", "-at_install")
class TestTwilioSms(TwilioMixin, TransactionCase):
    def _sms(self, number="+33612345678", body="Hello"):
        return self.env["sms.sms"].create({"number": number, "body": body})

    def test_configured_sms_go_through_twilio(self):
        self._configure()
        sms = self._sms(body="Your invoice is due")
        with self._twilio() as session:
            sms.send(unlink_sent=False)
        call = session.calls[-1]
        self.assertEqual(call.path, f"/2010-04-01/Accounts/{SID}/Messages.json")
        self.assertEqual(call.form["To"], "+33612345678")
        self.assertEqual(call.form["From"], "+33700000000")
        self.assertEqual(call.form["Body"], "Your invoice is due")
        self.assertIn("/payment_before_document/twilio/status?uuid=", call.form["StatusCallback"])
        self.assertEqual(sms.state, "pending")

    def test_messaging_service_sender(self):
        self._configure(sender="MG" + "2" * 32)
        sms = self._sms()
        with self._twilio() as session:
            sms.send(unlink_sent=False)
        self.assertEqual(session.calls[-1].form["MessagingServiceSid"], "MG" + "2" * 32)
        self.assertNotIn("From", session.calls[-1].form)

    def test_refusal_is_recorded_and_the_token_never_logged(self):
        self._configure()
        sms = self._sms(number="+331")
        with (
            self._twilio(lambda call: ft.twilio_error(21211)),
            self.assertLogs(level="DEBUG") as logs,  # everything logged, the library's included
        ):
            sms.send(unlink_failed=False)
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_number_format"))
        self.assertNotIn(TOKEN, "\n".join(logs.output))
        self.assertNotIn("Hello", "\n".join(logs.output))

    def test_settings_test_button_checks_credentials(self):
        self._configure()
        session = ft.FakeHttpSession().add(
            rf"GET https://api\.twilio\.com/2010-04-01/Accounts/{SID}\.json",
            (200, {"sid": SID, "status": "active"}),
        )
        with patch.object(
            type(self.env["sms.sms"]), "_pbd_twilio_http_client", lambda _self: ft.twilio_http_client(session)
        ):
            settings = self.env["res.config.settings"].create({})
            action = settings.action_pbd_twilio_test()
        self.assertIn("active", action["params"]["message"])
        self.assertEqual(session.calls[-1].method, "GET")

    @mute_logger("odoo.addons.sms.models.sms_sms")
    def test_without_twilio_odoo_default_stays(self):
        sms = self._sms()
        with self._twilio() as session:
            sms.send(unlink_failed=False)
        self.assertFalse(session.calls, "nothing went to Twilio")
        # Odoo's IAP path ran (and cannot reach IAP from a test).
        self.assertEqual(sms.state, "error")


@tagged("post_install", "-at_install")
class TestTwilioStatusCallback(TwilioMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self._configure()
        self.sms = self.env["sms.sms"].create({"number": "+33612345678", "body": "x", "state": "pending"})

    def _post(self, form, signature=None, sign_with=TOKEN):
        url = f"{self.base_url()}/payment_before_document/twilio/status?uuid={self.sms.uuid}"
        if signature is None:
            signature = RequestValidator(sign_with).compute_signature(url, form)
        return self.url_open(url, data=form, headers={"X-Twilio-Signature": signature})

    def test_signed_delivery_report_updates_the_sms(self):
        response = self._post({"MessageSid": "SM1", "MessageStatus": "delivered"})
        self.assertEqual(response.status_code, 204)
        self.assertEqual(self.sms.state, "sent")

    def test_failed_delivery_report(self):
        self._post({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "21610"})
        self.assertEqual((self.sms.state, self.sms.failure_type), ("error", "sms_blacklist"))

    @mute_logger("odoo.addons.payment_before_document.controllers.twilio")
    def test_forged_reports_are_refused(self):
        for kwargs in (
            {"signature": ""},
            {"signature": "bm90LWEtc2lnbmF0dXJl"},
            {"sign_with": "another-token"},
        ):
            response = self._post({"MessageSid": "SM1", "MessageStatus": "delivered"}, **kwargs)
            self.assertEqual(response.status_code, 403, kwargs)
        self.assertEqual(self.sms.state, "pending")
