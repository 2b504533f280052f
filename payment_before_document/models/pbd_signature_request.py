import base64
from datetime import timedelta
import hashlib
import hmac
import io
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import certificate, otp, phone

_logger = logging.getLogger(__name__)

CONSENT_VERSION = "2026-11"


class PbdSignatureRequest(models.Model):
    """A client's signature of a deliverable, verified by a code sent by SMS.

    It fails closed: no SMS provider, a refused send, an expired, reused or
    wrong code, too many tries or sends: no signature. Every step goes to
    the append-only evidence log.
    """

    _name = "pbd.signature.request"
    _description = "Signature Request"
    _order = "id desc"
    _check_company_auto = True

    deliverable_id = fields.Many2one(
        "account.move.deliverable", required=True, readonly=True, index=True, ondelete="restrict"
    )
    move_id = fields.Many2one(related="deliverable_id.move_id", store=True)
    company_id = fields.Many2one(related="deliverable_id.company_id", store=True)
    partner_id = fields.Many2one("res.partner", string="Signer", required=True, readonly=True)
    signer_name = fields.Char(readonly=True)
    purpose = fields.Selection(related="deliverable_id.signature_requirement", store=True)
    phone_e164 = fields.Char(readonly=True, groups="base.group_user")
    phone_masked = fields.Char(string="Verified phone", readonly=True)
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
    evidence_ids = fields.One2many("pbd.evidence.log", "request_id", readonly=True)

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
            request = self.sudo().create({"deliverable_id": deliverable.id, "partner_id": partner.id})
            self.env["pbd.evidence.log"]._append(request, "requested", partner=partner.id)
        return request

    def _refuse(self, event, message, **data):
        self.env["pbd.evidence.log"]._append(self, event, reason=message, **data)
        return False, message

    def _send_code(self, signer_name, raw_phone, ip_address, user_agent):
        """Send a fresh code; return (ok, message for the client)."""
        self.ensure_one()
        if self.state == "signed":
            return False, self.env._("This document is already signed.")
        if not (signer_name or "").strip():
            return False, self.env._("Type your full name.")
        parsed = phone.parse_for_sms(
            raw_phone, self.partner_id.country_id.code or self.company_id.country_id.code
        )
        if not parsed.ok:
            messages = {
                "empty": self.env._("Enter your mobile number."),
                "unparsable": self.env._("This is not a phone number."),
                "invalid": self.env._("This phone number is not valid."),
                "not_mobile": self.env._("This number cannot receive text messages: enter a mobile number."),
            }
            return self._refuse("send_refused", messages[parsed.problem], problem=parsed.problem)
        now = fields.Datetime.now()
        sends = self.evidence_ids.filtered(lambda e: e.event == "code_sent").mapped("timestamp")
        # Daily cap per number, whatever the request (SMS-pumping fraud).
        today_to_number = (
            self.env["pbd.evidence.log"]
            .sudo()
            .search_count(
                [
                    ("event", "=", "code_sent"),
                    ("timestamp", ">=", now - timedelta(days=1)),
                    ("request_id.phone_e164", "=", parsed.e164),
                ]
            )
        )
        decision = otp.can_send(sends, now, today_to_number)
        if not decision.allowed:
            messages = {
                "too_many_sends": self.env._(
                    "Too many codes were sent: wait 15 minutes before asking for another."
                ),
                "daily_cap": self.env._("Too many codes were sent to this number today: try again tomorrow."),
            }
            return self._refuse("send_refused", messages[decision.reason], problem=decision.reason)
        # The code leaves at once, with the company's Twilio account (Odoo's SMS
        # settings) from the number Odoo would use for this country: the client
        # must be told now whether it was accepted, not after a queue.
        transport = self.company_id._pbd_twilio_sms()
        if not transport:
            return self._refuse(
                "send_refused", self.env._("Signing by SMS code is not available: no SMS provider is set up.")
            )
        document_sha256 = self.deliverable_id._pbd_file_sha256()
        code = otp.generate_code()
        body = self.env._(
            "%(company)s: your signature code is %(code)s. It is valid for 10 minutes.",
            company=self.company_id.name,
            code=code,
        )
        result = transport.send(parsed.e164, body, self.company_id._pbd_twilio_sender_for(parsed.e164))
        if not result.ok:
            return self._refuse(
                "send_refused",
                self.env._("The text message could not be sent. No signature without it: try again later."),
                failure=result.failure_type,
            )
        self.sudo().write(
            {
                "state": "code_sent",
                "signer_name": signer_name.strip()[:128],
                "phone_e164": parsed.e164,
                "phone_masked": phone.mask(parsed.e164),
                "document_sha256": document_sha256,
                "code_digest": otp.code_digest(
                    self._otp_key(), code, str(self.partner_id.id), document_sha256
                ),
                "code_issued_at": now,
                "code_sent_at": now,
                "code_wrong_tries": 0,
                "code_used": False,
            }
        )
        self.env["pbd.evidence.log"]._append(
            self,
            "code_sent",
            phone=phone.mask(parsed.e164),
            document_sha256=document_sha256,
            ip=ip_address,
            user_agent=(user_agent or "")[:256],
            provider_id=result.sid,
        )
        return True, self.env._("A code was sent to %s.", phone.mask(parsed.e164))

    def _verify_and_sign(self, code, ip_address, user_agent):
        """Check the code and sign; return (ok, message for the client)."""
        self.ensure_one()
        request = self.sudo()
        if request.state == "signed":
            return False, self.env._("This document is already signed.")
        now = fields.Datetime.now()
        decision = otp.can_verify(request.code_issued_at, now, request.code_wrong_tries, request.code_used)
        if not decision.allowed:
            messages = {
                "no_code": self.env._("Ask for a code first."),
                "used": self.env._("This code was already used: ask for a new one."),
                "expired": self.env._("This code has expired: ask for a new one."),
                "too_many_tries": self.env._("Too many wrong codes: ask for a new one."),
            }
            return self._refuse("verify_refused", messages[decision.reason], problem=decision.reason)
        current_sha256 = request.deliverable_id._pbd_file_sha256()
        valid = otp.verify_code(
            self._otp_key(), request.code_digest, code, str(request.partner_id.id), request.document_sha256
        )
        if not valid or current_sha256 != request.document_sha256:
            request.code_wrong_tries += 1
            left = otp.MAX_WRONG_TRIES - request.code_wrong_tries
            self.env["pbd.evidence.log"]._append(self, "code_wrong", tries=request.code_wrong_tries)
            if current_sha256 != request.document_sha256:
                return False, self.env._("The document changed since the code was sent: ask for a new code.")
            return False, self.env._("Wrong code. %s tries left.", max(left, 0))
        request.write({"code_used": True, "code_verified_at": now})
        self.env["pbd.evidence.log"]._append(self, "code_verified", ip=ip_address)
        request._sign(ip_address, user_agent)
        return True, self.env._("Signed. Your certificate is ready.")

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
        evidence = certificate.Evidence(
            reference=f"SIG-{self.id}",
            document_name=self.deliverable_id.file_name or self.deliverable_id.name,
            document_sha256=self.document_sha256,
            company_name=self.company_id.name,
            signer_name=self.signer_name,
            signer_phone_masked=self.phone_masked,
            purpose=dict(
                self.deliverable_id._fields["signature_requirement"]._description_selection(self.env)
            ).get(self.purpose, ""),
            consent_version=CONSENT_VERSION,
            consent_text=self._consent_text(),
            code_sent_at=self._iso(self.code_sent_at),
            code_verified_at=self._iso(self.code_verified_at),
            signed_at=self._iso(now),
            ip_address=ip_address or "",
            user_agent=(user_agent or "")[:256],
        )
        cert = certificate.certificate_pdf(evidence, self._certificate_labels())
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
            }
        )
        self.env["pbd.evidence.log"]._append(
            self,
            "signed",
            signer=self.signer_name,
            document_sha256=self.document_sha256,
            signed_sha256=self.signed_sha256,
            ip=ip_address,
            consent_version=CONSENT_VERSION,
        )

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
            "purpose": self.env._("Purpose"),
            "code_sent_at": self.env._("Code sent (UTC)"),
            "code_verified_at": self.env._("Code verified (UTC)"),
            "signed_at": self.env._("Signed (UTC)"),
            "ip_address": self.env._("IP address"),
            "user_agent": self.env._("Browser"),
            "consent_version": self.env._("Consent text version"),
            "consent": self.env._("Consent"),
            "footer": self.env._("Every step of this signature is kept in a hash-chained evidence log."),
        }
