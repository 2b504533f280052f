"""Twilio as the SMS transport, with the ``twilio`` library (no ORM).

:class:`TwilioSms` sends one message and tells how it went in the words of
Odoo's SMS queue; :func:`valid_callback` checks ``X-Twilio-Signature`` on a
delivery-status callback. ``http_client`` lets tests replace the HTTP layer
only (the library's own code runs).
"""

from dataclasses import dataclass
import logging

_logger = logging.getLogger(__name__)
# The library logs every request's URL and headers at INFO: keep the server log
# for what matters (never the token nor the message, which may carry a code).
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

# Twilio error codes -> Odoo sms.sms failure types.
ERROR_TO_FAILURE = {
    21211: "sms_number_format",  # invalid 'To' number
    21614: "sms_number_format",  # not a mobile number
    21408: "sms_country_not_supported",  # permission to send to region not enabled
    21612: "sms_country_not_supported",
    21610: "sms_blacklist",  # recipient unsubscribed (STOP)
    20003: "sms_acc",  # authentication failed
    20404: "sms_acc",
}
# Twilio message status -> Odoo sms.sms state.
STATUS_TO_STATE = {
    "accepted": "pending",
    "scheduled": "pending",
    "queued": "pending",
    "sending": "pending",
    "sent": "pending",
    "delivered": "sent",
    "undelivered": "error",
    "failed": "error",
    "canceled": "canceled",
}


@dataclass(frozen=True)
class SendResult:
    ok: bool
    sid: str = ""
    status: str = ""
    failure_type: str = ""
    error: str = ""


class TwilioSms:
    def __init__(self, account_sid, auth_token, sender, http_client=None):
        from twilio.rest import Client  # noqa: PLC0415

        self.sender = sender
        self.client = Client(account_sid, auth_token, http_client=http_client)

    def _sender_args(self):
        if (self.sender or "").startswith("MG"):
            return {"messaging_service_sid": self.sender}
        return {"from_": self.sender}

    def send(self, to, body, status_callback=None) -> SendResult:
        from twilio.base.exceptions import TwilioException, TwilioRestException  # noqa: PLC0415

        kwargs = {"to": to, "body": body, **self._sender_args()}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            failure = ERROR_TO_FAILURE.get(exc.code, "sms_server")
            _logger.info("Twilio refused an SMS: code %s", exc.code)  # never the body, never the token
            return SendResult(False, failure_type=failure, error=f"{exc.code}: {exc.msg}")
        except (TwilioException, OSError) as exc:
            _logger.info("Twilio unreachable: %s", exc.__class__.__name__)
            return SendResult(False, failure_type="sms_server", error=exc.__class__.__name__)
        return SendResult(True, sid=message.sid, status=message.status)

    def check_credentials(self, account_sid):
        """Fetch the account: proves the SID and token without sending anything."""
        account = self.client.api.v2010.accounts(account_sid).fetch()
        return account.status


def valid_callback(auth_token, url, params, signature) -> bool:
    """True when ``signature`` is Twilio's for this URL and form (constant time)."""
    from twilio.request_validator import RequestValidator  # noqa: PLC0415

    if not (auth_token and signature):
        return False
    return RequestValidator(auth_token).validate(url, params, signature)
