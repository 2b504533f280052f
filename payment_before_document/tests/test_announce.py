"""The announcement wizard, in English and in French."""

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import PbdTestCommon


@tagged("post_install", "-at_install")
class TestAnnounce(PbdTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"].search([("name", "=", "payment_before_document")])._update_translations(
            ["fr_FR"], overwrite=True
        )
        cls.french = cls.env["res.partner"].create(
            {"name": "Cabinet Durand", "is_company": True, "email": "durand@example.com", "lang": "fr_FR"}
        )
        cls.english = cls.env["res.partner"].create(
            {"name": "Smith Consulting", "is_company": True, "email": "smith@example.com", "lang": "en_US"}
        )
        cls.no_email = cls.env["res.partner"].create({"name": "No Mail Ltd", "is_company": True})

    def _wizard(self, partners, **values):
        form = Form(
            self.env["pbd.access.announce"].with_context(active_model="res.partner", active_ids=partners.ids)
        )
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def _last_message(self, partner):
        return partner.message_ids.filtered(lambda m: m.message_type == "comment")[:1]

    def test_announce_in_each_clients_language_with_the_how_it_works_link(self):
        wizard = self._wizard(self.french + self.english + self.no_email)
        self.assertEqual(wizard.missing_email_count, 1)
        action = wizard.action_send()
        self.assertIn("2", action["params"]["message"])
        english = self._last_message(self.english)
        self.assertIn("/payment-before-access", english.body)
        self.assertIn("as soon as", english.body)
        french = self._last_message(self.french)
        self.assertIn("/payment-before-access", french.body)
        self.assertIn("dès que", french.body)
        self.assertIn("espace client", french.subject)
        self.assertFalse(self._last_message(self.no_email))
        # No transition offered: nothing else changes.
        self.assertEqual(self.french.pbd_access_policy, "pay_first")

    def test_transition_period_is_recorded_and_announced(self):
        wizard = self._wizard(self.english, offer_transition=True, transition_until="2027-03-31")
        wizard.action_send()
        self.assertEqual(self.english.pbd_access_policy, "trusted")
        self.assertEqual(str(self.english.pbd_trusted_until), "2027-03-31")
        self.assertTrue(self.english.pbd_trust_reason)
        self.assertIn("03/31/2027", self._last_message(self.english).body)

    def test_transition_needs_a_future_end_date(self):
        with self.assertRaisesRegex(ValidationError, "Choose an end date for the transition"):
            self._wizard(self.english, offer_transition=True, transition_until="2020-01-01")
