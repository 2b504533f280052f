"""What a French accountant can sign: right level, right sum, right words, a truthful history.

Every assertion reads the rendered email, SMS or letter, not only record counts.
"""

from contextlib import contextmanager
from datetime import date, datetime, time
import importlib.util

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.misc import file_path

from odoo.addons.mail.tests.common import MockEmail

from .common import PbdHttpTestCommon, PbdMainCompanyMixin, PbdTestCommon

LEVELS = ["courtesy", "friendly", "firm", "formal_notice", "manager"]


@tagged("post_install", "-at_install")
class TestFollowupRules(PbdTestCommon, MockEmail):
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
            {
                "pbd_ecb_rate": 2.15,
                "pbd_penalty_margin": 10.0,
                "pbd_ecb_rate_period": "2026-H2",
                "pbd_apply_penalties": True,
                "pbd_flat_fee": 40.0,
                "street": "12 rue de la République",
                "zip": "69002",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
                "company_registry": "123 456 789 00012",
                "vat": "FR40123456789",
                "phone": "+33 4 78 00 00 00",
            }
        )
        cls.client_company.write(
            {
                "mobile": "+33 6 12 34 56 78",
                "country_id": cls.env.ref("base.fr").id,
                "street": "3 quai Saint-Antoine",
                "zip": "69002",
                "city": "Lyon",
            }
        )
        cls.Run = cls.env["pbd.followup.run"]

    def _invoice(self, due, amount=1200.0, partner=None):
        with freeze_time("2026-10-01"):
            invoice = self._pbd_invoice(amount=amount, partner=partner, post=False, deliverables=[])
            invoice.invoice_date = "2026-10-01"
            invoice.invoice_payment_term_id = False
            invoice.invoice_date_due = due
            invoice.action_post()
        return invoice

    def _reached(self, invoice, key, day):
        invoice._pbd_bookkeeping_env().write(
            {"pbd_followup_level_id": self.levels[key].id, "pbd_followup_date": day}
        )

    def _history(self, partner=None, **domain):
        partner = partner or self.client_company
        return self.env["pbd.followup.history"].search(
            [("partner_id", "=", partner.id)] + [(k, "=", v) for k, v in domain.items()], order="id"
        )

    def _in_a_missing_language(self, partner):
        """Give ``partner`` a language the database lacks, as an import can (forms cannot)."""
        self.assertFalse(self.env["res.lang"]._lang_get("nl_NL"))
        self.env.cr.execute(SQL("UPDATE res_partner SET lang = 'nl_NL' WHERE id = %s", partner.id))
        partner.invalidate_recordset(["lang"])

    @contextmanager
    def _on(self, day):
        with freeze_time(day):
            self.env.cr._now = datetime.combine(fields.Date.to_date(day), time(9, 0))
            try:
                yield
            finally:
                self.env.cr._now = None

    def _send(self, day, partners=None):
        with self._on(day):
            return self.Run._run_for_partners(partners or self.client_company)

    # 1. Levels advance one at a time ------------------------------------
    def test_45_days_late_invoice_with_no_history_gets_the_first_reminder(self):
        invoice = self._invoice("2026-10-16")
        with self._on("2026-11-30"):  # 45 days late, the day the firm adopts the add-on
            self.client_company.invalidate_recordset()
            self.assertEqual(self.client_company.pbd_followup_next_level_id, self.levels["friendly"])
            self.assertEqual(self.client_company.pbd_followup_days_late, 45)
            self.assertIn("first reminder", self.client_company.pbd_followup_note)
            self.assertEqual(self.client_company.pbd_followup_channels, "Email")
            self.assertEqual(self.client_company.pbd_followup_contact_id, self.client_company)
            self.assertEqual(self.client_company.pbd_followup_mobile, "+33612345678")
            self.assertEqual(self.client_company.pbd_followup_amount_due, 1200.0)
            self.assertEqual(self.client_company.pbd_overdue_amount, 1200.0)
        self._send("2026-11-30")
        history = self._history()
        self.assertEqual(set(history.level_id), {self.levels["friendly"]})
        self.assertEqual(history.channel, "email")
        self.assertEqual(invoice.pbd_followup_level_id, self.levels["friendly"])
        body = history.mail_id.body_html
        self.assertNotIn("formal notice", body.lower())
        self.assertNotIn("Despite", body)

    def test_levels_advance_one_at_a_time_with_a_minimum_gap(self):
        invoice = self._invoice("2026-10-01")
        self._send("2026-11-15")  # 45 days late: the first reminder
        self.assertEqual(invoice.pbd_followup_level_id, self.levels["friendly"])
        self.assertEqual(invoice.pbd_followup_next_date, date(2026, 11, 22), "7 days after the friendly one")
        self._send("2026-11-18")
        self.assertEqual(len(self._history(channel="email")), 1, "too soon after the previous level")
        self._send("2026-11-22")
        self.assertEqual(
            invoice.pbd_followup_level_id, self.levels["firm"], "the next level, not the formal notice"
        )
        self._send("2026-11-29")
        self.assertEqual(invoice.pbd_followup_level_id, self.levels["formal_notice"])

    def test_a_formal_notice_is_never_the_first_message(self):
        for key in ("courtesy", "friendly", "firm"):
            self.levels[key].sudo().active = False
        invoice = self._invoice("2026-10-01")
        self._send("2026-11-30")
        self.assertFalse(self._history())
        self.assertFalse(invoice.pbd_followup_level_id)

    # 2. What is claimed is what is due ------------------------------------
    def test_formal_notice_never_includes_a_not_yet_due_invoice_in_the_sum(self):
        late = self._invoice("2026-10-01", amount=1000.0)
        self._reached(late, "firm", "2026-11-10")
        due_today = self._invoice("2026-11-30", amount=2000.0)
        next_month = self._invoice("2026-12-31", amount=3200.0)
        self._send("2026-11-30")  # 60 days late: formal notice
        history = self._history(channel="email")
        self.assertEqual(history.level_id, self.levels["formal_notice"])
        self.assertEqual(history.amount_due, 1000.0)
        # 1 000 € × 12.15 % × 60 / 365 = 19.97 € + 40 € flat fee = 1 059.97 €
        self.assertAlmostEqual(history.penalty_amount, 59.97, places=2)
        body = history.mail_id.body_html
        self.assertIn("1,059.97", body, "principal + interest + flat fee")
        self.assertNotIn("6,200.00", body)
        self.assertNotIn("7,259.97", body)
        claim, info = body.split("For information")
        self.assertIn(late.name, claim)
        self.assertNotIn(due_today.name, claim)
        self.assertNotIn(next_month.name, claim)
        self.assertIn(due_today.name, info)
        self.assertIn("3,200.00", info)
        self.assertIn("Yours faithfully,", body, "a formal notice closes formally")
        self.assertNotIn("Kind regards", body)
        letter = self._history(channel="letter").letter_id.raw.decode()
        for text in ("Principal", "19.97", "40.00", "1,059.97", "Total claimed"):
            self.assertIn(text, letter)
        self.assertNotIn(next_month.name, letter.split("For information")[0])

    def test_courtesy_reminder_has_no_penalty_columns_or_clause(self):
        self._invoice("2026-12-10")
        with self._on("2026-12-07"):
            self.Run._cron_run()
        history = self._history()
        self.assertEqual(history.level_id, self.levels["courtesy"])
        body = history.mail_id.body_html
        self.assertNotIn("L441-10", body)
        self.assertNotIn("Interest", body)
        self.assertNotIn("Days late", body)
        self.assertIn("1,200.00", body)

    # 3. Nothing to send is not a success ------------------------------------
    def test_nothing_to_send_says_what_happens_next_and_creates_no_run(self):
        self._invoice("2026-12-20")
        self.client_company.pbd_promise_date = date(2026, 12, 15)
        with self._on("2026-11-30"):
            action = self.client_company.action_pbd_followup_send()
        self.assertEqual(action["params"]["type"], "info")
        message = action["params"]["message"]
        self.assertIn("next follow-up on 12/17/2026 (Courtesy reminder)", message)
        self.assertIn("promise to pay by 12/15/2026", message)
        with self._on("2026-11-30"):
            self.assertFalse(self.Run._cron_run().filtered(lambda run: not run.history_ids))
        self.assertFalse(self.Run.search([("partner_count", "=", 0)]))
        self.assertFalse(self.Run.search([]).filtered(lambda run: not run.history_ids))

    # 4. Right recipient and words ------------------------------------
    def test_email_to_the_invoice_contact_greeted_by_name(self):
        invoice = self._invoice("2026-10-20", partner=self.client_contact)
        self._send("2026-11-12")
        mail = self._history(channel="email").mail_id
        self.assertEqual(mail.recipient_ids, self.client_contact)
        self.assertIn("Hello Claire Lefèvre,", mail.body_html)
        self.assertNotIn("Hello Lefèvre Architectes", mail.body_html)
        self.assertIn(invoice.name, mail.body_html)

    def test_sms_only_to_a_mobile_of_the_contact(self):
        invoice = self._invoice("2026-10-20")
        self._reached(invoice, "friendly", "2026-11-01")
        self.client_company.write({"mobile": False, "phone": "+33 4 78 12 34 56"})  # the office landline
        self._send("2026-11-12")
        sms = self._history(channel="sms")
        self.assertEqual(sms.state, "error")
        self.assertIn("No mobile number known", sms.error)
        self.assertIn("landline", sms.error)
        self.assertFalse(sms.sms_id)

    def test_sms_goes_to_the_contact_mobile(self):
        self.client_contact.write({"mobile": "06 98 76 54 32", "country_id": self.env.ref("base.fr").id})
        invoice = self._invoice("2026-10-20", partner=self.client_contact)
        self._reached(invoice, "friendly", "2026-11-01")
        self._send("2026-11-12")
        sms = self._history(channel="sms")
        self.assertEqual(sms.state, "queued")
        self.assertEqual(sms.sms_id.number, "+33698765432")
        self.assertIn("1,200.00", sms.sms_id.body)

    # 5. The history tells the truth ------------------------------------
    def test_a_failed_email_shows_as_failed_in_the_history(self):
        self.client_company.email = "lefevre-architectes.example.com"  # no @: the server refuses it
        self._invoice("2026-10-20")
        self._send("2026-11-12")
        history = self._history(channel="email")
        self.assertEqual(history.state, "queued")
        with self.mock_mail_gateway():
            history.mail_id.send(raise_exception=False)
        self.assertEqual(history.mail_id.state, "exception")
        self.assertEqual(history.state, "error")
        self.assertTrue(history.error)

    def test_a_bounced_email_shows_as_bounced_in_the_history(self):
        self._invoice("2026-10-20")
        self._send("2026-11-12")
        history = self._history(channel="email")
        with self.mock_mail_gateway():
            history.mail_id.send()
        self.assertEqual(history.state, "sent")
        self.env["mail.thread"]._routing_handle_bounce(
            None,
            {
                "bounced_email": "contact@lefevre.example.com",
                "bounced_partner": self.client_company,
                "bounced_msg_ids": [history.mail_id.message_id],
                "bounced_message": history.mail_id.mail_message_id,
                "email_from": "MAILER-DAEMON@example.com",
                "to": "bounce@example.com",
                "message_id": "<bounce-1@example.com>",
                "body": "<p>550 5.1.1 mailbox unavailable</p>",
            },
        )
        self.assertEqual(history.state, "bounced")
        self.assertIn("550 5.1.1", history.error)

    def test_a_failed_sms_shows_as_failed_in_the_history(self):
        self.client_contact.write({"mobile": "06 98 76 54 32", "country_id": self.env.ref("base.fr").id})
        invoice = self._invoice("2026-10-20", partner=self.client_contact)
        self._reached(invoice, "friendly", "2026-11-01")
        self._send("2026-11-12")
        history = self._history(channel="sms")
        self.assertEqual(history.state, "queued")
        history.sms_id._update_sms_state_and_trackers("error", failure_type="sms_number_format")
        self.assertEqual(history.state, "error")
        self.assertEqual(history.error, "Wrong Number Format")

    def test_a_sent_email_shows_as_sent_and_a_call_stays_planned(self):
        invoice = self._invoice("2026-10-20")
        self._reached(invoice, "friendly", "2026-11-01")
        self._send("2026-11-12")
        email = self._history(channel="email")
        with self.mock_mail_gateway():
            email.mail_id.send()
        self.assertEqual(email.state, "sent")
        call = self._history(channel="call")
        self.assertEqual(call.state, "planned")
        with freeze_time("2026-11-12"):
            self.env["pbd.followup.call.outcome"].create(
                {"partner_id": self.client_company.id, "outcome": "no_answer"}
            ).action_confirm()
        self.assertEqual(call.state, "done")
        self.assertEqual(call.result, "No answer")

    # 6. Review before sending ------------------------------------
    def test_confirmation_lists_level_channels_amount_and_previews(self):
        late = self._invoice("2026-10-01", amount=1000.0)
        self._reached(late, "firm", "2026-11-10")
        with self._on("2026-11-30"):
            action = self.client_company.action_pbd_followup_send()
            wizard = self.env["pbd.followup.send"].browse(action["res_id"])
            line = wizard.line_ids
            self.assertEqual(line.level_id, self.levels["formal_notice"])
            self.assertEqual(line.channels, "Email, Letter")
            self.assertEqual(line.amount_overdue, 1000.0)
            self.assertAlmostEqual(line.amount_claimed, 1059.97, places=2)
            self.assertIn("formal notice", line.email_preview)
            self.assertIn("Formal notice to pay", line.letter_preview)
            self.assertFalse(self._history(), "nothing is sent by the preview")
            with self.assertRaises(UserError):
                wizard.action_send()
            self.assertFalse(self._history())
            wizard.confirm_formal_notice = True
            wizard.action_send()
        self.assertEqual(set(self._history().mapped("channel")), {"email", "letter"})

    # 7. Letters that can be posted ------------------------------------
    def test_the_letter_has_the_sender_block_and_no_links(self):
        late = self._invoice("2026-10-01", amount=1000.0)
        self._reached(late, "firm", "2026-11-10")
        self.client_company.pbd_followup_responsible_id = self.env.user
        run = self._send("2026-11-30")
        letter = self._history(channel="letter")
        html = letter.letter_id.raw.decode()
        sender = html.split("o_pbd_recipient")[0]
        for text in (
            self.company.name,
            "12 rue de la République",
            "SIREN/SIRET",
            "123 456 789 00012",
            "FR40123456789",
        ):
            self.assertIn(text, sender)
        self.assertIn("+33 4 78 00 00 00", sender)
        self.assertIn("3 quai Saint-Antoine", html)
        self.assertIn("Lyon, November 30, 2026", html)
        self.assertIn("Subject:", html)
        self.assertIn(late.name, html.split("References:")[1])
        self.assertIn(self.env.user.name, html.split("o_pbd_signatory")[1])
        self.assertNotIn("Pay online", html)
        self.assertNotIn(late._get_pbd_pay_url(), html.replace("&amp;", "&").split("data:image")[0])
        self.assertIn("data:image/png;base64,", html, "the pay link as a QR code")
        self.assertEqual(run.action_view_letters()["url"], f"/web/content/{run.letter_id.id}?download=true")
        self.assertEqual(
            letter.action_pbd_open_letter()["url"], f"/web/content/{run.letter_id.id}?download=true"
        )
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.client_company.id),
                ("summary", "=", "Post the registered letter"),
            ]
        )
        self.assertEqual(len(activity.attachment_ids), 1, "the client's own letter")
        own_letter = activity.attachment_ids.raw.decode()
        self.assertIn("Formal notice to pay", own_letter)
        self.assertIn(self.client_company.name, own_letter)
        self.assertIn(self.client_company.name, activity.attachment_ids.name)
        email = self._history(channel="email").mail_id.body_html
        self.assertIn("registered post", email)

    def test_a_letter_of_the_daily_job_is_signed_and_posted_by_a_person_of_the_firm(self):
        """The job runs as OdooBot: a client with no follow-up responsible nor salesperson
        gets a formal notice signed by the firm's billing administrator, who is asked to
        post it. OdooBot signs nothing and is given no task."""
        late = self._invoice("2026-10-01", amount=1000.0)
        self._reached(late, "firm", "2026-11-10")
        self.levels["formal_notice"].sudo().auto_execute = True
        self.client_company.write({"pbd_followup_responsible_id": False, "user_id": False})
        bot = self.env.ref("base.user_root")
        with self._on("2026-11-30"):
            self.Run.with_user(bot).with_company(self.company)._cron_run()
        html = self._history(channel="letter").letter_id.raw.decode()
        signatory = html.split("o_pbd_signatory")[1]
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.client_company.id),
                ("summary", "=", "Post the registered letter"),
            ]
        )
        person = activity.user_id
        self.assertEqual(len(activity), 1)
        self.assertNotEqual(person, bot)
        self.assertFalse(person.share)
        self.assertTrue(person.has_group("account.group_account_manager"), "a billing administrator")
        self.assertIn(self.company, person.company_ids)
        self.assertNotIn(bot.name, signatory)
        self.assertIn(person.name, signatory)
        # Positive control: the client's follow-up responsible, when set, signs and posts.
        julie = self.env["res.users"].create(
            {
                "name": "Julie Moreau",
                "login": "pbd_julie",
                "company_id": self.company.id,
                "company_ids": [(6, 0, self.company.ids)],
                "groups_id": [(6, 0, self.env.ref("account.group_account_invoice").ids)],
            }
        )
        self.client_company.pbd_followup_responsible_id = julie
        self.assertEqual(self.client_company.with_user(bot)._pbd_followup_responsible(), julie)

    def test_a_client_in_a_language_the_database_lacks_stops_its_own_email_only(self):
        """Imported contacts may carry a language the database does not have (forms refuse
        it, imports and data files do not). Odoo cannot write an email in it: that client's
        history says why, and the other clients of the same level still get theirs (the run
        used to fail for the whole company, or the level's whole batch)."""
        late = self._invoice("2026-10-20")
        other_late = self._invoice("2026-10-20", partner=self.other_partner)
        self._in_a_missing_language(self.client_company)
        self._send("2026-11-12", self.client_company | self.other_partner)
        other = self._history(self.other_partner, channel="email")
        self.assertEqual(other.state, "queued")
        self.assertEqual(other.mail_id.state, "outgoing")
        self.assertIn(other_late.name, other.mail_id.body_html)
        failed = self._history(channel="email")
        self.assertEqual(failed.state, "error")
        self.assertIn("nl_NL", failed.error)
        self.assertFalse(failed.mail_id)
        self.assertEqual(failed.move_ids, late)

    def test_a_client_in_a_language_the_database_lacks_stops_its_own_sms_only(self):
        """The same for SMS (the firm reminder): a client's SMS that cannot be written fails
        in its own history; the other client of the level gets its SMS (the run used to fail
        for the whole company)."""
        late = self._invoice("2026-10-01")
        other_late = self._invoice("2026-10-01", partner=self.other_partner)
        self._reached(late, "friendly", "2026-11-01")
        self._reached(other_late, "friendly", "2026-11-01")
        self.other_partner.mobile = "+33 6 98 76 54 32"
        self._in_a_missing_language(self.client_company)
        self._send("2026-11-30", self.client_company | self.other_partner)
        other = self._history(self.other_partner, channel="sms")
        self.assertEqual(other.level_id, self.levels["firm"])
        self.assertEqual(other.state, "queued")
        self.assertEqual(other.sms_id.number, "+33698765432")
        self.assertIn("overdue. Pay online:", other.sms_id.body)
        self.assertIn(other_late._get_pbd_pay_url(), other.sms_id.body)
        failed = self._history(channel="sms")
        self.assertEqual(failed.level_id, self.levels["firm"])
        self.assertEqual(failed.state, "error")
        self.assertIn("nl_NL", failed.error)
        self.assertFalse(failed.sms_id)

    def test_french_letter_writes_the_date_out(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "payment_before_document")])._update_translations(
            ["fr_FR"], overwrite=True
        )
        self.client_company.lang = "fr_FR"
        late = self._invoice("2026-10-01", amount=1000.0)
        self._reached(late, "firm", "2026-11-10")
        self._send("2026-11-30")
        html = self._history(channel="letter").letter_id.raw.decode()
        self.assertIn("Lyon, le 30 novembre 2026", html)
        self.assertIn("Madame, Monsieur,", html)
        self.assertIn("Objet", html)
        self.assertIn("le second semestre 2026", html, "the rate's half-year in words")
        self.assertNotIn("2026-H2", html)

    # 8. Invoices carry the legal mentions ------------------------------------
    def test_invoice_carries_the_legal_mentions_for_professionals_only(self):
        invoice = self._invoice("2026-10-31")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.account_invoices", invoice.ids)[0]
            .decode()
        )
        self.assertIn("12.15", html)
        self.assertIn("L441-10", html)
        self.assertIn("40.00", html.split("o_pbd_legal_mentions")[1])
        self.assertIn("Early payment: no discount.", html)
        person = self.env["res.partner"].create({"name": "Jean Dupont", "email": "jean@example.com"})
        consumer = self._invoice("2026-10-31", partner=person)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.account_invoices", consumer.ids)[0]
            .decode()
        )
        self.assertNotIn("o_pbd_legal_mentions", html)
        self.assertNotIn("L441-10", html)

    # 9. Templates state no rule of their own ------------------------------------
    def test_email_and_letter_quote_the_margin_the_fee_and_the_deadline_of_the_settings(self):
        self.company.write({"pbd_penalty_margin": 12.0, "pbd_flat_fee": 55.0, "pbd_formal_notice_days": 15})
        late = self._invoice("2026-10-01", amount=1000.0)
        self._reached(late, "firm", "2026-11-10")
        self._send("2026-11-30")
        email = self._history(channel="email").mail_id.body_html
        letter = self._history(channel="letter").letter_id.raw.decode()
        for html in (email, letter):
            self.assertIn("plus 12 points", html)
            self.assertNotIn("plus 10 points", html)
            self.assertIn("55.00", html.split("o_pbd_legal")[1], "the flat fee of the settings")
            self.assertIn("within 15 days", " ".join(html.split()))
            self.assertNotIn("within 8 days", " ".join(html.split()))
        self.assertIn("14.15", letter, "the rate: ECB 2.15 + 12 points")
        self.assertEqual(letter.count("<p>Madam, Sir,</p>"), 1, "one greeting")

    def test_a_margin_with_decimals_is_written_as_such(self):
        self.company.pbd_penalty_margin = 10.5
        late = self._invoice("2026-10-01", amount=1000.0)
        self._reached(late, "friendly", "2026-11-01")
        self._send("2026-11-30")
        email = self._history(channel="email").mail_id.body_html
        self.assertIn("plus 10.50 points", email)
        invoice_html = (
            self.env["ir.actions.report"]._render_qweb_html("account.account_invoices", late.ids)[0].decode()
        )
        self.assertIn("plus 10.50 points", invoice_html)

    def test_the_half_year_is_chosen_from_a_list_in_words(self):
        with self._on("2026-11-30"):
            selection = dict(self.company._pbd_half_year_selection())
            self.assertEqual(selection["2026-H2"], "Second half of 2026")
            self.assertEqual(selection["2024-H1"], "First half of 2024")
            self.assertEqual(selection["2027-H2"], "Second half of 2027")
            self.assertNotIn("2023-H2", selection)
            # A value stored before (free text) stays valid, shown as it was typed.
            self.env.cr.execute(
                "UPDATE res_company SET pbd_ecb_rate_period = 'S2 2025' WHERE id = %s", [self.company.id]
            )
            self.company.invalidate_recordset(["pbd_ecb_rate_period"])
            selection = dict(self.company._pbd_half_year_selection())
            self.assertEqual(selection["S2 2025"], "S2 2025")
            settings = self.env["res.config.settings"].with_company(self.company).create({})
            self.assertEqual(settings.pbd_ecb_rate_period, "S2 2025")
            settings.pbd_ecb_rate_period = "2027-H1"
            settings.execute()
            self.assertEqual(self.company.pbd_ecb_rate_period, "2027-H1")
            self.assertEqual(self.company._pbd_half_year_label(date(2026, 11, 30)), "the first half of 2027")
            self.env["res.lang"]._activate_lang("fr_FR")
            self.env["ir.module.module"].search(
                [("name", "=", "payment_before_document")]
            )._update_translations(["fr_FR"], overwrite=True)
            self.assertEqual(
                self.company.with_context(lang="fr_FR")._pbd_half_year_label(date(2026, 11, 30)),
                "le premier semestre 2027",
            )

    def test_run_and_file_names_carry_the_date_as_the_reader_writes_it(self):
        late = self._invoice("2026-10-01", amount=1000.0)
        self._reached(late, "firm", "2026-11-10")
        run = self._send("2026-11-30")
        self.assertEqual(run.name, "November 30, 2026 – After review")
        self.assertEqual(run.letter_id.name, "Follow-up letters 11-30-2026.pdf")
        activity = self.env["mail.activity"].search(
            [("res_id", "=", self.client_company.id), ("summary", "=", "Post the registered letter")]
        )
        self.assertEqual(
            activity.attachment_ids.name, f"Formal notice {self.client_company.name} 11-30-2026.pdf"
        )
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "payment_before_document")])._update_translations(
            ["fr_FR"], overwrite=True
        )
        run.invalidate_recordset(["name"])
        self.assertEqual(run.with_context(lang="fr_FR").name, "30 novembre 2026 – Après revue")

    def test_a_french_run_writes_the_history_and_the_file_names_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "payment_before_document")])._update_translations(
            ["fr_FR"], overwrite=True
        )
        self.company.partner_id.lang = "fr_FR"
        late = self._invoice("2026-10-01", amount=1000.0)
        self._reached(late, "firm", "2026-11-10")
        self.levels["formal_notice"].sudo().auto_execute = True
        with self._on("2026-11-30"):
            # The daily run of a French firm (its job runs as a user whose language is English).
            runs = self.Run.with_context(lang="en_US")._cron_run()
        self.assertTrue(runs.letter_id.name.startswith("Lettres de relance 30-11-2026"), runs.letter_id.name)
        email_row = self._history(channel="email")
        self.assertEqual(email_row.result, f"À {self.client_company.email}")
        self.assertEqual(
            dict(email_row._fields["state"]._description_selection(email_row.with_context(lang="fr_FR").env))[
                email_row.state
            ],
            "En file d'attente",
        )

    def test_action_needed_is_one_rule_for_the_status_its_search_and_the_run(self):
        # 5 days late and never reminded: the courtesy reminder is skipped, the
        # first reminder is due 7 days after the due date (not yet).
        self._invoice("2026-11-25", amount=700.0)
        with self._on("2026-11-30"):
            self.client_company.invalidate_recordset()
            self.assertEqual(self.client_company.pbd_followup_status, "waiting")
            Partner = self.env["res.partner"]
            self.assertNotIn(self.client_company, Partner.search([("pbd_followup_status", "=", "action")]))
            self.assertIn(self.client_company, Partner.search([("pbd_followup_status", "=", "waiting")]))
            self.assertFalse(self.Run._run_for_partners(self.client_company), "nothing sent")
        with self._on("2026-12-02"):
            self.client_company.invalidate_recordset()
            self.assertEqual(self.client_company.pbd_followup_status, "action")
            self.assertIn(
                self.client_company, self.env["res.partner"].search([("pbd_followup_status", "=", "action")])
            )
            self.assertTrue(self.Run._run_for_partners(self.client_company))


@tagged("post_install", "-at_install")
class TestFollowupRulesMainCompany(PbdMainCompanyMixin, TestFollowupRules):
    """The same on the company that existed before the add-on was installed (its shipped levels)."""

    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestInvoiceLegalMentionsOnThePortal(PbdHttpTestCommon):
    def test_the_portal_invoice_page_shows_the_legal_mentions(self):
        self.company.write({"pbd_apply_penalties": True, "pbd_ecb_rate": 2.15, "pbd_penalty_margin": 10.0})
        invoice = self._pbd_invoice(amount=900.0)
        invoice._portal_ensure_token()
        self.authenticate("pbd_client", "pbd_client")
        page = self.url_open(invoice.get_portal_url(report_type="html"))
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_pbd_legal_mentions", page.text)
        self.assertIn("12.15", page.text)
        self.assertIn("L441-10", page.text)
        self.assertIn("Early payment: no discount.", page.text)


@tagged("post_install", "-at_install")
class TestFollowupTextsMigration(PbdTestCommon):
    """18.0.1.2.0 refreshes the shipped texts nobody edited, translations included."""

    def _migration(self):
        path = file_path("payment_before_document/migrations/18.0.1.2.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("pbd_post_migrate_18_0_1_2_0", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def test_unedited_texts_are_refreshed_edited_ones_kept(self):
        self.env = api.Environment(self.env.cr, SUPERUSER_ID, {})  # as the upgrade runs
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "payment_before_document")])._update_translations(
            ["fr_FR"], overwrite=True
        )
        notice = self.env.ref("payment_before_document.pbd_followup_level_formal_notice")
        shipped_body = notice.letter_body
        shipped_fr = notice.with_context(lang="fr_FR").letter_body
        # The old release's letter text began with its own greeting.
        old = "<div><p>Madam, Sir,</p><p>Despite our reminders, the invoices remain unpaid.</p></div>"
        notice.write({"letter_body": old})
        notice.with_context(lang="fr_FR").write(
            {"letter_body": old.replace("Madam, Sir,", "Madame, Monsieur,")}
        )
        # A template a person edited stays as they wrote it.
        friendly = self.env.ref("payment_before_document.mail_template_followup_friendly")
        accountant = self.env.ref("base.user_admin")
        friendly.with_user(accountant).write({"subject": "Our own subject"})
        self.assertEqual(notice.write_uid.id, SUPERUSER_ID)

        refreshed = self._migration().refresh_shipped_records(self.env)

        self.assertIn("payment_before_document.pbd_followup_level_formal_notice", refreshed)
        self.assertNotIn("payment_before_document.mail_template_followup_friendly", refreshed)
        notice.invalidate_recordset()
        self.assertEqual(notice.letter_body, shipped_body)
        self.assertEqual(notice.with_context(lang="fr_FR").letter_body, shipped_fr)
        self.assertNotIn("Madame, Monsieur", notice.with_context(lang="fr_FR").letter_body)
        self.assertEqual(friendly.subject, "Our own subject")
        imd = self.env["ir.model.data"].search(
            [("module", "=", "payment_before_document"), ("name", "=", "pbd_followup_level_formal_notice")]
        )
        self.assertTrue(imd.noupdate, "still protected from the next upgrades")
