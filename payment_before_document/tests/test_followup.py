"""Follow-up levels over a frozen timeline: channels, grouping, pauses."""

from contextlib import contextmanager
from datetime import date, datetime, time

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import PbdMainCompanyMixin, PbdTestCommon, PbdTwilioMixin

LEVELS = ["courtesy", "friendly", "firm", "formal_notice", "manager"]


@tagged("post_install", "-at_install")
class TestFollowup(PbdTwilioMixin, PbdTestCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.levels = {}
        for key in LEVELS:
            default = cls.env.ref(f"payment_before_document.pbd_followup_level_{key}").sudo()
            level = (
                default
                if default.company_id == cls.company
                else default.copy({"company_id": cls.company.id, "name": default.name})
            )
            cls.levels[key] = level.sudo(False)
        cls.company.write(
            {"pbd_ecb_rate": 2.15, "pbd_penalty_margin": 10.0, "pbd_ecb_rate_period": "2026-H2"}
        )
        cls.client_company.write({"mobile": "+33 6 12 34 56 78", "country_id": cls.env.ref("base.fr").id})
        cls.Run = cls.env["pbd.followup.run"]

    def _invoice(self, due, amount=1200.0, partner=None, deliverables=None):
        with freeze_time("2026-10-01"):
            invoice = self._pbd_invoice(
                amount=amount, partner=partner, post=False, deliverables=deliverables or []
            )
            invoice.invoice_date = "2026-10-01"
            invoice.invoice_date_due = due
            invoice.invoice_payment_term_id = False
            invoice.invoice_date_due = due
            invoice.action_post()
        self.assertEqual(invoice.invoice_date_due, fields.Date.to_date(due))
        return invoice

    def _history(self, partner=None, **domain):
        partner = partner or self.client_company
        return self.env["pbd.followup.history"].search(
            [("partner_id", "=", partner.id)] + [(k, "=", v) for k, v in domain.items()], order="id"
        )

    @contextmanager
    def _on(self, day):
        """Freeze Python's clock and the transaction's SQL now() on ``day``."""
        with freeze_time(day):
            self.env.cr._now = datetime.combine(fields.Date.to_date(day), time(9, 0))
            try:
                yield
            finally:
                self.env.cr._now = None

    def _cron(self, day):
        with self._on(day):
            return self.Run._cron_run()

    def _send(self, day, partners=None):
        with self._on(day):
            return self.Run._run_for_partners(partners or self.client_company)

    def _reached(self, invoice, key, day):
        """As if the run of ``day`` had sent level ``key`` for this invoice (levels advance one at a time)."""
        invoice._pbd_bookkeeping_env().write(
            {"pbd_followup_level_id": self.levels[key].id, "pbd_followup_date": day}
        )

    # ------------------------------------------------------------------
    def test_reminder_sms_go_through_odoos_queue_as_the_company_chose(self):
        """The firm level's SMS waits in Odoo's SMS queue; Odoo sends it via the company's Twilio."""
        self._pbd_twilio_setup(self.company)
        invoice = self._invoice("2026-10-20")
        self._reached(invoice, "friendly", "2026-11-01")
        self._send("2026-11-12")  # 23 days late, after the friendly reminder: the firm level, with an SMS
        sms = self._history(channel="sms").sms_id
        self.assertEqual((sms.state, sms.record_company_id), ("outgoing", self.company))
        with self._twilio() as twilio:
            sms.send(unlink_sent=False)
        call = twilio.calls[-1]
        self.assertEqual(call.path, f"/2010-04-01/Accounts/{self.TWILIO_SID}/Messages.json")
        self.assertEqual((call.form["To"], call.form["From"]), ("+33612345678", self.TWILIO_FROM_FR))
        self.assertIn("/sms_twilio/status/", call.form["StatusCallback"], "Odoo's own request")
        self.assertEqual(sms.state, "pending")

    def test_timeline_from_courtesy_to_formal_notice(self):
        invoice = self._invoice("2026-11-10")
        self.assertEqual(invoice.pbd_followup_next_date, date(2026, 11, 7))
        # Before the courtesy date: nothing.
        self._cron("2026-11-06")
        self.assertFalse(self._history())
        # Three days before the due date: courtesy email, unattended.
        self._cron("2026-11-07")
        history = self._history()
        self.assertEqual(history.mapped("channel"), ["email"])
        self.assertEqual(history.level_id, self.levels["courtesy"])
        self.assertEqual(history.create_date.date(), date(2026, 11, 7), "SQL now() follows the frozen clock")
        self.assertEqual(invoice.pbd_followup_level_id, self.levels["courtesy"])
        self.assertEqual(invoice.pbd_followup_next_date, date(2026, 11, 17))
        # The same day again, and the next: nothing twice.
        self._cron("2026-11-07")
        self._cron("2026-11-08")
        self.assertEqual(len(self._history()), 1)
        # Due + 7: friendly reminder, unattended.
        self._cron("2026-11-17")
        self.assertEqual(self._history(level_id=self.levels["friendly"].id).channel, "email")
        # Due + 20: the firm level waits for review: the cron leaves it.
        self._cron("2026-11-30")
        self.assertFalse(self._history(level_id=self.levels["firm"].id))
        with freeze_time("2026-11-30"):
            self.client_company.invalidate_recordset()
            self.assertEqual(self.client_company.pbd_followup_status, "action")
            self.assertIn(
                self.client_company,
                self.env["res.partner"].search([("pbd_followup_status", "=", "action")]),
            )
        self._send("2026-11-30")
        firm = self._history(level_id=self.levels["firm"].id)
        self.assertEqual(sorted(firm.mapped("channel")), ["call", "email", "sms"])
        self.assertEqual(
            {h.channel: h.state for h in firm}, {"email": "queued", "sms": "queued", "call": "planned"}
        )
        sms = firm.filtered(lambda h: h.channel == "sms").sms_id
        self.assertEqual(sms.number, "+33612345678")
        self.assertIn("1,200.00", sms.body)
        call = firm.filtered(lambda h: h.channel == "call").activity_id
        self.assertEqual(call.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertIn("Call script", call.note)
        # Due + 35: formal notice, email and letter.
        run = self._send("2026-12-15")
        notice = self._history(level_id=self.levels["formal_notice"].id)
        self.assertEqual(sorted(notice.mapped("channel")), ["email", "letter"])
        self.assertTrue(run.letter_id)
        letter = notice.filtered(lambda h: h.channel == "letter")
        self.assertEqual(letter.letter_id, run.letter_id)
        # (Test mode renders reports as HTML rather than through wkhtmltopdf.)
        letter_text = run.letter_id.raw.decode()
        self.assertIn("Formal notice to pay", letter_text)
        self.assertIn("Registered letter", letter_text)
        self.assertIn(invoice.name, letter_text)
        self.assertIn("L441-10", letter_text)
        # Due + 50: handed over to a manager.
        self._send("2026-12-30")
        manager = self._history(level_id=self.levels["manager"].id)
        self.assertEqual(manager.channel, "manager")
        self.assertEqual(manager.activity_id.user_id, self.levels["manager"].manager_id)
        # History per invoice.
        self.assertEqual(len(invoice.pbd_followup_history_ids), len(self._history()))

    def test_late_invoice_starts_at_the_first_reminder_and_never_repeats_one(self):
        invoice = self._invoice("2026-10-15")
        self._cron("2026-11-01")  # 17 days late: friendly (unattended), not courtesy
        self.assertEqual(self._history().level_id, self.levels["friendly"])
        self.assertEqual(invoice.pbd_followup_level_id, self.levels["friendly"])

    def test_one_communication_per_client_listing_all_overdue_invoices(self):
        first = self._invoice("2026-10-28", amount=1000.0)
        second = self._invoice("2026-11-01", amount=500.0)
        third = self._invoice("2026-11-05", amount=250.0)
        with self.mock_mail_gateway():
            self._cron("2026-11-12")  # 15, 11 and 7 days late: all at the friendly level
        history = self._history()
        self.assertEqual(len(history), 1, "one email for the client, not one per invoice")
        self.assertEqual(history.move_ids, first + second + third)
        self.assertEqual(history.amount_due, 1750.0)
        self.assertEqual((first + second + third).pbd_followup_level_id, self.levels["friendly"])
        body = history.mail_id.body_html
        for invoice in first + second + third:
            self.assertIn(invoice.name, body)

    def test_penalties_in_the_email_to_the_cent(self):
        invoice = self._invoice("2026-10-13", amount=1000.0)
        self._send("2026-11-12")  # 30 days late, never reminded: the first reminder, sent after review
        history = self._history(channel="email")
        self.assertEqual(history.level_id, self.levels["friendly"])
        # 1 000 € × 12.15 % × 30 / 365 = 9.99 € interest + 40 € flat fee
        self.assertAlmostEqual(history.penalty_amount, 49.99, places=2)
        body = history.mail_id.body_html
        self.assertIn("12.15", body)
        self.assertIn("L441-10", body)
        self.assertIn("9.99", body)
        self.assertIn("40.00", body)
        self.assertIn("1,049.99", body, "total claimed: principal + interest + flat fee")
        self.assertIn(invoice.name, body)

    def test_consumers_get_no_penalties(self):
        person = self.env["res.partner"].create({"name": "Jean Dupont", "email": "jean@example.com"})
        self._invoice("2026-10-13", partner=person)
        self._send("2026-11-12", person)
        history = self._history(person, channel="email")
        self.assertEqual(history.penalty_amount, 0.0)
        self.assertNotIn("L441-10", history.mail_id.body_html)

    def test_paid_meanwhile_gets_nothing(self):
        invoice = self._invoice("2026-10-20")
        with freeze_time("2026-11-12"):
            self.client_company.invalidate_recordset()
            self.assertEqual(self.client_company.pbd_followup_status, "action")
            self._pbd_pay(invoice)  # paid an hour before the accountant clicks "Send"
            runs = self.Run._run_for_partners(self.client_company)
        self.assertEqual(runs.partner_count, 0)
        self.assertFalse(self._history())

    def test_promise_to_pay_pauses_until_the_date(self):
        self._invoice("2026-10-20")
        with freeze_time("2026-11-12"):
            wizard = Form(
                self.env["pbd.followup.call.outcome"].with_context(default_partner_id=self.client_company.id)
            )
            wizard.outcome = "promise"
            wizard.promise_date = date(2026, 11, 20)
            wizard.save().action_confirm()
        self.assertEqual(self.client_company.pbd_promise_date, date(2026, 11, 20))
        self._send("2026-11-15")
        self.assertFalse(self._history())
        self._send("2026-11-20")
        self.assertFalse(self._history(), "paused up to and including the promised day")
        self._send("2026-11-21")
        self.assertTrue(self._history())

    def test_promise_in_the_past_is_refused(self):
        with freeze_time("2026-11-12"):
            wizard = Form(
                self.env["pbd.followup.call.outcome"].with_context(default_partner_id=self.client_company.id)
            )
            wizard.outcome = "promise"
            wizard.promise_date = date(2026, 11, 1)
            with self.assertRaises(UserError):
                wizard.save().action_confirm()

    def test_dispute_from_a_call_leaves_the_invoice_out(self):
        disputed = self._invoice("2026-10-20")
        other = self._invoice("2026-10-25")
        with freeze_time("2026-11-12"):
            wizard = self.env["pbd.followup.call.outcome"].create(
                {
                    "partner_id": self.client_company.id,
                    "outcome": "dispute",
                    "move_ids": [Command.set(disputed.ids)],
                    "note": "Disagrees with the fee",
                }
            )
            wizard.action_confirm()
        self.assertTrue(disputed.pbd_dispute)
        self._cron("2026-11-12")
        history = self._history()
        self.assertEqual(history.move_ids, other)
        self.assertFalse(disputed.pbd_followup_level_id)

    def test_excluded_client_is_left_alone(self):
        self.client_company.pbd_followup_excluded = True
        self._invoice("2026-10-20")
        self._cron("2026-11-12")
        self.assertFalse(self._history())

    def test_errors_are_recorded_not_dropped(self):
        self.client_company.write({"email": False, "mobile": "12", "phone": False})
        invoice = self._invoice("2026-10-20")
        self._reached(invoice, "friendly", "2026-11-01")
        self._send("2026-11-12")  # 23 days late, firm level: email, SMS, call
        error = self._history(channel="email")
        self.assertEqual((error.state, error.error), ("error", "No email address."))
        self.assertEqual(self._history(channel="call").state, "planned")
        sms = self._history(channel="sms")
        self.assertEqual(sms.state, "error")
        self.assertIn("Invalid mobile number", sms.error)
        run = self.env["pbd.followup.run"].search([], limit=1)
        self.assertEqual(run.error_count, 2)

    def test_locked_documents_listed_with_pay_link_never_attached(self):
        invoice = self._invoice("2026-10-28", deliverables=[{"name": "Structural report"}])
        with self.mock_mail_gateway():
            self._cron("2026-11-12")
            self.env["mail.mail"].sudo().search([("model", "=", "res.partner")]).send()
        history = self._history()
        self.assertEqual(history.locked_document_count, 1)
        body = history.mail_id.body_html or self._mails[-1]["body"]
        self.assertIn("Structural report", body)
        self.assertIn(f"/my/invoices/{invoice.id}?access_token={invoice.access_token}", body)
        sent = [m for m in self._mails if "reminder" in m["subject"]]
        self.assertTrue(sent)
        self.assertFalse(sent[0]["attachments"])

    def test_french_client_gets_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "payment_before_document")])._update_translations(
            ["fr_FR"], overwrite=True
        )
        self.client_company.lang = "fr_FR"
        self._invoice("2026-10-28")
        self._cron("2026-11-04")  # friendly
        self._send("2026-11-17")  # firm
        self._send("2026-12-02")  # formal notice
        emails = self._history(channel="email").mail_id
        self.assertEqual(len(emails), 3)
        for mail in emails:
            self.assertIn("Madame, Monsieur", mail.body_html, "a company is greeted formally")
            self.assertIn("pénalités", mail.body_html)
        self.assertIn("mise en demeure", emails[-1].subject.lower())
        sms = self._history(channel="sms").sms_id
        self.assertIn("impayé", sms.body)
        # The call activity is for the firm's staff: in the language of who runs the follow-up.
        self.assertIn("Call script", self._history(channel="call").activity_id.note)
        letter_text = self._history(channel="letter").letter_id.raw.decode()
        self.assertIn("Mise en demeure de payer", letter_text)
        self.assertIn("Lettre recommandée", letter_text)
        self.assertIn("Code de commerce", letter_text)

    def test_call_script_in_french_for_a_french_speaking_accountant(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "payment_before_document")])._update_translations(
            ["fr_FR"], overwrite=True
        )
        # The test company's levels are copies: give them the shipped French texts.
        shipped = (
            self.env.ref("payment_before_document.pbd_followup_level_firm").sudo().with_context(lang="fr_FR")
        )
        self.levels["firm"].sudo().with_context(lang="fr_FR").write(
            {"name": shipped.name, "call_script": shipped.call_script}
        )
        invoice = self._invoice("2026-10-20")
        self._reached(invoice, "friendly", "2026-11-01")
        with self._on("2026-11-12"):
            self.Run.with_context(lang="fr_FR")._run_for_partners(self.client_company)
        call = self._history(channel="call").activity_id
        self.assertIn("Script d'appel", call.note)
        self.assertIn("Relance ferme", call.summary)

    def test_send_now_from_the_invoice(self):
        invoice = self._invoice("2026-10-20")
        with self._on("2026-11-12"):
            action = invoice.action_pbd_followup_send()
            self.assertEqual(action["res_model"], "pbd.followup.send", "a confirmation first")
            self.assertFalse(self._history())
            action = self.env["pbd.followup.send"].browse(action["res_id"]).action_send()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            self._history().level_id, self.levels["friendly"], "never reminded: the first reminder"
        )

    def test_changing_a_delay_reschedules_open_invoices(self):
        invoice = self._invoice("2026-11-10")
        self.assertEqual(invoice.pbd_followup_next_date, date(2026, 11, 7))
        self.levels["courtesy"].sudo().delay = -5  # a manager changes the ladder
        self.assertEqual(invoice.pbd_followup_next_date, date(2026, 11, 5))
        self._pbd_pay(invoice)
        self.assertFalse(invoice.pbd_followup_next_date)

    def test_follow_up_report_renders(self):
        self._invoice("2026-10-20")
        with freeze_time("2026-11-12"):
            html, _kind = self.env["ir.actions.report"]._render_qweb_html(
                "payment_before_document.action_report_pbd_followup_statement", self.client_company.ids
            )
        self.assertIn(b"Statement of account", html)
        self.assertIn(b"L441-10", html)


@tagged("post_install", "-at_install")
class TestFollowupMainCompany(PbdMainCompanyMixin, TestFollowup):
    """The same on the company that existed before the add-on was installed (its shipped levels)."""

    allow_inherited_tests_method = True
