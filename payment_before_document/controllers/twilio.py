import logging

from odoo import http
from odoo.http import request

from ..lib import twilio_transport

_logger = logging.getLogger(__name__)


class TwilioStatus(http.Controller):
    @http.route(
        "/payment_before_document/twilio/status",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def twilio_status(self, **params):
        """Delivery status from Twilio, accepted only with a valid X-Twilio-Signature."""
        settings = request.env["sms.sms"].sudo()._pbd_twilio_settings()
        signature = request.httprequest.headers.get("X-Twilio-Signature", "")
        form = request.httprequest.form.to_dict()
        if not settings or not twilio_transport.valid_callback(
            settings["auth_token"], request.httprequest.url, form, signature
        ):
            _logger.warning("Twilio status callback refused: bad or missing signature")
            return request.make_response("forbidden", status=403)
        uuid = request.httprequest.args.get("uuid")
        status = form.get("MessageStatus") or form.get("SmsStatus")
        state = twilio_transport.STATUS_TO_STATE.get(status)
        if uuid and state:
            failure = None
            if state == "error":
                failure = twilio_transport.ERROR_TO_FAILURE.get(int(form.get("ErrorCode") or 0), "sms_server")
            request.env["sms.sms"].sudo()._pbd_update_from_provider(uuid, state, failure)
        return request.make_response("", status=204)
