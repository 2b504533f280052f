from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from ..lib import phone as pbd_phone
from .portal import DeliverablePortal


class SignaturePortal(DeliverablePortal):
    """Signing a deliverable with a code received by SMS. Thin: the rules
    live in ``pbd.signature.request``."""

    def _pbd_signer(self, deliverable_sudo):
        # The firm decides who signs (and so which number gets the code), never the visitor.
        return deliverable_sudo._pbd_signer()

    def _pbd_signer_request(self, deliverable_sudo):
        """The signer's request for this deliverable (sudo), if any."""
        return (
            request.env["pbd.signature.request"]
            .sudo()
            .search(
                [
                    ("deliverable_id", "=", deliverable_sudo.id),
                    ("partner_id", "=", self._pbd_signer(deliverable_sudo).id),
                ],
                limit=1,
            )
        )

    def _pbd_sign_page(self, deliverable_sudo, access_token, message="", error="", sign_request=None):
        signer = self._pbd_signer(deliverable_sudo)
        sign_request = sign_request or self._pbd_signer_request(deliverable_sudo)
        on_file = (
            (
                sign_request
                or request.env["pbd.signature.request"]
                .sudo()
                .new({"partner_id": signer.id, "deliverable_id": deliverable_sudo.id})
            )
            .with_company(deliverable_sudo.company_id)
            ._pbd_phone_on_file()
        )
        values = {
            "deliverable": deliverable_sudo,
            "phone_on_file_masked": pbd_phone.mask(on_file.e164) if on_file.ok else "",
            "show_private": deliverable_sudo._is_downloadable(),
            "sign_request": sign_request,
            "signer": signer,
            "problem": deliverable_sudo._pbd_signature_problem(),
            "pbd_access_token": access_token,
            "message": message,
            "error": error,
            "page_name": "pbd_documents",
        }
        return request.render("payment_before_document.portal_deliverable_sign", values)

    def _pbd_sign_outcome(self, deliverable_sudo, access_token, sign_request, ok, message):
        kind = "message" if ok else "error"
        return self._pbd_sign_page(
            deliverable_sudo, access_token, sign_request=sign_request, **{kind: message}
        )

    def _pbd_client(self):
        httprequest = request.httprequest
        return httprequest.remote_addr, httprequest.user_agent.string

    @http.route("/my/documents/<int:deliverable_id>/sign", type="http", auth="public", website=True)
    def portal_deliverable_sign(self, deliverable_id, access_token=None, **kw):
        try:
            deliverable_sudo = self._pbd_deliverable_sudo(deliverable_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        return self._pbd_sign_page(deliverable_sudo, access_token)

    @http.route(
        "/my/documents/<int:deliverable_id>/sign/code",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
    )
    def portal_deliverable_sign_code(self, deliverable_id, access_token=None, signer_name="", **kw):
        # Any number typed or posted (``phone``…) is ignored: the code goes to the number on file.
        try:
            deliverable_sudo = self._pbd_deliverable_sudo(deliverable_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        problem = deliverable_sudo._pbd_signature_problem()
        if problem:
            return self._pbd_sign_page(deliverable_sudo, access_token, error=problem)
        sign_request = request.env["pbd.signature.request"]._get_or_create(
            deliverable_sudo, self._pbd_signer(deliverable_sudo)
        )
        ok, message = sign_request._send_code(signer_name, *self._pbd_client())
        return self._pbd_sign_outcome(deliverable_sudo, access_token, sign_request, ok, message)

    @http.route(
        "/my/documents/<int:deliverable_id>/sign/ask_number",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
    )
    def portal_deliverable_sign_ask_number(self, deliverable_id, access_token=None, **kw):
        """The number on file is missing or wrong: the client asks the firm (an activity)."""
        try:
            deliverable_sudo = self._pbd_deliverable_sudo(deliverable_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if deliverable_sudo.signature_requirement == "none":
            return request.redirect(deliverable_sudo.move_id.get_portal_url())
        sign_request = request.env["pbd.signature.request"]._get_or_create(
            deliverable_sudo, self._pbd_signer(deliverable_sudo)
        )
        message = sign_request._pbd_ask_phone(self._pbd_client()[0])
        return self._pbd_sign_page(deliverable_sudo, access_token, message=message, sign_request=sign_request)

    @http.route(
        "/my/documents/<int:deliverable_id>/sign/confirm",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
    )
    def portal_deliverable_sign_confirm(self, deliverable_id, access_token=None, code="", **kw):
        try:
            deliverable_sudo = self._pbd_deliverable_sudo(deliverable_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        problem = deliverable_sudo._pbd_signature_problem()
        if problem:
            return self._pbd_sign_page(deliverable_sudo, access_token, error=problem)
        sign_request = self._pbd_signer_request(deliverable_sudo)
        if not sign_request:
            return self._pbd_sign_page(
                deliverable_sudo, access_token, error=request.env._("Ask for a code first.")
            )
        ok, message = sign_request._verify_and_sign(code, *self._pbd_client())
        return self._pbd_sign_outcome(deliverable_sudo, access_token, sign_request, ok, message)

    @http.route(
        "/my/documents/<int:deliverable_id>/signature/<string:kind>", type="http", auth="public", website=True
    )
    def portal_deliverable_signature_file(self, deliverable_id, kind, access_token=None, **kw):
        if kind not in ("signed", "certificate"):
            return request.not_found()
        try:
            deliverable_sudo = self._pbd_deliverable_sudo(deliverable_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        sign_request = deliverable_sudo.signature_request_ids.filtered(lambda r: r.state == "signed")[:1]
        # The signed copy contains the document itself: only once it is released.
        if not sign_request or (kind == "signed" and not deliverable_sudo._is_downloadable()):
            return request.redirect(deliverable_sudo.move_id.get_portal_url())
        name = (deliverable_sudo.file_name or deliverable_sudo.name).rsplit(".", 1)[0]
        if kind == "signed":
            # The whole document: a download like the original's, logged as the signed copy.
            return self._pbd_send_file(
                deliverable_sudo,
                sign_request.sudo(),
                "signed_file",
                f"{name} - signed.pdf",
                file_kind="signed",
                mimetype="application/pdf",
            )
        # Before release, a link holder gets the certificate without IP address, browser or typed name.
        field = "certificate_file"
        if not deliverable_sudo._is_downloadable() and sign_request.sudo().certificate_public_file:
            field = "certificate_public_file"
        stream = request.env["ir.binary"]._get_stream_from(
            sign_request.sudo(),
            field,
            filename=f"{name} - certificate.pdf",
            mimetype="application/pdf",
        )
        return stream.get_response(as_attachment=True)
