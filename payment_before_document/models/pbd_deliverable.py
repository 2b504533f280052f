import base64
from datetime import timedelta
import hashlib
import logging
from urllib.parse import urlencode

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import formatLang

from ..lib import pdf as pdf_lib
from ..lib.certificate import sha256_file as _sha256_file

_logger = logging.getLogger(__name__)

# The states in which the client may download the file: any other is locked.
RELEASED_STATES = ("released", "exempted")
DOWNLOADS_ACTION = "payment_before_document.pbd_deliverable_download_action"


class PbdDeliverable(models.Model):
    """A document the firm delivers with a customer invoice.

    Its file is kept in a binary field restricted to internal users: the
    client only ever gets it through the module's download route, which
    checks ``state`` on every request (see ``controllers/portal.py``).
    """

    _name = "pbd.deliverable"
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
        "pbd.deliverable.download", "deliverable_id", string="Downloads", readonly=True
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
        if self.signature_timing == "after_payment" and self._pbd_is_file_locked():
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

    def _compute_download_count(self):
        counts = dict(
            self.env["pbd.deliverable.download"]._read_group(
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

    # ------------------------------------------------------------------
    # Signing rules: who signs, and which signed file the client may get
    # ------------------------------------------------------------------
    def _pbd_signer(self):
        """The signer: the contact the firm picked, else the invoice's contact (never the visitor)."""
        self.ensure_one()
        return self.pbd_signer_id or self.move_id.partner_id

    def _pbd_signer_request(self, create=False):
        """The signer's live signature request for this document (sudo); made first when ``create``."""
        self.ensure_one()
        requests = self.env["pbd.signature.request"]
        if create:
            return requests._get_or_create(self, self._pbd_signer())
        return requests.sudo().search(
            [("deliverable_id", "=", self.id), ("partner_id", "=", self._pbd_signer().id)], limit=1
        )

    def _pbd_signer_phone_on_file(self, sign_request=None):
        """The number the code goes to (a ``ParsedNumber``): the signer's mobile on file."""
        self.ensure_one()
        sign_request = sign_request or self.env["pbd.signature.request"].sudo().new(
            {"partner_id": self._pbd_signer().id, "deliverable_id": self.id}
        )
        return sign_request.with_company(self.company_id)._pbd_phone_on_file()

    def _pbd_signed_request(self):
        """The request that signed this document, if any."""
        self.ensure_one()
        return self.signature_request_ids.filtered(lambda r: r.state == "signed")[:1]

    def _pbd_signature_file_field(self, kind):
        """The field of the signed request the client may download as ``kind``, or ``""``.

        ``signed``: the signed copy contains the document itself, so only once
        the file is no longer locked. ``certificate``: always, but while the
        file is locked a link holder gets the public certificate (no IP
        address, browser or typed name) when there is one.
        """
        self.ensure_one()
        sign_request = self._pbd_signed_request().sudo()
        if not sign_request:
            return ""
        if kind == "signed":
            return "" if self._pbd_is_file_locked() else "signed_file"
        if kind == "certificate":
            if self._pbd_is_file_locked() and sign_request.certificate_public_file:
                return "certificate_public_file"
            return "certificate_file"
        return ""

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
    def _write_multi(self, vals_list):
        # The release trigger: where a new state reaches the database (the
        # stored ``state`` is computed, so written here at the flush, never
        # by ``write``), not inside the compute.
        result = super()._write_multi(vals_list)
        if any(vals.get("state") in RELEASED_STATES for vals in vals_list):
            self._pbd_trigger_release_notification()
        return result

    def _pbd_trigger_release_notification(self):
        """Wake the notification job: a deliverable became available.

        The email is not rendered inside the payment's transaction: a template
        error must never block a reconciliation, and the payment stays cheap.
        The job runs right after the commit (``ir.cron._trigger``), once per
        transaction; it finds the documents to announce by itself.
        """
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
        busy = False
        for move in available.move_id:
            documents = available.filtered(lambda d, m=move: d.move_id == m)
            # Notified only when an email was really queued; otherwise the
            # accountant has an activity and the job does not try again. An
            # invoice another transaction was changing is tried again soon.
            sent = move._pbd_notify_documents_available(documents)
            if sent is None:
                busy = True
                available -= documents
            elif sent:
                documents.release_notified = True
            else:
                documents.release_notice_failed = True
        cron = self.env.ref("payment_before_document.ir_cron_notify_released")
        if busy:
            cron._trigger(fields.Datetime.now() + timedelta(minutes=1))
        elif len(available) == limit:
            cron._trigger()
        return available

    # ------------------------------------------------------------------
    # Portal helpers
    # ------------------------------------------------------------------
    # Every portal address of a deliverable is built here, and only here
    # (routes in ``controllers/portal.py`` and ``controllers/signature.py``).
    def _pbd_portal_path(self, action, access_token=None):
        """``/my/documents/<id>/<action>``, with the invoice's access token when given."""
        self.ensure_one()
        path = f"/my/documents/{self.id}/{action}"
        return f"{path}?{urlencode({'access_token': access_token})}" if access_token else path

    def _get_download_url(self, access_token=None):
        return self._pbd_portal_path("download", access_token)

    def _get_preview_url(self, access_token=None):
        return self._pbd_portal_path("preview", access_token)

    def _get_sign_url(self, access_token=None):
        return self._pbd_portal_path("sign", access_token)

    def _get_sign_step_url(self, step):
        """Where the signing page's forms post: ``code``, ``ask_number`` or ``confirm``.

        The access token goes in the form, not in the address.
        """
        return self._pbd_portal_path(f"sign/{step}")

    def _get_signature_file_url(self, kind, access_token=None):
        """The signed copy (``signed``) or the certificate (``certificate``) of this document."""
        return self._pbd_portal_path(f"signature/{kind}", access_token)

    @api.model
    def _get_invoice_documents_landing_path(self, invoice):
        """Where the client lands after paying ``invoice``: a route, for Odoo appends a query string."""
        return f"{invoice.access_url}/documents"

    # ------------------------------------------------------------------
    # Is this file locked? (one answer, for the portal, the attachment
    # guard in ``ir_attachment.py`` and the mail filter in ``mail_mail.py``)
    # ------------------------------------------------------------------
    def _pbd_is_on_portal(self):
        """Whether the client sees this document on the portal: its invoice is a posted customer invoice."""
        self.ensure_one()
        return self.move_id.state == "posted" and self.move_id.move_type == "out_invoice"

    def _pbd_is_file_locked(self):
        """Whether this deliverable's file (and its signed copy) is withheld from the client."""
        self.ensure_one()
        return self.state not in RELEASED_STATES

    @api.model
    def _pbd_locked_checksums(self, checksums):
        """Those of these file contents (``ir.attachment`` SHA-1 checksums) that are locked.

        A content is locked when it is the file, or the signed copy, of a
        deliverable whose file is locked (:meth:`_pbd_is_file_locked`): a copy
        of it attached elsewhere (a chatter, a discussion, an email) is as
        locked as the original.
        """
        checksums = {checksum for checksum in checksums if checksum}
        if not checksums:
            return set()
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("checksum", "in", list(checksums)),
                    "|",
                    "&",
                    ("res_model", "=", self._name),
                    ("res_field", "=", "file"),
                    "&",
                    ("res_model", "=", "pbd.signature.request"),
                    ("res_field", "=", "signed_file"),
                ]
            )
        )
        locked = set()
        for attachment in attachments:
            if attachment.checksum not in locked and attachment._pbd_deliverable()._pbd_is_file_locked():
                locked.add(attachment.checksum)
        return locked

    def _log_download(self, user, ip_address, user_agent, file_kind="original"):
        """Record a download of the file (``original``) or of its signed copy (``signed``).

        Called in sudo by the portal routes and by ``/web/content`` for the
        firm's own downloads, which are marked as such.
        """
        self.ensure_one()
        return (
            self.env["pbd.deliverable.download"]
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

    def action_pbd_view_downloads(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(DOWNLOADS_ACTION)
        return dict(action, domain=[("deliverable_id", "=", self.id)])
