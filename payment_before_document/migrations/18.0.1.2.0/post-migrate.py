"""18.0.1.2.0: the shipped follow-up texts are refreshed where the firm left them as shipped.

Mail and SMS templates and the follow-up levels are ``noupdate``: a firm's
edits survive upgrades. The texts of this version (figures read from the
company's settings, one greeting per letter) therefore reach only the records
nobody edited: those last written by the installation or an upgrade (the
superuser), never by a person. They are loaded again from the data files,
with their translations from the module's ``.po`` files. Old databases thus
stop printing « Madame, Monsieur, » twice in the formal notice, which the old
letter text repeated.

The formal-notice deadline moves from the formal-notice level to the
company's settings (the longest deadline of its formal-notice levels), and
the half-year of the ECB rate, free text before, gets the form of its new
selection ("2026-H2").
"""

import logging

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools import file_open
from odoo.tools.convert import xml_import
from odoo.tools.sql import column_exists
from odoo.tools.translate import TranslationImporter, get_po_paths

_logger = logging.getLogger(__name__)

MODULE = "payment_before_document"
DATA_FILES = ("data/mail_template_data.xml", "data/pbd_followup_data.xml")
REFRESHED_MODELS = ("mail.template", "sms.template", "pbd.followup.level")


def _unedited_xmlids(env, names):
    """The xmlids among ``names`` whose record no person ever wrote (last writer: the superuser)."""
    Data = env["ir.model.data"]
    unedited = []
    for imd in Data.search([("module", "=", MODULE), ("name", "in", names)]):
        if imd.model not in REFRESHED_MODELS:
            continue
        record = env[imd.model].browse(imd.res_id).exists()
        if record and record.write_uid.id in (False, SUPERUSER_ID):
            unedited.append(imd)
    return Data.concat(*unedited)


def refresh_shipped_records(env, module=MODULE, data_files=DATA_FILES):
    """Load again the records of ``data_files`` that nobody edited, and their translations.

    Returns the refreshed xmlids. Records a person edited are left alone.
    """
    refreshed = []
    for data_file in data_files:
        with file_open(f"{module}/{data_file}", "rb") as handle:
            root = etree.parse(handle).getroot()
        records = {
            element.get("id"): element
            for element in root.iter("record")
            if element.get("model") in REFRESHED_MODELS
        }
        imds = _unedited_xmlids(env, list(records))
        if not imds:
            continue
        fresh = etree.Element("odoo")
        for imd in imds:
            fresh.append(records[imd.name])
        imds.write({"noupdate": False})
        env.flush_all()  # the loader reads the xmlids' flag in SQL
        xml_import(env, module, {}, mode="update", noupdate=False, xml_filename=data_file).parse(fresh)
        imds.write({"noupdate": True})
        env.flush_all()
        refreshed += [f"{module}.{name}" for name in imds.mapped("name")]
    if refreshed:
        importer = TranslationImporter(env.cr, verbose=False)
        for lang, _name in env["res.lang"].get_installed():
            if lang == "en_US":
                continue
            for po_path in get_po_paths(module, lang):
                importer.load_file(po_path, lang, xmlids=refreshed)
        importer.save(overwrite=True, force_overwrite=True)
        _logger.info("Follow-up texts refreshed as shipped: %s", ", ".join(sorted(refreshed)))
    return refreshed


def _formal_notice_deadline_to_company(env):
    """The formal-notice deadline was a field of the level: the company's setting now."""
    if not column_exists(env.cr, "pbd_followup_level", "notice_deadline_days"):
        return
    env.cr.execute(
        """
        SELECT company_id, MAX(notice_deadline_days)
          FROM pbd_followup_level
         WHERE is_formal_notice AND notice_deadline_days > 0
         GROUP BY company_id
        """
    )
    for company_id, days in env.cr.fetchall():
        env["res.company"].browse(company_id).pbd_formal_notice_days = days


def _half_year_keys(env):
    """ "2026 S2", "2026-h2"...: the half-year of the rate in the selection's form."""
    from odoo.addons.payment_before_document.lib import penalties  # noqa: PLC0415

    env.cr.execute("SELECT id, pbd_ecb_rate_period FROM res_company WHERE pbd_ecb_rate_period IS NOT NULL")
    for company_id, text in env.cr.fetchall():
        parts = penalties.parse_half_year(text)
        key = f"{parts[0]}-H{parts[1]}" if parts else None
        if key and key != text:
            env.cr.execute("UPDATE res_company SET pbd_ecb_rate_period = %s WHERE id = %s", (key, company_id))


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _formal_notice_deadline_to_company(env)
    _half_year_keys(env)
    env["res.company"].invalidate_model(["pbd_ecb_rate_period"])
    refresh_shipped_records(env)
