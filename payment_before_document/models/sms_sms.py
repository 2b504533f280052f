import logging

from werkzeug.urls import url_encode

from odoo import api, models

from ..lib import twilio_transport

_logger = logging.getLogger(__name__)

PARAM_PREFIX = "payment_before_document.twilio_"


class SmsSms(models.Model):
    """Every SMS of the database goes through Twilio once it is configured."""

    _inherit = "sms.sms"

    @api.model
    def _pbd_twilio_settings(self):
        params = self.env["ir.config_parameter"].sudo()
        values = {
            key: params.get_param(f"{PARAM_PREFIX}{key}") for key in ("account_sid", "auth_token", "sender")
        }
        return values if all(values.values()) else None

    @api.model
    def _pbd_twilio_http_client(self):
        """The library's own HTTP client; tests give one with a fake session."""
        return

    @api.model
    def _pbd_twilio(self):
        settings = self._pbd_twilio_settings()
        if not settings:
            return None
        return twilio_transport.TwilioSms(
            settings["account_sid"],
            settings["auth_token"],
            settings["sender"],
            http_client=self._pbd_twilio_http_client(),
        )

    def _pbd_status_callback_url(self):
        self.ensure_one()
        return (
            f"{self.get_base_url()}/payment_before_document/twilio/status?{url_encode({'uuid': self.uuid})}"
        )

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        transport = self._pbd_twilio()
        if not transport:
            return super()._send(
                unlink_failed=unlink_failed, unlink_sent=unlink_sent, raise_exception=raise_exception
            )
        for sms in self.sudo().with_context(sms_skip_msg_notification=True):
            result = transport.send(sms.number, sms.body, status_callback=sms._pbd_status_callback_url())
            if result.ok:
                state = twilio_transport.STATUS_TO_STATE.get(result.status, "pending")
                sms.sms_tracker_id._action_update_from_sms_state(state)
                sms.write(
                    {"state": state, "failure_type": False, "to_delete": unlink_sent and state != "error"}
                )
            else:
                sms.sms_tracker_id._action_update_from_sms_state("error", failure_type=result.failure_type)
                sms.write({"state": "error", "failure_type": result.failure_type, "to_delete": unlink_failed})
        self.mail_message_id._notify_message_notification_update()
        return True

    @api.model
    def _pbd_update_from_provider(self, uuid, state, failure_type=None):
        """Apply a delivery status to the SMS (if still there) and its tracker."""
        trackers = self.env["sms.tracker"].sudo().search([("sms_uuid", "=", uuid)])
        trackers._action_update_from_sms_state(state, failure_type=failure_type)
        sms = self.sudo().search([("uuid", "=", uuid)])
        if sms:
            sms.write({"state": state, "failure_type": failure_type or False})
        return trackers or sms
