"""The evidence log and the sending limits on real, concurrent connections.

Like ``test_stripe_concurrency``, these commit (``PbdRealCursorMixin``): each
side of a race needs a connection of its own. What the tests create is removed
at the end (the evidence rows with SQL: the ORM never deletes them), and the
company's chain head is put back where it was.
"""

from concurrent.futures import ThreadPoolExecutor
import re

import requests

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tests import BaseCase, tagged
from odoo.tools import SQL, mute_logger

from . import fake_transport as ft
from .common import PbdRealCursorMixin, PbdTwilioMixin

QUIET = ("odoo.sql_db", "odoo.service.model", "odoo.http")


@tagged("post_install", "-at_install")
class TestSignatureConcurrency(PbdRealCursorMixin, PbdTwilioMixin, BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pbd_real_cursor_setup("request")
        with cls._env() as env:
            company = env.ref("base.main_company")
            cls.company_id = company.id
            cls.saved_twilio = company._convert_to_write(
                company.read(["sms_provider", "sms_twilio_account_sid", "sms_twilio_auth_token"])[0]
            )
            cls.saved_twilio.pop("id", None)
            cls.saved_numbers = company.sms_twilio_number_ids.ids
            cls.env = env  # for _pbd_twilio_setup's env.ref
            cls._pbd_twilio_setup(company)
            env.cr.execute(
                SQL("SELECT row_hash, row_id FROM pbd_evidence_head WHERE company_id = %s", company.id)
            )
            cls.saved_head = env.cr.fetchone()
        cls.env = None

    @classmethod
    def _pbd_clean_up(cls, env):
        requests_ids = tuple(cls.created["request"]) or (0,)
        env.cr.execute(SQL("DELETE FROM pbd_evidence_log WHERE request_id IN %s", requests_ids))
        env.cr.execute(SQL("DELETE FROM pbd_signature_request WHERE id IN %s", requests_ids))
        if cls.saved_head:
            env.cr.execute(
                SQL(
                    "UPDATE pbd_evidence_head SET row_hash = %s, row_id = %s WHERE company_id = %s",
                    *cls.saved_head,
                    cls.company_id,
                )
            )
        else:
            env.cr.execute(SQL("DELETE FROM pbd_evidence_head WHERE company_id = %s", cls.company_id))
        company = env["res.company"].browse(cls.company_id)
        company.sms_twilio_number_ids.filtered(lambda n: n.id not in cls.saved_numbers).unlink()
        company.write(cls.saved_twilio)

    def _signable(self, name, with_request=True):
        """A committed document to sign before payment, its signer's mobile on file, and its request."""
        with self._env() as env:
            partner = env["res.partner"].create(
                {"name": name, "mobile": "+33 6 12 34 56 78", "country_id": env.ref("base.fr").id}
            )
            invoice = self._pbd_committed_invoice(
                env, partner, signature_requirement="approve", signature_timing="before_payment"
            )
            deliverable = invoice.pbd_deliverable_ids
            token = invoice._portal_ensure_token()
            if not with_request:
                return deliverable.id, None, token
            request = env["pbd.signature.request"]._get_or_create(deliverable, partner)
            self.created["request"].append(request.id)
            return deliverable.id, request.id, token

    # ------------------------------------------------------------------
    @mute_logger(*QUIET)
    def test_two_appends_at_once_do_not_fork_the_chain(self):
        _deliverable_id, request_id, _token = self._signable("Race: two refusals")
        with self.registry.cursor() as cr_first, self.registry.cursor() as cr_second:
            env_first = api.Environment(cr_first, SUPERUSER_ID, {})
            env_second = api.Environment(cr_second, SUPERUSER_ID, {})
            # The second one takes its snapshot now, before the first commits.
            cr_second.execute("SELECT count(*) FROM pbd_evidence_log")
            request_first = env_first["pbd.signature.request"].browse(request_id)
            env_first["pbd.evidence.log"]._append(request_first, "send_refused", reason="first")
            cr_first.commit()
            request_second = env_second["pbd.signature.request"].browse(request_id)
            try:
                env_second["pbd.evidence.log"]._append(request_second, "send_refused", reason="second")
                env_second.flush_all()
                outcome = "appended on a stale snapshot"
            except odoo.service.model.PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                outcome = "serialization failure"
            self.assertEqual(outcome, "serialization failure", "Odoo retries the loser")
            cr_second.rollback()
            env_second.invalidate_all()
            # As Odoo retries it: a new snapshot, the append chains to the first.
            env_second["pbd.evidence.log"]._append(request_second, "send_refused", reason="second")
            cr_second.commit()
        with self._env() as env:
            ok, broken, _count = env["pbd.evidence.log"]._verify_chain()
            self.assertTrue(ok, f"the chain is whole (broken at {broken})")

    def _post_code(self, deliverable_id, token):
        port = odoo.service.server.server.httpd.server_port
        base = f"http://127.0.0.1:{port}"
        with requests.Session() as session:
            page = session.get(f"{base}/my/documents/{deliverable_id}/sign?access_token={token}", timeout=60)
            csrf = re.search(r'csrf_token: "([^"]+)"', page.text).group(1)
            return session.post(
                f"{base}/my/documents/{deliverable_id}/sign/code",
                data={"csrf_token": csrf, "access_token": token, "signer_name": "Racer"},
                timeout=120,
            ).status_code

    @mute_logger(*QUIET)
    def test_eight_code_requests_at_once_send_three_sms(self):
        deliverable_id, _request_id, token = self._signable("Race: eight sends", with_request=False)
        twilio = ft.FakeHttpSession().add(ft.TWILIO_MESSAGES, ft.twilio_message_responder())
        type(self).twilio_api = twilio
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _n: self._post_code(deliverable_id, token), range(8)))
        with self._env() as env:
            request_id = env["pbd.signature.request"].search([("deliverable_id", "=", deliverable_id)]).id
            self.created["request"].append(request_id)
        self.assertTrue(all(status == 200 for status in statuses), statuses)
        self.assertLessEqual(len(twilio.calls), 3, "at most 3 codes per 15 minutes")
        self.assertTrue(twilio.calls)
        with self._env() as env:
            rows = env["pbd.evidence.log"].search(
                [("request_id", "=", request_id), ("event", "=", "code_sent")]
            )
            self.assertEqual(len(rows), len(twilio.calls), "every SMS sent has its evidence row")
            self.assertTrue(env["pbd.evidence.log"]._verify_chain()[0])

    @mute_logger(*QUIET)
    def test_two_signers_at_once_give_one_signature(self):
        deliverable_id, first_id, _token = self._signable("Race: two signers")
        twilio = ft.FakeHttpSession().add(ft.TWILIO_MESSAGES, ft.twilio_message_responder())
        type(self).twilio_api = twilio
        with self._env() as env:
            second_signer = env["res.partner"].create(
                {"name": "Second signer", "mobile": "+33 6 22 33 44 55", "country_id": env.ref("base.fr").id}
            )
            self.created["res.partner"].append(second_signer.id)
            deliverable = env["pbd.deliverable"].browse(deliverable_id)
            second = env["pbd.signature.request"]._get_or_create(deliverable, second_signer)
            self.created["request"].append(second.id)
            codes = {}
            for request in (env["pbd.signature.request"].browse(first_id), second):
                self.assertTrue(request._send_code("Signer", "198.51.100.7", "race")[0])
                codes[request.id] = re.search(r"\b(\d{6})\b", twilio.calls[-1].form["Body"]).group(1)
            second_id = second.id
        with self.registry.cursor() as cr_first, self.registry.cursor() as cr_second:
            env_first = api.Environment(cr_first, SUPERUSER_ID, {})
            env_second = api.Environment(cr_second, SUPERUSER_ID, {})
            cr_second.execute("SELECT count(*) FROM pbd_signature_request")  # its snapshot, taken now
            ok, _message = (
                env_first["pbd.signature.request"]
                .browse(first_id)
                ._verify_and_sign(codes[first_id], "198.51.100.7", "race")
            )
            self.assertTrue(ok)
            cr_first.commit()
            try:
                env_second["pbd.signature.request"].browse(second_id)._verify_and_sign(
                    codes[second_id], "198.51.100.8", "race"
                )
                env_second.flush_all()
                outcome = "signed on a stale snapshot"
            except odoo.service.model.PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                outcome = "serialization failure"
            self.assertEqual(outcome, "serialization failure")
            cr_second.rollback()
            env_second.invalidate_all()
            ok, message = (
                env_second["pbd.signature.request"]
                .browse(second_id)
                ._verify_and_sign(codes[second_id], "198.51.100.8", "race")
            )
            self.assertFalse(ok, "retried: the document is signed already")
            self.assertIn("already signed", message)
            cr_second.commit()
        with self._env() as env:
            signed = env["pbd.signature.request"].search(
                [("deliverable_id", "=", deliverable_id), ("state", "=", "signed")]
            )
            self.assertEqual(signed.ids, [first_id], "one signature")
            self.assertTrue(env["pbd.evidence.log"]._verify_chain()[0])
