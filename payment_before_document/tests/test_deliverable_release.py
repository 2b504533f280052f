"""When deliverables lock and unlock, and what the client is told."""

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from odoo.addons.payment_before_document.hooks import post_init_hook

from .common import PbdMainCompanyMixin, PbdTestCommon, b64, make_corrupt_pdf, make_encrypted_pdf


@tagged("post_install", "-at_install")
class TestDeliverableRelease(PbdTestCommon):
    def _release_messages(self, invoice):
        template = self.env.ref("payment_before_document.mail_template_documents_available")
        subject = template._render_field("subject", invoice.ids)[invoice.id]
        return invoice.message_ids.filtered(lambda m: m.subject == subject)

    def _queued_emails(self, invoice):
        """The client's email notifications of the release message, queued (or sent, in tests)."""
        return (
            self._release_messages(invoice)
            .sudo()
            .notification_ids.filtered(
                lambda n: (
                    n.res_partner_id == self.client_company
                    and n.notification_type == "email"
                    and n.notification_status in ("ready", "sent")
                )
            )
        )

    def test_draft_and_unpaid_invoices_keep_deliverables_locked(self):
        invoice = self._pbd_invoice(post=False)
        deliverable = invoice.pbd_deliverable_ids
        self.assertEqual(deliverable.state, "locked")
        invoice.action_post()
        self.assertEqual(deliverable.state, "locked")
        self.assertEqual(invoice.pbd_locked_count, 1)

    def _notify(self):
        return self.env["pbd.deliverable"]._cron_notify_released()

    def test_full_payment_releases_and_notifies_once(self):
        invoice = self._pbd_invoice(deliverables=[{"name": "Report"}, {"name": "Plans"}])
        cron = self.env.ref("payment_before_document.ir_cron_notify_released")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self._pbd_pay(invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(set(invoice.pbd_deliverable_ids.mapped("state")), {"released"})
        # The job is woken where the new state is written (the commit's flush in production).
        self.env.flush_all()
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers + 1,
            "the payment wakes the notification job once",
        )
        self.assertFalse(self._release_messages(invoice), "no email inside the payment's transaction")
        self._notify()
        messages = self._release_messages(invoice)
        self.assertEqual(len(messages), 1, "one email per invoice, not one per document")
        self.assertIn(self.client_company, messages.partner_ids)
        self.assertIn("Report", messages.body)
        self.assertIn("Plans", messages.body)
        self.assertEqual(len(self._queued_emails(invoice)), 1, "the client's email is in the queue")
        self.assertTrue(all(invoice.pbd_deliverable_ids.mapped("release_notified")))
        # The job runs again: nothing more is sent.
        self._notify()
        self.assertEqual(len(self._release_messages(invoice)), 1)

    def test_share_rule_releases_at_the_deposit(self):
        invoice = self._pbd_invoice(
            amount=4000.0,
            deliverables=[
                {"name": "Interim note", "release_rule": "share", "release_share": 50.0},
                {"name": "Final file", "release_rule": "full"},
            ],
        )
        interim, final = invoice.pbd_deliverable_ids.sorted("id")
        self._pbd_pay(invoice, amount=1000.0)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual((interim.state, final.state), ("locked", "locked"))
        self._pbd_pay(invoice, amount=1000.0)
        self.assertEqual((interim.state, final.state), ("released", "locked"))
        self._pbd_pay(invoice, amount=2000.0)
        self.assertEqual((interim.state, final.state), ("released", "released"))

    def test_unreconciling_the_payment_locks_again(self):
        invoice = self._pbd_invoice()
        self._pbd_pay(invoice)
        self._notify()
        deliverable = invoice.pbd_deliverable_ids
        self.assertEqual(deliverable.state, "released")
        self.assertTrue(deliverable.release_notified)
        invoice.line_ids.filtered(lambda l: l.account_type == "asset_receivable").remove_move_reconcile()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(deliverable.state, "locked")
        self._notify()
        self.assertFalse(deliverable.release_notified)
        # Paid again: the client is told again.
        self._pbd_pay(invoice)
        self.assertEqual(self._notify(), deliverable)
        self.assertEqual(len(self._release_messages(invoice)), 2)

    def test_credit_note_reversal_locks_again(self):
        invoice = self._pbd_invoice()
        self._pbd_pay(invoice)
        deliverable = invoice.pbd_deliverable_ids
        self.assertEqual(deliverable.state, "released")
        # Unreconcile the payment (refunded), then cancel the invoice with a credit note.
        invoice.line_ids.filtered(lambda l: l.account_type == "asset_receivable").remove_move_reconcile()
        credit_note = invoice._reverse_moves([{"ref": "Cancelled"}], cancel=True)
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(deliverable.state, "locked")

    def test_trusted_client_is_exempted_at_posting_and_it_is_recorded(self):
        self.client_company.write(
            {
                "pbd_access_policy": "trusted",
                "pbd_trusted_until": "2026-12-31",
                "pbd_trust_reason": "Client since 2015",
            }
        )
        invoice = self._pbd_invoice()
        self.assertTrue(invoice.pbd_access_exempted)
        self.assertEqual(invoice.pbd_deliverable_ids.state, "exempted")
        note = invoice.message_ids.filtered(lambda m: "trusted client" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Client since 2015", note.body)

    def test_trust_ends_by_itself_on_its_date(self):
        self.client_company.write({"pbd_access_policy": "trusted", "pbd_trusted_until": "2026-10-31"})
        # Invoice dated after the end of the transition: not exempted.
        invoice = self._pbd_invoice()
        self.assertFalse(invoice.pbd_access_exempted)
        self.assertEqual(invoice.pbd_deliverable_ids.state, "locked")
        ended = self.env["res.partner"].with_context(tz="UTC")._cron_pbd_end_trust_periods()
        self.assertIn(self.client_company, ended)
        self.assertEqual(self.client_company.pbd_access_policy, "pay_first")

    def test_release_when_posted_rule(self):
        self.company.pbd_lock_by_default = False
        invoice = self._pbd_invoice(post=False)
        deliverable = invoice.pbd_deliverable_ids
        self.assertEqual(deliverable.release_rule, "posted")
        self.assertEqual(deliverable.state, "locked")
        invoice.action_post()
        self.assertEqual(deliverable.state, "released")

    def test_file_analysis_and_preview(self):
        invoice = self._pbd_invoice()
        deliverable = invoice.pbd_deliverable_ids
        self.assertEqual(deliverable.page_count, 4)
        self.assertEqual(deliverable.file_size, len(self.pdf_bytes))
        self.assertTrue(deliverable.is_pdf)
        self.assertTrue(deliverable.preview)
        self.assertFalse(deliverable.preview_problem)
        self.assertNotEqual(deliverable.preview, b64(self.pdf_bytes))
        self.assertEqual(len(deliverable.checksum), 64)

    def test_bad_files_keep_the_original_and_say_why(self):
        cases = {
            "data.xlsx": (b"PK\x03\x04 not a pdf", "not_pdf"),
            "locked.pdf": (make_encrypted_pdf(), "encrypted"),
            "broken.pdf": (make_corrupt_pdf(), "corrupt"),
        }
        for file_name, (raw, problem) in cases.items():
            with self.subTest(file_name=file_name):
                invoice = self._pbd_invoice(
                    deliverables=[{"name": file_name, "file": raw, "file_name": file_name}]
                )
                deliverable = invoice.pbd_deliverable_ids
                self.assertEqual(deliverable.preview_problem, problem)
                self.assertFalse(deliverable.preview)
                self.assertEqual(deliverable.file, b64(raw), "the original is kept as uploaded")
                self.assertEqual(deliverable.state, "locked")

    def test_empty_file_is_refused_with_a_clear_message(self):
        invoice = self._pbd_invoice(deliverables=[])
        with self.assertRaisesRegex(ValidationError, "empty"):
            self.env["pbd.deliverable"].create(
                {"move_id": invoice.id, "name": "Nothing", "file": b"", "file_name": "empty.pdf"}
            )

    def test_deliverables_only_on_customer_invoices(self):
        bill = self.init_invoice("in_invoice", amounts=[100.0])
        with self.assertRaises(ValidationError):
            self.env["pbd.deliverable"].create(
                {"move_id": bill.id, "name": "x", "file": b64(b"x"), "file_name": "x.txt"}
            )

    def test_share_must_be_a_percentage(self):
        invoice = self._pbd_invoice(deliverables=[])
        with self.assertRaises(ValidationError):
            self.env["pbd.deliverable"].create(
                {
                    "move_id": invoice.id,
                    "name": "x",
                    "file": b64(b"x"),
                    "file_name": "x.txt",
                    "release_rule": "share",
                    "release_share": 150.0,
                }
            )

    def test_invoice_form_deliverables_tab(self):
        invoice = self._pbd_invoice(post=False, deliverables=[])
        with Form(invoice) as form, form.pbd_deliverable_ids.new() as line:
            line.name = "Survey"
            line.file = b64(self.pdf_bytes)
            line.file_name = "survey.pdf"
        self.assertEqual(invoice.pbd_deliverable_count, 1)
        self.assertEqual(invoice.pbd_deliverable_ids.page_count, 4)
        action = invoice.action_view_pbd_deliverables()
        self.assertEqual(action["domain"], [("move_id", "=", invoice.id)])

    def test_several_files_uploaded_at_once_become_deliverables(self):
        invoice = self._pbd_invoice(post=False, deliverables=[])
        uploads = self.env["ir.attachment"].create(
            [
                {
                    "name": "survey.pdf",
                    "raw": self.pdf_bytes,
                    "res_model": "account.move",
                    "res_id": invoice.id,
                },
                {
                    "name": "take-off.xlsx",
                    "raw": b"PK\x03\x04 sheet",
                    "res_model": "account.move",
                    "res_id": invoice.id,
                },
            ]
        )
        with Form(invoice) as form:
            for upload in uploads:
                form.pbd_upload_ids.add(upload)
        deliverables = invoice.pbd_deliverable_ids.sorted("id")
        self.assertEqual(deliverables.mapped("name"), ["survey", "take-off"])
        self.assertEqual(deliverables.mapped("file_name"), ["survey.pdf", "take-off.xlsx"])
        self.assertEqual(deliverables[0].page_count, 4)
        self.assertFalse(uploads.exists(), "the temporary uploads are removed")

    def test_empty_template_setting_falls_back_to_the_addons_template(self):
        self.company.pbd_release_template_id = False
        invoice = self._pbd_invoice()
        self._pbd_pay(invoice)
        self._notify()
        self.assertEqual(len(self._queued_emails(invoice)), 1)
        self.assertTrue(invoice.pbd_deliverable_ids.release_notified)

    def test_no_email_possible_means_not_notified_and_an_activity(self):
        self.client_company.email = False
        invoice = self._pbd_invoice(deliverables=[{"name": "Report"}, {"name": "Plans"}])
        self._pbd_pay(invoice)
        self._notify()
        deliverables = invoice.pbd_deliverable_ids
        self.assertFalse(any(deliverables.mapped("release_notified")), "nobody was told")
        self.assertTrue(all(deliverables.mapped("release_notice_failed")))
        self.assertFalse(self._release_messages(invoice))
        activity = invoice.activity_ids
        self.assertEqual(activity.summary, "Tell the client their documents are available")
        self.assertIn("Report, Plans", activity.note)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        # The job runs again: no second activity, no email.
        self._notify()
        self.assertEqual(len(invoice.activity_ids), 1)
        # An invalid address is no better than none.
        self.client_company.email = "not-an-address"
        other = self._pbd_invoice()
        self._pbd_pay(other)
        self._notify()
        self.assertFalse(other.pbd_deliverable_ids.release_notified)
        self.assertEqual(len(other.activity_ids), 1)

    @mute_logger(
        "odoo.addons.payment_before_document.models.account_move", "odoo.addons.mail.models.mail_render_mixin"
    )
    def test_a_template_that_fails_gives_the_accountant_an_activity(self):
        template = self.env.ref("payment_before_document.mail_template_documents_available")
        self.company.pbd_release_template_id = template.copy(
            {"body_html": "<p><t t-out='object.pbd_no_such_field'/></p>"}
        )
        invoice = self._pbd_invoice()
        self._pbd_pay(invoice)
        self._notify()
        self.assertFalse(invoice.pbd_deliverable_ids.release_notified)
        self.assertTrue(invoice.pbd_deliverable_ids.release_notice_failed)
        self.assertEqual(invoice.activity_ids.summary, "Tell the client their documents are available")


@tagged("post_install", "-at_install")
class TestDeliverableReleaseMainCompany(PbdMainCompanyMixin, TestDeliverableRelease):
    """The same on the company that existed before the add-on was installed."""

    allow_inherited_tests_method = True

    SETTINGS = (
        "pbd_lock_by_default",
        "pbd_preview_enabled",
        "pbd_preview_pages",
        "pbd_watermark_text",
        "pbd_release_template_id",
        "pbd_apply_penalties",
        "pbd_ecb_rate",
        "pbd_penalty_margin",
        "pbd_flat_fee",
    )

    def test_existing_company_has_the_settings_of_a_new_one(self):
        template = self.env.ref("payment_before_document.mail_template_documents_available")
        self.assertEqual(self.company.pbd_release_template_id, template)
        new = self.env["res.company"].create({"name": "Firm created later"})
        for field in self.SETTINGS:
            self.assertEqual(self.company[field], new[field], field)

    def test_install_gives_existing_companies_their_settings_in_their_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.company.partner_id.lang = "fr_FR"
        # The company as the columns' defaults leave it at install: no template, English watermark.
        self.env.cr.execute(
            "UPDATE res_company SET pbd_release_template_id = NULL, pbd_watermark_text = %s WHERE id = %s",
            ['{"en_US": "PREVIEW – payment required"}', self.company.id],
        )
        self.company.invalidate_recordset()
        post_init_hook(self.env)
        self.assertEqual(
            self.company.pbd_release_template_id,
            self.env.ref("payment_before_document.mail_template_documents_available"),
        )
        self.assertEqual(
            self.company.with_context(lang="fr_FR").pbd_watermark_text, "APERÇU – paiement requis"
        )
        self.assertEqual(
            self.company.with_context(lang="en_US").pbd_watermark_text, "PREVIEW – payment required"
        )
        # A company created later in French gets the same.
        new = self.env["res.company"].with_context(lang="fr_FR").create({"name": "Cabinet créé ensuite"})
        self.assertEqual(new.with_context(lang="fr_FR").pbd_watermark_text, "APERÇU – paiement requis")
        self.assertEqual(new.with_context(lang="en_US").pbd_watermark_text, "PREVIEW – payment required")
        # A firm's own watermark is kept.
        self.company.with_context(lang="en_US").pbd_watermark_text = "DRAFT"
        post_init_hook(self.env)
        self.assertEqual(self.company.with_context(lang="en_US").pbd_watermark_text, "DRAFT")
