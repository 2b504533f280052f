"""The firm's first day: the demo looks like a French firm, the back office explains itself."""

import hashlib

from odoo import fields
from odoo.tests import TransactionCase, tagged

MODULE = "payment_before_document"
DEMO_DELIVERABLES = (
    "pbd_demo_deliverable_report",
    "pbd_demo_deliverable_takeoff",
    "pbd_demo_deliverable_feasibility",
    "pbd_demo_deliverable_interim",
    "pbd_demo_deliverable_final",
    "pbd_demo_deliverable_audit",
    "pbd_demo_deliverable_durand",
)


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo data loaded with the module (`make demo`, `make test`)."""

    def _ref(self, name):
        record = self.env.ref(f"{MODULE}.{name}", raise_if_not_found=False)
        self.assertTrue(record, f"the demo record {name} is loaded (make test installs the demo data)")
        return record

    def test_deliverables_are_distinct_french_files(self):
        deliverables = self.env["pbd.deliverable"].browse([self._ref(name).id for name in DEMO_DELIVERABLES])
        contents = {
            hashlib.sha256(d.with_context(bin_size=False).file).hexdigest() for d in deliverables.sudo()
        }
        self.assertEqual(len(contents), len(deliverables), "each demo deliverable is its own file")
        self.assertEqual(len(set(deliverables.mapped("file_name"))), len(deliverables))
        for deliverable in deliverables:
            self.assertNotRegex(deliverable.name, r"\b(report|study|note|file|survey|take-off)\b")
        report = self._ref("pbd_demo_deliverable_report")
        self.assertTrue(report.is_pdf)
        self.assertGreaterEqual(report.page_count, 6, "a report with a cover and a table of contents")
        self.assertFalse(self._ref("pbd_demo_deliverable_takeoff").is_pdf)

    def test_invoices_sent_by_a_person_of_the_firm(self):
        julie = self._ref("pbd_demo_user_julie")
        self.assertTrue(julie._is_internal())
        invoices = (
            self.env["account.move"]
            .search([("pbd_deliverable_ids", "!=", False)])
            .filtered(lambda move: move.get_external_id().get(move.id, "").startswith(MODULE))
        )
        self.assertTrue(invoices)
        for invoice in invoices:
            self.assertEqual(invoice.invoice_user_id, julie)
            self.assertTrue(invoice.is_move_sent, "a sent invoice is no pro forma")
            self.assertEqual(invoice.partner_id.lang, "fr_FR")

    def test_second_client_belongs_to_its_company(self):
        user = self._ref("pbd_demo_user_martin")
        company = self._ref("pbd_demo_partner_martin")
        self.assertEqual(user.partner_id.commercial_partner_id, company)
        invoices = self._ref("pbd_demo_invoice_martin") | self._ref("pbd_demo_invoice_martin_overdue")
        visible = self.env["account.move"].with_user(user).search([("move_type", "=", "out_invoice")])
        self.assertEqual(visible, invoices, "client2 sees its company's invoices and no other")

    def test_the_follow_up_has_work_to_review(self):
        """`make demo` shows the follow-up at work: Lefèvre, reminded twice already, is due
        a formal notice; Martin Conseil, 45 days late and never reminded, its first reminder."""
        lefevre = self._ref("pbd_demo_partner_lefevre")
        martin = self._ref("pbd_demo_partner_martin")
        company = self.env.ref("base.main_company")
        today = fields.Date.context_today(lefevre)
        actions = {
            action.partner: action.level
            for action in self.env["pbd.followup.run"].with_company(company)._compute_actions(company, today)
        }
        self.assertEqual(actions.get(lefevre), self.env.ref(f"{MODULE}.pbd_followup_level_formal_notice"))
        self.assertEqual(actions.get(martin), self.env.ref(f"{MODULE}.pbd_followup_level_friendly"))
        history = self.env["pbd.followup.history"].search([("partner_id", "=", lefevre.id)], order="date")
        self.assertEqual(history.level_id.mapped("name"), ["Friendly reminder", "Firm reminder"])
        self.assertEqual(history.move_ids, self._ref("pbd_demo_invoice_overdue"))
        self.assertIn(lefevre, self.env["res.partner"].search([("pbd_followup_status", "=", "action")]))

    def test_french_firm_only_on_the_french_demo(self):
        """`make demo` loads the French chart: the firm gets its French identity, VAT and
        French clients only. Without that chart (`make test`), Odoo's own demo data is left
        as it is: its partners stay active, its admin keeps its name."""
        self._ref("pbd_demo_invoice_unpaid")
        vat = self.env.ref("account.1_tva_normale_encaissement", raise_if_not_found=False)
        company = self.env.ref("base.main_company")
        self.assertTrue(company.logo)
        self.assertEqual(company.name, "Moreau Ingénierie")
        us_contacts = self.env["res.partner"].search(
            [("country_id.code", "=", "US"), ("user_ids", "=", False)]
        )
        invoice = self._ref("pbd_demo_invoice_unpaid")
        if not vat:
            self.assertFalse(invoice.invoice_line_ids.tax_ids)
            self.assertEqual(invoice.amount_total, 3200.0)
            base_partner = self.env.ref("base.res_partner_12", raise_if_not_found=False)
            if base_partner:
                self.assertTrue(base_partner.active, "Odoo's demo partners are left alone")
            return
        self.assertEqual(company.vat, "FR19812345676")
        self.assertEqual(company.partner_id.siret, "81234567600025")
        self.assertTrue(company.partner_id.bank_ids)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, vat)
        self.assertEqual(invoice.amount_total, 3840.0)
        self.assertFalse(us_contacts, "French clients only in the lists")
        self.assertFalse(self.env["mail.mail"].search([("state", "in", ("outgoing", "exception"))]))


@tagged("post_install", "-at_install")
class TestBackOffice(TransactionCase):
    def test_menus_in_one_section(self):
        section = self.env.ref(f"{MODULE}.menu_pbd_section")
        self.assertEqual(section.parent_id, self.env.ref("account.menu_finance"))
        menus = self.env["ir.model.data"].search(
            [("module", "=", MODULE), ("model", "=", "ir.ui.menu"), ("name", "!=", "menu_pbd_section")]
        )
        self.assertTrue(menus)
        for menu in self.env["ir.ui.menu"].browse(menus.mapped("res_id")):
            self.assertEqual(menu.parent_id, section, menu.name)
            self.assertTrue(menu.action.help, f"{menu.name}: an empty list explains what will appear")

    def test_stripe_log_menu_only_when_stripe_is_set_up(self):
        group = self.env.ref(f"{MODULE}.group_pbd_stripe_log")
        billing = self.env.ref("account.group_account_invoice")
        menu = self.env.ref(f"{MODULE}.menu_pbd_stripe_event")
        self.assertEqual(menu.groups_id, group)
        stripe = self.env["payment.provider"].search([("code", "=", "stripe")])
        stripe.write({"state": "disabled"})
        self.assertNotIn(group, billing.implied_ids)
        accountant = self.env["res.users"].create(
            {"name": "Billing", "login": "pbd_billing", "groups_id": [(6, 0, [billing.id])]}
        )
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(accountant)._visible_menu_ids())
        provider = stripe[:1] or self.env["payment.provider"].create({"name": "Stripe", "code": "stripe"})
        provider.write(
            {"state": "test", "stripe_publishable_key": "pk_test_x", "stripe_secret_key": "sk_test_x"}
        )
        self.assertIn(group, billing.implied_ids)
        self.assertIn(group, accountant.groups_id)
        self.env.registry.clear_cache()
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(accountant)._visible_menu_ids())
        provider.write({"state": "disabled"})
        self.assertNotIn(group, billing.implied_ids)
        self.assertNotIn(group, accountant.groups_id)
