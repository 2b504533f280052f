import base64
import hashlib
import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import formatLang

from ..lib import pdf as pdf_lib
from ..lib.certificate import sha256_file as _sha256_file

_logger = logging.getLogger(__name__)


class AccountMoveDeliverable(models.Model):
    """A document the firm delivers with a customer invoice.

    Its file is kept in a binary field restricted to internal users: the
    client only ever gets it through the module's download route, which
    checks ``state`` on every request (see ``controllers/portal.py``).
    """

    _name = "account.move.deliverable"
    _description = "Invoice Deliverable"
    _inherit = ["mail.thread"]
    _order = "move_id, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    name = fields.Char(string="Title", required=True, tracking=True)
    description = fields.Text()
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
        domain=[("move_type", "=", "out_invoice")],
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", store=True, index=True, string="Customer"
    )
    currency_id = fields.Many2one(related="move_id.currency_id")
    file = fields.Binary(required=True, attachment=True, groups="base.group_user")
    file_name = fields.Char()
    file_size = fields.Integer(string="Size (bytes)", readonly=True)
    file_size_display = fields.Char(string="Size", compute="_compute_file_size_display")
    mimetype = fields.Char(readonly=True)
    checksum = fields.Char(
        string="SHA-256",
        readonly=True,
        index=True,
        help="SHA-256 of the file as uploaded.",
    )
    is_pdf = fields.Boolean(readonly=True)
    page_count = fields.Integer(readonly=True)
    preview = fields.Binary(
        attachment=True,
        readonly=True,
        groups="base.group_user",
        help="First page(s) of the PDF, watermarked, shown on the portal while locked.",
    )
    preview_problem = fields.Selection(
        [
            (pdf_lib.REASON_NOT_PDF, "Not a PDF: no preview"),
            (pdf_lib.REASON_ENCRYPTED, "Encrypted PDF: no preview"),
            (pdf_lib.REASON_CORRUPT, "Unreadable PDF: no preview"),
            ("disabled", "Previews are disabled in the settings"),
        ],
        readonly=True,
        help="Why the portal shows no preview for this file.",
    )
    release_rule = fields.Selection(
        [
            ("full", "At full payment"),
            ("share", "At a paid share of the invoice"),
            ("posted", "As soon as the invoice is posted"),
        ],
        required=True,
        default=lambda self: self._default_release_rule(),
        tracking=True,
    )
    release_share = fields.Float(
        string="Paid share (%)",
        default=50.0,
        tracking=True,
        help="Released once this share of the invoice total is paid (deposits, installments).",
    )
    state = fields.Selection(
        [("locked", "Locked"), ("released", "Released"), ("exempted", "Exempted")],
        compute="_compute_state",
        store=True,
        index=True,
        help="Locked: the client sees it but cannot download it.\n"
        "Released: the invoice (or the required share of it) is paid.\n"
        "Exempted: the client is trusted and gets it before payment.",
    )
    dispute_hold = fields.Boolean(
        string="Held by a card dispute",
        readonly=True,
        copy=False,
        tracking=True,
        help="The client disputed the card payment before downloading this document: "
        "it stays locked until the dispute is won.",
    )
    release_notified = fields.Boolean(
        readonly=True, copy=False, help="The client was emailed that this document is available."
    )
    release_notice_failed = fields.Boolean(
        string="Client not emailed",
        readonly=True,
        copy=False,
        help="No email could tell the client this document is available: the accountant has an "
        "activity on the invoice to tell them another way.",
    )
    signature_requirement = fields.Selection(
        [("none", "No signature"), ("acknowledge", "Acknowledge receipt"), ("approve", "Approve")],
        string="Signature",
        default="none",
        required=True,
        help="The client signs this document on the portal with a code received by SMS.",
    )
    signature_timing = fields.Selection(
        [("after_payment", "After payment"), ("before_payment", "Before payment")],
        string="Signed",
        default="after_payment",
        required=True,
        help="Before payment: the client approves the document from its preview, before paying.",
    )
    pbd_signature_sms_missing = fields.Boolean(
        string="SMS not set up",
        compute="_compute_pbd_signature_sms_missing",
        help="A signature is asked for, but the company sends no SMS through Twilio: "
        "the client cannot sign on the portal.",
    )
    pbd_signer_id = fields.Many2one(
        "res.partner",
        string="Signer",
        help="Who signs, with the mobile number on their contact. Empty: the invoice's contact.",
    )
    signature_request_ids = fields.One2many("pbd.signature.request", "deliverable_id", readonly=True)
    signature_state = fields.Selection(
        [("not_required", "Not required"), ("waiting", "Waiting"), ("signed", "Signed")],
        compute="_compute_signature_state",
    )
    download_ids = fields.One2many(
        "account.move.deliverable.download", "deliverable_id", string="Downloads", readonly=True
    )
    download_count = fields.Integer(compute="_compute_download_count")

    @api.model
    def _default_release_rule(self):
        company = self.env.company
        return "full" if company.pbd_lock_by_default else "posted"

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------
    @api.depends(
        "release_rule",
        "release_share",
        "move_id.state",
        "move_id.payment_state",
        "move_id.amount_residual",
        "move_id.amount_total",
        "move_id.pbd_access_exempted",
        "dispute_hold",
    )
    def _compute_state(self):
        for deliverable in self:
            deliverable.state = deliverable._get_release_state()
        self._schedule_release_notification()

    def _get_release_state(self):
        """The state this deliverable should be in, from its invoice alone."""
        self.ensure_one()
        move = self.move_id
        if move.state != "posted" or self.dispute_hold:
            return "locked"
        if move.payment_state in ("paid", "in_payment"):
            return "released"
        if move.pbd_access_exempted:
            return "exempted"
        if self.release_rule == "posted":
            return "released"
        if self.release_rule == "share" and move.payment_state == "partial":
            return "released" if move._pbd_paid_share_reached(self.release_share) else "locked"
        return "locked"

    @api.depends("file_size")
    @api.depends_context("lang")
    def _compute_file_size_display(self):
        for deliverable in self:
            deliverable.file_size_display = deliverable._pbd_format_size(deliverable.file_size)

    def _pbd_format_size(self, size):
        """A file size for people, in the reader's language: "4.1 kB", "4,1 Ko"."""
        if not size:
            return ""
        if size < 1024:
            return self.env._("%s bytes", formatLang(self.env, size, digits=0))
        units = [self.env._("kB"), self.env._("MB"), self.env._("GB")]
        value = float(size)
        for unit in units:
            value /= 1024.0
            if value < 1024 or unit == units[-1]:
                break
        return f"{formatLang(self.env, value, digits=1 if value < 10 else 0)}\N{NO-BREAK SPACE}{unit}"

    def _pbd_portal_file_info(self):
        """The row's second line: "3 pages · 4.1 kB" (the page count for a PDF only)."""
        self.ensure_one()
        parts = []
        if self.is_pdf and self.page_count:
            parts.append(
                self.env._("1 page") if self.page_count == 1 else self.env._("%s pages", self.page_count)
            )
        if self.file_size:
            parts.append(self.file_size_display)
        return " · ".join(parts)

    def _pbd_release_amount(self):
        """What the client must have paid for a deposit document to be released."""
        self.ensure_one()
        return self.currency_id.round(abs(self.move_id.amount_total) * self.release_share / 100.0)

    def _pbd_portal_signature_note(self):
        """Why the client's row offers no *Sign* button, in the client's words, or ``""``."""
        self.ensure_one()
        if self.signature_requirement == "none" or self.signature_state == "signed":
            return ""
        problem = self._pbd_signature_problem()
        if problem and self.pbd_signature_sms_missing:
            return self.env._("Online signing is not available yet: contact %s", self.company_id.sudo().name)
        return problem

    @api.depends("company_id", "signature_requirement")
    def _compute_pbd_signature_sms_missing(self):
        for deliverable in self:
            deliverable.pbd_signature_sms_missing = (
                deliverable.signature_requirement != "none"
                and bool(deliverable.company_id)
                and not deliverable.company_id.sudo()._pbd_twilio_ready()
            )

    @api.depends("signature_requirement", "signature_request_ids.state")
    def _compute_signature_state(self):
        for deliverable in self:
            if deliverable.signature_requirement == "none":
                deliverable.signature_state = "not_required"
            elif "signed" in deliverable.signature_request_ids.mapped("state"):
                deliverable.signature_state = "signed"
            else:
                deliverable.signature_state = "waiting"

    def _pbd_signature_problem(self):
        """Why this deliverable cannot be signed now (translated), or ``""``."""
        self.ensure_one()
        if self.signature_requirement == "none":
            return self.env._("No signature is asked for this document.")
        if not self.is_pdf:
            return self.env._("Only PDF documents can be signed.")
        if self.preview_problem in (pdf_lib.REASON_ENCRYPTED, pdf_lib.REASON_CORRUPT):
            return self.env._("This PDF is encrypted or unreadable: it cannot be signed. Ask for a new copy.")
        if self.signature_timing == "after_payment" and not self._is_downloadable():
            return self.env._("This document can be signed once the invoice is paid.")
        if self.signature_state == "signed":
            return self.env._("This document is already signed.")
        if not self.company_id._pbd_twilio_ready():
            return self.env._("Signing by SMS code is not available: no SMS provider is set up.")
        return ""

    def _pbd_file_sha256(self):
        """SHA-256 of the file as stored now (read from the filestore by chunks)."""
        self.ensure_one()
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", self._name), ("res_id", "=", self.id), ("res_field", "=", "file")],
                limit=1,
            )
        )
        # Read from the filestore, not through ``ir.binary``: streams are for
        # HTTP responses, and refuse a locked file to the client who signs it.
        if attachment.store_fname:
            with open(attachment._full_path(attachment.store_fname), "rb") as handle:
                return _sha256_file(handle)
        return hashlib.sha256(attachment.raw or b"").hexdigest()

    def _get_sign_url(self, access_token=None):
        self.ensure_one()
        url = f"/my/documents/{self.id}/sign"
        return f"{url}?access_token={access_token}" if access_token else url

    def _compute_download_count(self):
        counts = dict(
            self.env["account.move.deliverable.download"]._read_group(
                [("deliverable_id", "in", self.ids)], ["deliverable_id"], ["__count"]
            )
        )
        for deliverable in self:
            deliverable.download_count = counts.get(deliverable, 0)

    @api.constrains("release_rule", "release_share")
    def _check_release_share(self):
        for deliverable in self:
            if deliverable.release_rule == "share" and not 0 < deliverable.release_share <= 100:
                raise ValidationError(
                    self.env._(
                        "The paid share that releases “%s” must be between 0 and 100 %%.", deliverable.name
                    )
                )

    @api.constrains("move_id")
    def _check_move_is_customer_invoice(self):
        for deliverable in self:
            if deliverable.move_id.move_type != "out_invoice":
                raise ValidationError(self.env._("Deliverables can only be attached to customer invoices."))

    # ------------------------------------------------------------------
    # File analysis (size, checksum, page count, preview)
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._prepare_file_values(vals)
        return super().create(vals_list)

    def write(self, vals):
        if "file" in vals:
            started = self.sudo().signature_request_ids.filtered(lambda r: r.state != "draft")
            if started:
                raise ValidationError(
                    self.env._(
                        "“%s” is being signed or was signed: its file cannot be replaced. Use “New version” "
                        "to archive its signature and upload the new file.",
                        started[0].deliverable_id.name,
                    )
                )
            self._prepare_file_values(vals)
        return super().write(vals)

    def _pbd_signer(self):
        """The signer: the contact the firm picked, else the invoice's contact."""
        self.ensure_one()
        return self.pbd_signer_id or self.move_id.partner_id

    def action_pbd_new_version(self):
        """Archive the signature requests so that a new file can be uploaded; the chatter says so."""
        for deliverable in self:
            requests = deliverable.signature_request_ids
            if not requests:
                continue
            for request in requests:
                self.env["pbd.evidence.log"]._append(request, "archived", by=self.env.user.id)
            requests.sudo().active = False
            deliverable.message_post(
                body=self.env._(
                    "A new version of the document can be uploaded: its signature requests (%s) "
                    "were archived.",
                    ", ".join(requests.mapped("display_name")),
                )
            )
        return True

    def _prepare_file_values(self, vals):
        """Fill size, checksum, mimetype, page count and preview from ``file``."""
        raw = base64.b64decode(vals.get("file") or b"")
        if not raw:
            raise ValidationError(
                self.env._(
                    "The file “%s” is empty (0 bytes). Choose the document again.",
                    vals.get("file_name") or vals.get("name") or "",
                )
            )
        mimetype = self.env["ir.attachment"]._compute_mimetype(
            {"raw": raw, "name": vals.get("file_name") or ""}
        )
        vals.update(
            file_size=len(raw),
            checksum=hashlib.sha256(raw).hexdigest(),
            mimetype=mimetype,
        )
        # The preview's watermark is read by the client: in the client's language.
        move = self.env["account.move"].browse(vals["move_id"]) if vals.get("move_id") else self.move_id[:1]
        lang = move.partner_id.lang or move.company_id.partner_id.lang or self.env.lang
        vals.update(self.with_context(lang=lang)._get_preview_values(raw, mimetype))

    def _get_preview_values(self, raw, mimetype):
        is_pdf = mimetype == pdf_lib.PDF_MIMETYPE or pdf_lib.looks_like_pdf(raw)
        if not is_pdf:
            return {
                "is_pdf": False,
                "page_count": 0,
                "preview": False,
                "preview_problem": pdf_lib.REASON_NOT_PDF,
            }
        info = pdf_lib.inspect_pdf(raw)
        values = {"is_pdf": True, "page_count": info.page_count, "preview": False}
        if not info.readable:
            values["preview_problem"] = info.problem
            return values
        company = self.env.company
        if not company.pbd_preview_enabled:
            values["preview_problem"] = "disabled"
            return values
        try:
            preview = pdf_lib.make_preview(
                raw,
                pages=company.pbd_preview_pages,
                watermark=company.pbd_watermark_text or self.env._("PREVIEW – payment required"),
            )
        except Exception as exc:  # noqa: BLE001 - a bad PDF must never break the upload
            _logger.info("No preview for an uploaded PDF: %s", exc.__class__.__name__)
            values["preview_problem"] = pdf_lib.REASON_CORRUPT
            return values
        values.update(preview=base64.b64encode(preview), preview_problem=False)
        return values

    def _pbd_refresh_previews(self):
        """Build the previews of these deliverables again from their files.

        For databases whose previews were made before they were pictures
        (18.0.1.1.0): those copied pages of the original, with what the
        other pages shared with them. One file in memory at a time.
        """
        for deliverable in self.sudo().filtered("is_pdf"):
            raw = base64.b64decode(deliverable.file or b"")
            if not raw:
                continue
            move = deliverable.move_id
            lang = move.partner_id.lang or move.company_id.partner_id.lang or self.env.lang
            values = (
                deliverable.with_company(deliverable.company_id)
                .with_context(lang=lang)
                ._get_preview_values(raw, deliverable.mimetype)
            )
            deliverable.write({key: values[key] for key in ("preview", "preview_problem", "page_count")})
            deliverable.invalidate_recordset(["file"])

    # ------------------------------------------------------------------
    # Release notification (one email per invoice, sent by a cron job)
    # ------------------------------------------------------------------
    def _schedule_release_notification(self):
        """Wake the notification job when a deliverable becomes available.

        The email is not rendered inside the payment's transaction: a template
        error must never block a reconciliation, and the payment stays cheap.
        The job runs right after the commit (``ir.cron._trigger``).
        """
        if not any(d.state != "locked" and not d.release_notified for d in self):
            return
        self.env.ref("payment_before_document.ir_cron_notify_released")._pbd_trigger_once()

    @api.model
    def _cron_notify_released(self, limit=500):
        """Email each client, once per invoice, about newly available documents."""
        relocked = self.search(
            [
                ("state", "=", "locked"),
                "|",
                ("release_notified", "=", True),
                ("release_notice_failed", "=", True),
            ]
        )
        relocked.write({"release_notified": False, "release_notice_failed": False})
        available = self.search(
            [
                ("state", "!=", "locked"),
                ("release_notified", "=", False),
                ("release_notice_failed", "=", False),
                ("move_id.state", "=", "posted"),
            ],
            limit=limit,
        )
        for move in available.move_id:
            documents = available.filtered(lambda d, m=move: d.move_id == m)
            # Notified only when an email was really queued; otherwise the
            # accountant has an activity and the job does not try again.
            if move._pbd_notify_documents_available(documents):
                documents.release_notified = True
            else:
                documents.release_notice_failed = True
        if len(available) == limit:
            self.env.ref("payment_before_document.ir_cron_notify_released")._trigger()
        return available

    # ------------------------------------------------------------------
    # Portal helpers
    # ------------------------------------------------------------------
    def _get_download_url(self, access_token=None):
        self.ensure_one()
        url = f"/my/documents/{self.id}/download"
        return f"{url}?access_token={access_token}" if access_token else url

    def _get_preview_url(self, access_token=None):
        self.ensure_one()
        url = f"/my/documents/{self.id}/preview"
        return f"{url}?access_token={access_token}" if access_token else url

    def _is_downloadable(self):
        self.ensure_one()
        return self.state in ("released", "exempted")

    def _log_download(self, user, ip_address, user_agent, file_kind="original"):
        """Record a download of the file (``original``) or of its signed copy (``signed``).

        Called in sudo by the portal routes and by ``/web/content`` for the
        firm's own downloads, which are marked as such.
        """
        self.ensure_one()
        return (
            self.env["account.move.deliverable.download"]
            .sudo()
            .create(
                {
                    "deliverable_id": self.id,
                    "user_id": user.id,
                    "partner_id": user.partner_id.id,
                    "file_kind": file_kind,
                    "by_staff": bool(user) and user._is_internal(),
                    "ip_address": (ip_address or "")[:64],
                    "user_agent": (user_agent or "")[:256],
                }
            )
        )

    @api.model
    def _pbd_locked_sha256(self, digests):
        """Those of these SHA-256 digests that are a locked deliverable's content.

        The content is the deliverable's file or its signed copy (the document
        with the signature certificate appended).
        """
        digests = set(digests)
        if not digests:
            return set()
        locked = self.sudo().search(
            [
                ("state", "=", "locked"),
                "|",
                ("checksum", "in", list(digests)),
                ("signature_request_ids.signed_sha256", "in", list(digests)),
            ]
        )
        found = set(locked.mapped("checksum")) | set(locked.signature_request_ids.mapped("signed_sha256"))
        return found & digests

    # ------------------------------------------------------------------
    # Card disputes
    # ------------------------------------------------------------------
    def _pbd_client_downloads(self):
        """Downloads by the client (portal users or link holders), not by the firm."""
        return self.download_ids.filtered(lambda download: not download.by_staff)

    def _pbd_hold_for_dispute(self):
        """Lock again those of these documents the client has not downloaded yet."""
        held = self.filtered(lambda d: not d.dispute_hold and not d._pbd_client_downloads())
        held.dispute_hold = True
        return held

    def _pbd_download_log_html(self):
        """The downloads of these documents, as the evidence a card dispute asks for."""
        rows = []
        for deliverable in self:
            downloads = deliverable._pbd_client_downloads().sorted("create_date")
            if not downloads:
                rows.append(
                    Markup("<li><b>%s</b>: %s</li>")
                    % (
                        deliverable.name,
                        self.env._("never downloaded by the client; locked until the dispute is won"),
                    )
                )
                continue
            lines = Markup("").join(
                Markup("<li>%s</li>")
                % self.env._(
                    "%(when)s (UTC) by %(who)s, IP address %(ip)s, browser %(browser)s",
                    when=fields.Datetime.to_string(download.create_date),
                    who=download.partner_id.display_name or download.user_id.display_name,
                    ip=download.ip_address or "-",
                    browser=download.user_agent or "-",
                )
                for download in downloads
            )
            rows.append(
                Markup("<li><b>%s</b> (SHA-256 %s)<ul>%s</ul></li>")
                % (deliverable.name, deliverable.checksum, lines)
            )
        return Markup("<ul>%s</ul>") % Markup("").join(rows)

    def action_view_downloads(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "payment_before_document.action_account_move_deliverable_download"
        )
        action["domain"] = [("deliverable_id", "=", self.id)]
        return action
