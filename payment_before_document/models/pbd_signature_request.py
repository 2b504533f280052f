import base64
from datetime import timedelta
import hashlib
import hmac
import io
import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..lib import certificate, otp, phone

_logger = logging.getLogger(__name__)

CONSENT_VERSION = "2026-11"


class PbdSignatureRequest(models.Model):
    """A client's signature of a deliverable, verified by a code sent by SMS.

    The code goes only to the signer's mobile number on file (the invoice's
    contact, or the signer the firm picked on the deliverable); nobody on the
    portal can choose another number. It fails closed: no SMS provider, no
    number on file, a refused send, an expired, reused or wrong code, too
    many tries or sends: no signature. Every step goes to the append-only
    evidence log.
    """

    _name = "pbd.signature.request"
    _description = "Signature Request"
    _order = "id desc"
    _check_company_auto = True

    active = fields.Boolean(default=True, readonly=True)
    deliverable_id = fields.Many2one(
        "pbd.deliverable", required=True, readonly=True, index=True, ondelete="restrict"
    )
    move_id = fields.Many2one(related="deliverable_id.move_id", store=True)
    company_id = fields.Many2one(related="deliverable_id.company_id", store=True)
    partner_id = fields.Many2one("res.partner", string="Signer", required=True, readonly=True)
    signer_name = fields.Char(readonly=True)
    purpose = fields.Selection(related="deliverable_id.signature_requirement", store=True)
    phone_e164 = fields.Char(readonly=True, groups="base.group_user")
    phone_masked = fields.Char(string="Verified phone", readonly=True)
    phone_since = fields.Datetime(string="Number on file since", readonly=True)
    phone_set_by_id = fields.Many2one("res.users", string="Number set by", readonly=True)
    document_sha256 = fields.Char(string="SHA-256 before", readonly=True)
    state = fields.Selection(
        [("draft", "Draft"), ("code_sent", "Code sent"), ("signed", "Signed")],
        default="draft",
        required=True,
        readonly=True,
    )
    code_digest = fields.Char(readonly=True, groups="base.group_system")
    code_issued_at = fields.Datetime(readonly=True)
    code_wrong_tries = fields.Integer(readonly=True)
    wrong_codes_total = fields.Integer(string="Wrong codes", readonly=True)
    locked_out = fields.Boolean(
        readonly=True, help="Too many wrong codes: the client can sign again once the firm reopens it."
    )
    code_used = fields.Boolean(readonly=True)
    code_sent_at = fields.Datetime(readonly=True)
    code_verified_at = fields.Datetime(readonly=True)
    signed_at = fields.Datetime(readonly=True)
    ip_address = fields.Char(readonly=True)
    user_agent = fields.Char(readonly=True)
    consent_version = fields.Char(readonly=True)
    signed_file = fields.Binary(attachment=True, readonly=True, groups="base.group_user")
    signed_sha256 = fields.Char(string="SHA-256 after", readonly=True)
    certificate_file = fields.Binary(attachment=True, readonly=True, groups="base.group_user")
    certificate_sha256 = fields.Char(string="SHA-256 of the certificate", readonly=True)
    certificate_public_file = fields.Binary(
        attachment=True,
        readonly=True,
        groups="base.group_user",
        help="The certificate shown before the document is released: no IP address, browser or typed name.",
    )
    anchor_row_hash = fields.Char(
        string="Evidence anchor",
        readonly=True,
        help="Hash of the signing row, the chain's head when it was signed.",
    )
    evidence_ids = fields.One2many("pbd.evidence.log", "request_id", readonly=True)

    def init(self):
        # One live request per deliverable and signer; archived ones (older versions) may remain.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS pbd_signature_request_one_per_signer"
                " ON pbd_signature_request (deliverable_id, partner_id) WHERE active"
            )
        )

    def _compute_display_name(self):
        for request in self:
            request.display_name = f"{request.deliverable_id.name} – {request.partner_id.name}"

    # ------------------------------------------------------------------
    @api.model
    def _otp_key(self):
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return hmac.new(secret.encode(), b"payment_before_document.otp", hashlib.sha256).digest()

    @api.model
    def _get_or_create(self, deliverable, partner):
        request = self.sudo().search(
            [("deliverable_id", "=", deliverable.id), ("partner_id", "=", partner.id)], limit=1
        )
        if not request:
            # First request at the same moment from two tabs: the deliverable's row decides (the later
            # one gets a serialization failure, and Odoo's retry finds the request made).
            self.env.cr.execute(
                SQL(
                    "UPDATE pbd_deliverable SET write_date = now() at time zone 'UTC' WHERE id = %s",
                    deliverable.id,
                )
            )
            request = self.sudo().create({"deliverable_id": deliverable.id, "partner_id": partner.id})
            self.env["pbd.evidence.log"]._append(request, "requested", partner=partner.id)
        return request

    def _pbd_lock(self):
        """Lock the request's row before any check (a concurrent change: serialization failure, retried)."""
        self.env.cr.execute(
            SQL("SELECT id FROM pbd_signature_request WHERE id IN %s FOR NO KEY UPDATE", tuple(self.ids))
        )
        self.invalidate_recordset()

    def _pbd_closed_message(self):
        """Why this request takes no code now: signed already, or locked out by wrong codes."""
        if self.sudo().state == "signed":
            return self.env._("This document is already signed.")
        return self.env._("Too many wrong codes: %s must reopen this signature.", self.company_id.name)

    def _pbd_lock_open(self, event, ip_address):
        """Lock the request, then return it (sudo) if it is open to a code, else an empty recordset.

        Closed: signed already, or locked out by too many wrong codes (a
        refusal ``event`` logged, see :meth:`_refuse`).
        """
        self.ensure_one()
        self._pbd_lock()
        request = self.sudo()
        if request.state == "signed":
            return request.browse()
        if request.locked_out:
            self._refuse(event, self._pbd_closed_message(), ip_address=ip_address, problem="locked_out")
            return request.browse()
        return request

    def _refuse(self, event, message, ip_address=None, **data):
        """Say no; logged unless this request or this address was refused too often lately."""
        log = self.env["pbd.evidence.log"]
        if log._refusals_to_log(self, ip_address):
            log._append(self, event, ip_address=ip_address, reason=message, ip=ip_address, **data)
        return False, message

    # ------------------------------------------------------------------
    # The number on file
    # ------------------------------------------------------------------
    def _pbd_region(self):
        return self.partner_id.country_id.code or self.company_id.country_id.code

    def _pbd_phone_on_file(self):
        """The signer's mobile as the firm has it (a ParsedNumber)."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        return phone.parse_for_sms(partner.mobile or partner.phone or "", self._pbd_region())

    def _pbd_sync_phone(self, parsed):
        """Record the number on file when it is new to this request (first use or changed on the contact)."""
        if parsed.e164 == self.sudo().phone_e164:
            return
        partner = self.partner_id.sudo()
        old = self.sudo().phone_e164
        self.sudo().write(
            {
                "phone_e164": parsed.e164,
                "phone_masked": phone.mask(parsed.e164),
                "phone_since": partner.write_date,
                "phone_set_by_id": partner.write_uid.id,
            }
        )
        self.env["pbd.evidence.log"]._append(
            self,
            "phone_on_file",
            phone=phone.mask(parsed.e164),
            old_phone=phone.mask(old) if old else "",
            on_file_since=partner.write_date,
            set_by=partner.write_uid.id,
            set_by_name=partner.write_uid.name,
        )

    def _pbd_set_phone(self, raw_number):
        """The firm changes the signer's mobile (back office); an evidence row says who, when, old and new."""
        self.ensure_one()
        self._pbd_lock()
        parsed = phone.parse_for_sms(raw_number, self._pbd_region())
        if not parsed.ok:
            raise UserError(self.env._("This is not a mobile number that can receive text messages."))
        request = self.sudo()
        old = request.phone_e164 or request._pbd_phone_on_file().e164
        now = fields.Datetime.now()
        request.partner_id.mobile = parsed.e164
        request.write(
            {
                "phone_e164": parsed.e164,
                "phone_masked": phone.mask(parsed.e164),
                "phone_since": now,
                "phone_set_by_id": self.env.user.id,
                # A code sent to the old number is no longer valid.
                "code_issued_at": False,
                "code_used": False,
                "state": "draft" if request.state == "code_sent" else request.state,
            }
        )
        self.env["pbd.evidence.log"]._append(
            self,
            "phone_changed",
            old_phone=phone.mask(old) if old else "",
            phone=phone.mask(parsed.e164),
            by=self.env.user.id,
            by_name=self.env.user.name,
            at=now,
        )
        return True

    def _pbd_ask_phone(self, ip_address):
        """The client says the number on file is missing or wrong: an activity for the firm."""
        self.ensure_one()
        move = self.move_id.sudo()
        summary = self.env._("Check the signer's mobile number")
        exists = move.activity_ids.filtered(lambda a: a.summary == summary)
        if not exists:
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=self.env._(
                    "%(partner)s asks to update the mobile number that receives the signature code of "
                    "“%(document)s”. Change it on the signature request "
                    "(Invoicing › Payment before access › Signatures).",
                    partner=self.partner_id.name,
                    document=self.deliverable_id.name,
                ),
                user_id=(move.invoice_user_id or move.create_uid).id,
            )
            self._refuse("phone_asked", summary, ip_address=ip_address)
        return self.env._(
            "Your request was sent to %s: they will check the number and tell you.", self.company_id.name
        )

    # ------------------------------------------------------------------
    # Code and signature
    # ------------------------------------------------------------------
    def _send_code(self, signer_name, ip_address, user_agent):
        """Send a fresh code to the number on file; return (ok, message for the client)."""
        request = self._pbd_lock_open("send_refused", ip_address)
        if not request:
            return False, self._pbd_closed_message()
        if not (signer_name or "").strip():
            return False, self.env._("Type your full name.")
        parsed = request._pbd_phone_on_file()
        if not parsed.ok:
            return self._refuse(
                "send_refused",
                self.env._(
                    "No mobile number that can receive a code is on file for you: ask %s to update it.",
                    request.company_id.name,
                ),
                ip_address=ip_address,
                problem=parsed.problem,
            )
        log = self.env["pbd.evidence.log"]
        # Every check and the send under the chain's lock: nothing can fail between the SMS and its row.
        log._lock_head(request.company_id)
        request._pbd_sync_phone(parsed)
        now = fields.Datetime.now()
        sends = (
            log.sudo().search([("request_id", "=", self.id), ("event", "=", "code_sent")]).mapped("timestamp")
        )
        # Daily cap per number actually sent to, whatever the request (SMS-pumping fraud).
        today_to_number = log.sudo().search_count(
            [
                ("event", "=", "code_sent"),
                ("timestamp", ">=", now - timedelta(days=1)),
                ("sent_to", "=", parsed.e164),
            ]
        )
        decision = otp.can_send(sends, now, today_to_number)
        if not decision.allowed:
            messages = {
                "too_many_sends": self.env._(
                    "Too many codes were sent: wait 15 minutes before asking for another."
                ),
                "daily_cap": self.env._("Too many codes were sent to this number today: try again tomorrow."),
            }
            return self._refuse(
                "send_refused", messages[decision.reason], ip_address=ip_address, problem=decision.reason
            )
        transport = request.company_id._pbd_twilio_sms()
        if not transport:
            return self._refuse(
                "send_refused",
                self.env._("Signing by SMS code is not available: no SMS provider is set up."),
                ip_address=ip_address,
            )
        document_sha256 = request.deliverable_id._pbd_file_sha256()
        code = otp.generate_code()
        body = self.env._(
            "%(company)s: your signature code is %(code)s. It is valid for 10 minutes.",
            company=request.company_id.name,
            code=code,
        )
        result = transport.send(parsed.e164, body, request.company_id._pbd_twilio_sender_for(parsed.e164))
        if not result.ok:
            return self._refuse(
                "send_refused",
                self.env._("The text message could not be sent. No signature without it: try again later."),
                ip_address=ip_address,
                failure=result.failure_type,
            )
        request.write(
            {
                "state": "code_sent",
                "signer_name": signer_name.strip()[:128],
                "document_sha256": document_sha256,
                "code_digest": otp.code_digest(
                    self._otp_key(), code, str(request.partner_id.id), document_sha256
                ),
                "code_issued_at": now,
                "code_sent_at": now,
                "code_wrong_tries": 0,
                "code_used": False,
            }
        )
        log._append(
            self,
            "code_sent",
            sent_to=parsed.e164,
            ip_address=ip_address,
            phone=phone.mask(parsed.e164),
            document_sha256=document_sha256,
            ip=ip_address,
            user_agent=(user_agent or "")[:256],
            provider_id=result.sid,
        )
        return True, self.env._("A code was sent to %s.", phone.mask(parsed.e164))

    def _verify_and_sign(self, code, ip_address, user_agent):
        """Check the code and sign; return (ok, message for the client)."""
        request = self._pbd_lock_open("verify_refused", ip_address)
        if not request:
            return False, self._pbd_closed_message()
        now = fields.Datetime.now()
        decision = otp.can_verify(request.code_issued_at, now, request.code_wrong_tries, request.code_used)
        if not decision.allowed:
            messages = {
                "no_code": self.env._("Ask for a code first."),
                "used": self.env._("This code was already used: ask for a new one."),
                "expired": self.env._("This code has expired: ask for a new one."),
                "too_many_tries": self.env._("Too many wrong codes: ask for a new one."),
            }
            return self._refuse(
                "verify_refused", messages[decision.reason], ip_address=ip_address, problem=decision.reason
            )
        current_sha256 = request.deliverable_id._pbd_file_sha256()
        valid = otp.verify_code(
            self._otp_key(), request.code_digest, code, str(request.partner_id.id), request.document_sha256
        )
        if not valid or current_sha256 != request.document_sha256:
            request.code_wrong_tries += 1
            request.wrong_codes_total += 1
            left = otp.MAX_WRONG_TRIES - request.code_wrong_tries
            log = self.env["pbd.evidence.log"]
            log._append(self, "code_wrong", ip_address=ip_address, tries=request.code_wrong_tries)
            if otp.is_locked_out(request.wrong_codes_total):
                request.locked_out = True
                log._append(self, "locked_out", wrong_codes=request.wrong_codes_total)
                return False, self._pbd_closed_message()
            if current_sha256 != request.document_sha256:
                return False, self.env._("The document changed since the code was sent: ask for a new code.")
            return False, self.env._("Wrong code. %s tries left.", max(left, 0))
        # Two signers of one document at the same moment: the deliverable's row decides.
        self.env.cr.execute(
            SQL(
                "UPDATE pbd_deliverable SET write_date = now() at time zone 'UTC' WHERE id = %s",
                request.deliverable_id.id,
            )
        )
        others = self.search_count(
            [
                ("deliverable_id", "=", request.deliverable_id.id),
                ("state", "=", "signed"),
                ("id", "!=", self.id),
            ]
        )
        if others:
            return False, self.env._("This document is already signed.")
        request.write({"code_used": True, "code_verified_at": now})
        request._sign(ip_address, user_agent)
        return True, self.env._("Signed. Your certificate is ready.")

    def _evidence(self, now, ip_address, user_agent, anchor, public=False):
        purpose = dict(self.deliverable_id._fields["signature_requirement"]._description_selection(self.env))
        return certificate.Evidence(
            reference=f"SIG-{self.id}",
            document_name=self.deliverable_id.file_name or self.deliverable_id.name,
            document_sha256=self.document_sha256,
            company_name=self.company_id.name,
            signer_name=self.partner_id.name if public else (self.signer_name or self.partner_id.name),
            signer_phone_masked=self.phone_masked or "",
            purpose=purpose.get(self.purpose, ""),
            consent_version=CONSENT_VERSION,
            consent_text=self._consent_text(),
            code_sent_at=self._iso(self.code_sent_at),
            code_verified_at=self._iso(self.code_verified_at),
            signed_at=self._iso(now),
            ip_address="" if public else (ip_address or ""),
            user_agent="" if public else (user_agent or "")[:256],
            phone_on_file=self.env._(
                "since %(since)s, set by %(user)s",
                since=self._iso(self.phone_since) or "?",
                user=self.phone_set_by_id.name or "?",
            ),
            anchor_row_hash=anchor,
            chain_head_hash=anchor,
        )

    def _sign(self, ip_address, user_agent):
        self.ensure_one()
        now = fields.Datetime.now()
        self.write(
            {
                "signed_at": now,
                "ip_address": ip_address,
                "user_agent": (user_agent or "")[:256],
                "consent_version": CONSENT_VERSION,
            }
        )
        log = self.env["pbd.evidence.log"]
        # The signing row is the chain's head from now until the certificate's row: the certificate prints it.
        anchor = log._append(
            self,
            "code_verified",
            ip_address=ip_address,
            ip=ip_address,
            phone=self.phone_masked,
            phone_on_file_since=self.phone_since,
            phone_set_by=self.phone_set_by_id.id,
        ).row_hash
        labels = self._certificate_labels()
        cert = certificate.certificate_pdf(self._evidence(now, ip_address, user_agent, anchor), labels)
        public = certificate.certificate_pdf(
            self._evidence(now, ip_address, user_agent, anchor, True), labels
        )
        source = io.BytesIO(base64.b64decode(self.deliverable_id.sudo().file))
        out = io.BytesIO()
        try:
            certificate.append_certificate(source, cert, out)
        except ValueError as exc:
            raise UserError(self.env._("This document cannot be signed: it is not a readable PDF.")) from exc
        signed = out.getvalue()
        self.write(
            {
                "state": "signed",
                "signed_file": base64.b64encode(signed),
                "signed_sha256": certificate.sha256_bytes(signed),
                "certificate_file": base64.b64encode(cert),
                "certificate_sha256": certificate.sha256_bytes(cert),
                "certificate_public_file": base64.b64encode(public),
                "anchor_row_hash": anchor,
            }
        )
        log._append(
            self,
            "signed",
            signer=self.signer_name,
            phone=self.phone_masked,
            document_sha256=self.document_sha256,
            signed_sha256=self.signed_sha256,
            certificate_sha256=self.certificate_sha256,
            anchor=anchor,
            ip=ip_address,
            consent_version=CONSENT_VERSION,
        )

    def _pbd_check_evidence(self, events, rows):
        """What this signed request's log rows contradict (translated), for the verification."""
        self.ensure_one()
        problems = []
        name = self.display_name
        missing = [
            event for event in ("requested", "code_sent", "code_verified", "signed") if event not in events
        ]
        if missing:
            problems.append(
                self.env._("%(name)s: missing rows %(events)s", name=name, events=", ".join(missing))
            )
        if self.anchor_row_hash and self.anchor_row_hash not in rows:
            problems.append(self.env._("%s: the certificate's anchor is not in the chain", name))
        signed = [json.loads(payload or "{}") for event, payload in rows.values() if event == "signed"]
        if signed:
            last = signed[-1]
            for key in ("document_sha256", "signed_sha256", "certificate_sha256"):
                if key in last and last[key] != self[key]:
                    problems.append(
                        self.env._("%(name)s: %(field)s differs from the log", name=name, field=key)
                    )
        if not self._check_signed_file():
            problems.append(self.env._("%s: the signed file was altered", name))
        return problems

    def action_pbd_change_phone(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change the mobile number"),
            "res_model": "pbd.signature.phone.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id},
        }

    def action_pbd_reopen(self):
        """The firm lets a client locked out by wrong codes try again."""
        for request in self:
            request._pbd_lock()
            request.sudo().write({"locked_out": False, "wrong_codes_total": 0, "code_wrong_tries": 0})
            self.env["pbd.evidence.log"]._append(
                request, "reopened", by=self.env.user.id, by_name=self.env.user.name
            )
        return True

    def _check_signed_file(self):
        self.ensure_one()
        data = base64.b64decode(self.sudo().signed_file or b"")
        return (
            bool(data)
            and certificate.sha256_bytes(data) == self.signed_sha256
            and (
                certificate.sha256_bytes(data[: len(base64.b64decode(self.deliverable_id.sudo().file))])
                == self.document_sha256
            )
        )

    @staticmethod
    def _iso(value):
        return fields.Datetime.to_string(value).replace(" ", "T") + "Z" if value else ""

    def _consent_text(self):
        return self.env._(
            "By entering the code received on my mobile phone, I sign this document electronically and "
            "acknowledge that this signature has the same value as my handwritten signature."
        )

    def _certificate_labels(self):
        return {
            "title": self.env._("Certificate of electronic signature"),
            "intro": self.env._(
                "This page was added to the document when it was signed. The document's pages before it are "
                "unchanged: their SHA-256 is given below."
            ),
            "reference": self.env._("Reference"),
            "document": self.env._("Document"),
            "sha256_before": self.env._("SHA-256 of the document"),
            "company": self.env._("Issued by"),
            "signer": self.env._("Signer"),
            "phone": self.env._("Verified mobile phone"),
            "phone_on_file": self.env._("Number on file"),
            "purpose": self.env._("Purpose"),
            "code_sent_at": self.env._("Code sent (UTC)"),
            "code_verified_at": self.env._("Code verified (UTC)"),
            "signed_at": self.env._("Signed (UTC)"),
            "ip_address": self.env._("IP address"),
            "user_agent": self.env._("Browser"),
            "consent_version": self.env._("Consent text version"),
            "anchor_row_hash": self.env._("Evidence log: signing row"),
            "chain_head_hash": self.env._("Evidence log: chain head at signing"),
            "consent": self.env._("Consent"),
            "footer": self.env._("Every step of this signature is kept in a hash-chained evidence log."),
        }
