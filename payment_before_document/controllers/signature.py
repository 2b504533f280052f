from odoo import http
from odoo.http import request

from ..lib import phone as pbd_phone
from .portal import DELIVERABLE, DeliverablePortal

# The signing steps: forms the signing page posts (the access token in the form).
SIGN_STEP_ROUTE = {"type": "http", "auth": "public", "website": True, "methods": ["POST"]}


class SignaturePortal(DeliverablePortal):
    """Signing a deliverable with a code received by SMS. Thin: who signs, when,
    and which signed file the client may get are decided by
    ``pbd.deliverable`` (``_pbd_signer``, ``_pbd_signature_problem``,
    ``_pbd_signature_file_field``); the code itself by ``pbd.signature.request``."""

    def _pbd_sign_page(self, deliverable_sudo, access_token, message="", error="", sign_request=None):
        sign_request = sign_request or deliverable_sudo._pbd_signer_request()
        on_file = deliverable_sudo._pbd_signer_phone_on_file(sign_request)
        values = {
            "deliverable": deliverable_sudo,
            "phone_on_file_masked": pbd_phone.mask(on_file.e164) if on_file.ok else "",
            "show_private": not deliverable_sudo._pbd_is_file_locked(),
            "sign_request": sign_request,
            "signer": deliverable_sudo._pbd_signer(),
            "problem": deliverable_sudo._pbd_signature_problem(),
            "pbd_access_token": access_token,
            "message": message,
            "error": error,
            "page_name": "pbd_documents",
        }
        return request.render("payment_before_document.portal_deliverable_sign", values)

    def _pbd_sign_step(self, deliverable_id, access_token, step):
        """Run one signing step, ``step(deliverable_sudo) -> (ok, message, sign_request)``, and show the page.

        The access check comes first, then the deliverable's own reason not
        to be signed now: a step runs only when there is none.
        """
        deliverable_sudo, refusal = self._pbd_check_access(DELIVERABLE, deliverable_id, access_token)
        if refusal:
            return refusal
        problem = deliverable_sudo._pbd_signature_problem()
        if problem:
            return self._pbd_sign_page(deliverable_sudo, access_token, error=problem)
        ok, message, sign_request = step(deliverable_sudo)
        kind = "message" if ok else "error"
        return self._pbd_sign_page(
            deliverable_sudo, access_token, sign_request=sign_request, **{kind: message}
        )

    def _pbd_client(self):
        httprequest = request.httprequest
        return httprequest.remote_addr, httprequest.user_agent.string

    @http.route("/my/documents/<int:deliverable_id>/sign", type="http", auth="public", website=True)
    def portal_deliverable_sign(self, deliverable_id, access_token=None, **kw):
        deliverable_sudo, refusal = self._pbd_check_access(DELIVERABLE, deliverable_id, access_token)
        return refusal or self._pbd_sign_page(deliverable_sudo, access_token)

    @http.route("/my/documents/<int:deliverable_id>/sign/code", **SIGN_STEP_ROUTE)
    def portal_deliverable_sign_code(self, deliverable_id, access_token=None, signer_name="", **kw):
        # Any number typed or posted (``phone``…) is ignored: the code goes to the number on file.
        def send_code(deliverable_sudo):
            sign_request = deliverable_sudo._pbd_signer_request(create=True)
            ok, message = sign_request._send_code(signer_name, *self._pbd_client())
            return ok, message, sign_request

        return self._pbd_sign_step(deliverable_id, access_token, send_code)

    @http.route("/my/documents/<int:deliverable_id>/sign/ask_number", **SIGN_STEP_ROUTE)
    def portal_deliverable_sign_ask_number(self, deliverable_id, access_token=None, **kw):
        """The number on file is missing or wrong: the client asks the firm (an activity)."""
        deliverable_sudo, refusal = self._pbd_check_access(DELIVERABLE, deliverable_id, access_token)
        if refusal:
            return refusal
        if deliverable_sudo.signature_requirement == "none":
            return request.redirect(deliverable_sudo.move_id.get_portal_url())
        sign_request = deliverable_sudo._pbd_signer_request(create=True)
        message = sign_request._pbd_ask_phone(self._pbd_client()[0])
        return self._pbd_sign_page(deliverable_sudo, access_token, message=message, sign_request=sign_request)

    @http.route("/my/documents/<int:deliverable_id>/sign/confirm", **SIGN_STEP_ROUTE)
    def portal_deliverable_sign_confirm(self, deliverable_id, access_token=None, code="", **kw):
        def verify_and_sign(deliverable_sudo):
            sign_request = deliverable_sudo._pbd_signer_request()
            if not sign_request:
                return False, request.env._("Ask for a code first."), sign_request
            ok, message = sign_request._verify_and_sign(code, *self._pbd_client())
            return ok, message, sign_request

        return self._pbd_sign_step(deliverable_id, access_token, verify_and_sign)

    @http.route(
        "/my/documents/<int:deliverable_id>/signature/<string:kind>", type="http", auth="public", website=True
    )
    def portal_deliverable_signature_file(self, deliverable_id, kind, access_token=None, **kw):
        if kind not in ("signed", "certificate"):
            return request.not_found()
        deliverable_sudo, refusal = self._pbd_check_access(DELIVERABLE, deliverable_id, access_token)
        if refusal:
            return refusal
        field = deliverable_sudo._pbd_signature_file_field(kind)
        if not field:
            return request.redirect(deliverable_sudo.move_id.get_portal_url())
        sign_request_sudo = deliverable_sudo._pbd_signed_request().sudo()
        name = (deliverable_sudo.file_name or deliverable_sudo.name).rsplit(".", 1)[0]
        if kind == "signed":
            # The whole document: a download like the original's, logged as the signed copy.
            return self._pbd_send_file(
                deliverable_sudo,
                sign_request_sudo,
                field,
                f"{name} - signed.pdf",
                file_kind="signed",
                mimetype="application/pdf",
            )
        stream = request.env["ir.binary"]._get_stream_from(
            sign_request_sudo,
            field,
            filename=f"{name} - certificate.pdf",
            mimetype="application/pdf",
        )
        return stream.get_response(as_attachment=True)
