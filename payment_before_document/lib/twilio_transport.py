"""The signature code's own SMS sender, with the ``twilio`` library (no ORM).

Every other SMS of the database goes through Odoo's SMS queue (``sms_twilio``
when the company sends via Twilio). A signature code cannot wait in a queue:
the client is on the page and must be told at once whether the code left, so
:class:`TwilioSms` sends one message with the company's Twilio account and
says how it went, in the words of Odoo's SMS failure types.
"""

from dataclasses import dataclass
import logging

_logger = logging.getLogger(__name__)
# The library logs every request's URL and headers at INFO: keep the server log
# for what matters (never the token nor the message, which carries a code).
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


@dataclass(frozen=True)
class SendResult:
    ok: bool
    sid: str = ""
    status: str = ""
    failure_type: str = ""
    error: str = ""


# Seconds to wait for Twilio: the client waits on the page (Odoo's own SMS use 5).
TIMEOUT = 10


class TwilioSms:
    """One Twilio account; ``http_client`` is the library's own (with a timeout) unless given."""

    def __init__(self, account_sid, auth_token, http_client=None):
        from twilio.http.http_client import TwilioHttpClient  # noqa: PLC0415
        from twilio.rest import Client  # noqa: PLC0415

        if http_client is None:
            http_client = TwilioHttpClient(timeout=TIMEOUT)
        self.client = Client(account_sid, auth_token, http_client=http_client)

    def send(self, to, body, sender) -> SendResult:
        """Send ``body`` to ``to`` from the number ``sender`` (E.164)."""
        from twilio.base.exceptions import TwilioException, TwilioRestException  # noqa: PLC0415

        if not sender:
            return SendResult(False, failure_type="twilio_from_missing", error="no sender number")
        try:
            message = self.client.messages.create(to=to, from_=sender, body=body)
        except TwilioRestException as exc:
            failure = ERROR_TO_FAILURE.get(exc.code, "sms_server")
            _logger.info("Twilio refused an SMS: code %s", exc.code)  # never the body, never the token
            return SendResult(False, failure_type=failure, error=f"{exc.code}: {exc.msg}")
        except (TwilioException, OSError) as exc:
            _logger.info("Twilio unreachable: %s", exc.__class__.__name__)
            return SendResult(False, failure_type="sms_server", error=exc.__class__.__name__)
        return SendResult(True, sid=message.sid, status=message.status)
