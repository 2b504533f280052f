"""Twilio is Odoo's (sms_twilio): the add-on only sends signature codes with it.

Twilio's API is answered at the HTTP layer (Odoo's ``_request_handler``): the
``twilio`` library and Odoo's own ``sms_twilio`` code run for real.
"""

import base64
import importlib.util
import logging
from pathlib import Path

from odoo import Command
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

from . import fake_transport as ft
from .common import PbdMainCompanyMixin, PbdTestCommon, PbdTwilioMixin

MIGRATION = Path(__file__).parents[1] / "migrations" / "18.0.1.1.0" / "post-migrate.py"
OLD_PARAMS = "payment_before_document.twilio_"


def _basic(sid, token):
    return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


@tagged("post_install", "-at_install")
class TestTwilio(PbdTwilioMixin, PbdMainCompanyMixin, PbdTestCommon):
    """On the main company, which existed before the add-on was installed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_twilio_setup(cls.company)
        cls.sms_user = mail_new_test_user(
            cls.env,
            login="pbd_sms_user",
            groups="base.group_user,base.group_partner_manager",
            company_id=cls.company.id,
        )
        cls.client_company.write({"mobile": "+33 6 12 34 56 78", "country_id": cls.env.ref("base.fr").id})

    @users("pbd_sms_user")
    def test_plain_sms_of_another_app_is_sent_by_odoo_untouched(self):
        """A partner's "Send SMS": Odoo's sms_twilio request, with the company's account."""
        partner = self.client_company.with_env(self.env)
        with self._twilio() as twilio:
            composer = (
                self.env["sms.composer"]
                .with_context(active_model="res.partner", active_id=partner.id)
                .create({"body": "Your plans are ready"})
            )
            message = composer._action_send_sms()
        self.assertEqual(len(twilio.calls), 1)
        call = twilio.calls[0]
        self.assertEqual(call.path, f"/2010-04-01/Accounts/{self.TWILIO_SID}/Messages.json")
        self.assertEqual(call.headers["Authorization"], _basic(self.TWILIO_SID, self.TWILIO_TOKEN))
        self.assertEqual(call.form["To"], "+33612345678")
        self.assertEqual(call.form["From"], self.TWILIO_FROM_FR)
        self.assertEqual(call.form["Body"], "Your plans are ready")
        # Odoo's own request (sms_twilio): its status route, not the twilio library.
        self.assertRegex(call.form["StatusCallback"], r"/sms_twilio/status/[0-9a-f]{32}$")
        self.assertNotIn("twilio-python", call.headers.get("User-Agent", ""))
        notification = message.sudo().notification_ids
        self.assertEqual(notification.notification_type, "sms")
        self.assertEqual(notification.notification_status, "pending")

    def test_without_twilio_odoo_iap_path_stays(self):
        self.company.sudo().sms_provider = "iap"
        with self._twilio() as twilio, mute_logger("odoo.addons.sms.models.sms_sms"):
            self.env["sms.sms"].create({"number": "+33612345678", "body": "Hello"}).send(unlink_failed=False)
        self.assertFalse(twilio.calls, "nothing went to Twilio")

    def test_signature_code_sender_is_the_one_odoo_picks(self):
        company = self.company
        self.assertTrue(company._pbd_twilio_ready())
        self.assertEqual(company._pbd_twilio_sender_for("+33612345678"), self.TWILIO_FROM_FR)
        self.assertEqual(company._pbd_twilio_sender_for("+32470123456"), self.TWILIO_FROM_BE)
        self.assertEqual(company._pbd_twilio_sender_for("+14155550123"), self.TWILIO_FROM_FR, "the first")

    def test_signature_code_goes_through_the_library_with_the_company_account(self):
        with self._twilio() as twilio:
            result = self.company._pbd_twilio_sms().send("+32470123456", "Code 123456", "+32460000000")
        self.assertTrue(result.ok)
        self.assertTrue(result.sid.startswith("SM"))
        call = twilio.calls[-1]
        self.assertEqual(call.path, f"/2010-04-01/Accounts/{self.TWILIO_SID}/Messages.json")
        self.assertEqual(call.headers["Authorization"], _basic(self.TWILIO_SID, self.TWILIO_TOKEN))
        self.assertEqual(call.form, {"To": "+32470123456", "From": "+32460000000", "Body": "Code 123456"})
        self.assertIn("twilio-python", call.headers["User-Agent"])

    def test_refusal_is_told_and_neither_token_nor_code_logged(self):
        with (
            self._twilio(lambda call: ft.twilio_error(21211)),
            self.assertLogs(level=logging.DEBUG) as logs,  # everything logged, the library's included
        ):
            result = self.company._pbd_twilio_sms().send("+331", "Code 654321", self.TWILIO_FROM_FR)
        self.assertFalse(result.ok)
        self.assertEqual(result.failure_type, "sms_number_format")
        self.assertNotIn(self.TWILIO_TOKEN, "\n".join(logs.output))
        self.assertNotIn("654321", "\n".join(logs.output))

    def test_unreachable_twilio_is_a_refusal(self):
        with self._twilio():
            type(self).twilio_api = None  # Odoo's test guard blocks the request, as a network failure would
            result = self.company._pbd_twilio_sms().send("+33612345678", "x", self.TWILIO_FROM_FR)
        self.assertEqual((result.ok, result.failure_type), (False, "sms_server"))

    def test_no_twilio_no_signature_sender(self):
        company = self.company.sudo()
        for values in (
            {"sms_provider": "iap"},
            {"sms_twilio_auth_token": False},
            {"sms_twilio_account_sid": False},
            {"sms_twilio_number_ids": [Command.clear()]},
        ):
            with self.subTest(values=values):
                self._pbd_twilio_setup(company)
                company.write(values)
                self.assertFalse(company._pbd_twilio_ready())
                self.assertIsNone(company._pbd_twilio_sms())


@tagged("post_install", "-at_install")
class TestTwilioMigration(PbdTestCommon):
    """18.0.1.1.0 moves the add-on's own Twilio parameters to Odoo's SMS settings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        spec = importlib.util.spec_from_file_location("pbd_migration_18_0_1_1_0", MIGRATION)
        cls.migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(cls.migration)
        cls.company.sudo().write(
            {"sms_provider": "iap", "sms_twilio_account_sid": False, "sms_twilio_auth_token": False}
        )

    def _old_settings(self, sender):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(f"{OLD_PARAMS}account_sid", "AC" + "2" * 32)
        params.set_param(f"{OLD_PARAMS}auth_token", "old-token")
        params.set_param(f"{OLD_PARAMS}sender", sender)

    def _old_params_left(self):
        return self.env["ir.config_parameter"].sudo().search_count([("key", "=like", f"{OLD_PARAMS}%")])

    def test_number_sender_moves_to_the_company_twilio_settings(self):
        self._old_settings("+33 7 00 00 00 01")
        self.migration._move_twilio_settings(self.env)
        company = self.company.sudo()
        self.assertEqual(company.sms_provider, "twilio")
        self.assertEqual(company.sms_twilio_account_sid, "AC" + "2" * 32)
        self.assertEqual(company.sms_twilio_auth_token, "old-token")
        self.assertEqual(company.sms_twilio_number_ids.mapped("number"), ["+33700000001"])
        self.assertEqual(company.sms_twilio_number_ids.country_id, self.env.ref("base.fr"))
        self.assertEqual(self._old_params_left(), 0)
        self.assertTrue(company._pbd_twilio_ready())

    def test_messaging_service_is_left_out_and_said(self):
        self._old_settings("MG" + "3" * 32)
        with self.assertLogs(level="WARNING") as logs:
            self.migration._move_twilio_settings(self.env)
        company = self.company.sudo()
        self.assertEqual((company.sms_provider, company.sms_twilio_account_sid), ("twilio", "AC" + "2" * 32))
        self.assertFalse(company.sms_twilio_number_ids)
        self.assertIn("not a phone number", logs.output[0])
        self.assertEqual(self._old_params_left(), 0)
        self.assertFalse(company._pbd_twilio_ready(), "no sender number: no signature until one is added")

    def test_a_company_with_its_own_twilio_account_keeps_it(self):
        own = {
            "sms_provider": "twilio",
            "sms_twilio_account_sid": "AC" + "4" * 32,
            "sms_twilio_auth_token": "x",
        }
        self.company.sudo().write(own)
        self._old_settings("+33700000001")
        self.migration._move_twilio_settings(self.env)
        self.assertEqual(self.company.sudo().sms_twilio_account_sid, "AC" + "4" * 32)
        self.assertEqual(self._old_params_left(), 0)
