"""18.0.1.1.0: Twilio is configured in Odoo's own SMS settings (``sms_twilio``).

Before, the add-on kept one Twilio account for the whole database in three
system parameters and sent every SMS through it. They move to the Twilio
settings of each company (Odoo's "Send via Twilio": account SID, auth token,
sender numbers per country), then are deleted. A company that already sends
via its own Twilio account keeps it. A messaging service SID (``MG…``) has no
place there: Odoo sends from numbers only, so it is left out and the log says
to add the sender numbers (*Reload Numbers from Twilio* fetches them).

Companies that existed before the add-on also get the settings a new company
gets (the "documents available" template, the watermark in each language),
and the previews of PDF deliverables are made again as pictures: the earlier
ones copied the first pages with everything they referenced, text of the
other pages included.
"""

import logging
import re

import phonenumbers

from odoo import SUPERUSER_ID, api

from odoo.addons.phone_validation.tools import phone_validation

_logger = logging.getLogger(__name__)

PREFIX = "payment_before_document.twilio_"
KEYS = ("account_sid", "auth_token", "sender")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _sender_country(env, number, company):
    """The country of a sender number as Odoo reads it, else by its calling code, else the company's."""
    code = phone_validation.phone_get_country_code_for_number(number)
    if not code:
        try:
            code = phonenumbers.region_code_for_country_code(phonenumbers.parse(number).country_code)
        except phonenumbers.NumberParseException:
            code = ""
    country = env["res.country"].search([("code", "=", code)], limit=1) if code else env["res.country"]
    return country or company.country_id


def _add_sender(env, company, sender):
    """The old sender as one of the company's Twilio numbers, if it is a number."""
    if not E164.match(sender):
        _logger.warning(
            "Twilio settings of %s: the sender %s is not a phone number (a messaging service SID?); "
            "Odoo sends from numbers only: add them in Settings > Send SMS > Configure Twilio Account "
            "(Reload Numbers from Twilio).",
            company.name,
            sender[:2] + "…",
        )
        return
    country = _sender_country(env, sender, company)
    if not country:
        _logger.warning(
            "Twilio settings of %s: no country for the sender number, add it in Settings > Send SMS > "
            "Configure Twilio Account.",
            company.name,
        )
        return
    if sender not in company.sms_twilio_number_ids.mapped("number"):
        env["sms.twilio.number"].create(
            {"company_id": company.id, "number": sender, "country_id": country.id}
        )


def _move_twilio_settings(env):
    params = env["ir.config_parameter"].sudo()
    records = params.search([("key", "in", [PREFIX + key for key in KEYS])])
    old = {record.key.removeprefix(PREFIX): (record.value or "").strip() for record in records}
    if old.get("account_sid") and old.get("auth_token"):
        sender = old.get("sender", "")
        if sender.startswith("+"):
            sender = re.sub(r"[\s().-]", "", sender)
        for company in env["res.company"].with_context(active_test=False).search([]):
            if company.sms_provider == "twilio" and company.sms_twilio_account_sid:
                _logger.info("Twilio settings: %s sends via its own Twilio account, kept", company.name)
                continue
            company.write(
                {
                    "sms_provider": "twilio",
                    "sms_twilio_account_sid": old["account_sid"],
                    "sms_twilio_auth_token": old["auth_token"],
                }
            )
            if sender:
                _add_sender(env, company, sender)
            _logger.info("Twilio settings moved to %s's SMS settings (Send via Twilio)", company.name)
    elif records:
        _logger.warning("Incomplete Twilio settings of the add-on (no account SID or token): not moved")
    records.unlink()


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _move_twilio_settings(env)
    env["res.company"].with_context(active_test=False).search([])._pbd_init_company_settings()
    # Previews made before 18.0.1.1.0 copied the first pages with all they
    # referenced, other pages included: they become pictures.
    env["pbd.deliverable"].with_context(active_test=False).search(
        [("is_pdf", "=", True)]
    )._pbd_refresh_previews()
