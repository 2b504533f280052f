"""The module on a database a firm already has: install, use, uninstall; and upgrade.

    lifecycle.py --phase prepare         the firm's business before the module: posted
                                          invoices, one of them paid
    lifecycle.py --phase install         install, use, uninstall (below)
    lifecycle.py --phase before-upgrade  the previous version is installed: give it the
                                          Twilio settings it kept in system parameters, and
                                          the firm's deliverables under their old model names
                                          (files, a download, chatter, a follower, an activity,
                                          a favourite, an inherited view, a server action,
                                          custom fields, signature evidence)
    lifecycle.py --phase after-upgrade   after ``-u``: the settings moved to Odoo's
                                          Twilio settings of the company, the deliverables
                                          and all that pointed at them are under
                                          pbd.deliverable(.download) with the same ids, no
                                          trace of the old names is left, and the rest works

``install`` checks, in order, and stops at the first failure (exit 1):
1. the database has posted customer invoices and no trace of the module;
2. the module installs (through the ORM, see create_db.py) and works on an
   existing invoice: the company that existed before has the settings a new
   one gets (in French here), a deliverable is locked, then released by a
   payment, and the client's "documents available" email is queued;
3. every view in the database still validates, and the invoice form loads;
4. the module uninstalls: its tables, columns and views are gone and every
   remaining view still validates.
"""

import ast
import base64
import json
import os
import pathlib
import re
import sys

from psycopg2 import sql

sys.path.insert(0, os.path.dirname(__file__))
import create_db
import odoo_script

TEMPLATE = "payment_before_document.mail_template_documents_available"
OLD_PARAMS = "payment_before_document.twilio_"
OLD_TWILIO = {
    "account_sid": "AC" + "5" * 32,
    "auth_token": "lifecycle-old-token",
    "sender": "+33 6 12 34 56 00",
}
PREVIOUS_VERSION = "18.0.1.0.0"
# 18.0.1.3.0 renamed the deliverable models (account.move.deliverable -> pbd.deliverable).
OLD_MODEL = "account.move.deliverable"
OLD_DOWNLOAD_MODEL = "account.move.deliverable.download"
OLD_TABLE = "account_move_deliverable"
LIKE_OLD_TABLE = OLD_TABLE.replace("_", r"\_")  # for LIKE: "_" is a wildcard
RENAMED_MODELS = {OLD_MODEL: "pbd.deliverable", OLD_DOWNLOAD_MODEL: "pbd.deliverable.download"}
# What the firm had on the previous version, for the upgrade to keep (ids, in a system parameter).
FIRM_DATA_PARAM = "lifecycle.firm_deliverable_data"
FIRM_FILES = {"Structural survey": b"survey: the beams hold", "Site plan": b"plan: north is up"}
# The version an upgrade must reach: the manifest's.
MANIFEST = pathlib.Path(__file__).resolve().parent.parent / "payment_before_document" / "__manifest__.py"
VERSION = ast.literal_eval(MANIFEST.read_text())["version"]


def check(condition, message):
    if not condition:
        print(f"lifecycle: FAILED: {message}")
        sys.exit(1)
    print(f"lifecycle: ok: {message}")


def validate_all_views(env):
    views = env["ir.ui.view"].with_context(lang=None).search([])
    broken = []
    for view in views:
        try:
            view._check_xml()
        except Exception as exc:  # noqa: BLE001 - report every broken view
            broken.append(f"{view.xml_id or view.id}: {exc}")
    return broken


def table_exists(cr, name):
    cr.execute("SELECT 1 FROM information_schema.tables WHERE table_name = %s", [name])
    return bool(cr.fetchone())


def column_exists(cr, table, column):
    cr.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        [table, column],
    )
    return bool(cr.fetchone())


def make_invoices(env, Command):
    """The firm's existing business: customers, posted invoices, one paid."""
    partners = env["res.partner"].create(
        [{"name": f"Existing client {n}", "email": f"client{n}@example.com"} for n in range(3)]
    )
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "quantity": 1, "price_unit": 900.0})
                ],
            }
            for partner in partners
        ]
    )
    invoices.action_post()
    env["account.payment.register"].with_context(
        active_model="account.move", active_ids=invoices[:1].ids
    ).create({})._create_payments()


def unpaid_invoices(env):
    return env["account.move"].search(
        [("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("payment_state", "=", "not_paid")],
        order="id",
    )


def check_existing_company_settings(env):
    """The company that existed before the module has the settings of a new one, in French."""
    company = env.ref("base.main_company")
    check(
        company.pbd_release_template_id == env.ref(TEMPLATE),
        f"{company.name}, which existed before, names the 'documents available' email template",
    )
    watermark = company.with_context(lang="fr_FR").pbd_watermark_text
    check(watermark == "APERÇU – paiement requis", f"its preview watermark is in French ({watermark})")


def pay_and_check_email(env, invoice):
    """A deliverable on an existing unpaid invoice: locked, released by a payment, client emailed."""
    deliverable = env["pbd.deliverable"].create(
        {
            "move_id": invoice.id,
            "name": "Lifecycle check",
            "file": base64.b64encode(b"plain text deliverable"),
            "file_name": "check.txt",
        }
    )
    check(
        deliverable.state == "locked",
        f"a deliverable on an existing unpaid invoice is locked (state {deliverable.state}, "
        f"rule {deliverable.release_rule}, invoice {invoice.payment_state}, "
        f"amount {invoice.amount_total})",
    )
    env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
        {}
    )._create_payments()
    check(deliverable.state == "released", "paying the existing invoice releases it")
    env["pbd.deliverable"]._cron_notify_released()
    mails = env["mail.mail"].search(
        [("model", "=", "account.move"), ("res_id", "=", invoice.id), ("state", "=", "outgoing")]
    )
    emailed = mails.filtered(lambda mail: invoice.partner_id in mail.recipient_ids)
    check(
        len(emailed) == 1 and deliverable.release_notified,
        f"the client's 'documents available' email is queued ({len(emailed)} for "
        f"{invoice.partner_id.email}) and the deliverable is marked as notified",
    )


def check_views(env, when="with the module installed"):
    broken = validate_all_views(env)
    check(not broken, f"every view validates {when}" + "".join(f"\n  {b}" for b in broken))
    env["account.move"].get_views([(False, "form"), (False, "list")])
    env["res.partner"].get_views([(False, "form")])
    check(True, f"invoice and partner forms load {when}")


def phase_prepare(odoo, args):
    from odoo import Command  # noqa: PLC0415

    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        make_invoices(env, Command)
        invoices = env["account.move"].search_count(
            [("move_type", "=", "out_invoice"), ("state", "=", "posted")]
        )
        check(invoices > 0, f"the database has {invoices} posted customer invoices before install")
        check(
            not table_exists(cr, "pbd_deliverable") and not table_exists(cr, OLD_TABLE),
            "no trace of the module before install",
        )


def phase_install(odoo, args):
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        existing_unpaid = unpaid_invoices(env).ids
        check(bool(existing_unpaid), f"{len(existing_unpaid)} unpaid invoices exist before install")
        check(not table_exists(cr, "pbd_deliverable"), "no trace of the module before install")

    create_db.install(odoo, args.db, [args.module])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        module = env["ir.module.module"].search([("name", "=", args.module)])
        check(module.state == "installed", "module installed")
        check_existing_company_settings(env)
        invoice = env["account.move"].browse(existing_unpaid[:1])
        check(bool(invoice), f"an unpaid invoice made before the install exists ({invoice.name})")
        pay_and_check_email(env, invoice)
        check_views(env)
        cr.rollback()  # leave the database as it was before the checks

    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.module.module"].search([("name", "=", args.module)]).button_immediate_uninstall()
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        module = env["ir.module.module"].search([("name", "=", args.module)])
        check(module.state == "uninstalled", "module uninstalled")
        check(not table_exists(cr, "pbd_deliverable"), "its tables are dropped")
        check(not column_exists(cr, "account_move", "pbd_access_exempted"), "its columns are dropped")
        leftover = env["ir.ui.view"].search(
            [
                "|",
                "|",
                ("arch_db", "ilike", "pbd_deliverable"),
                ("arch_db", "ilike", "pbd_access"),
                ("key", "=like", f"{args.module}.%"),
            ]
        )
        check(
            not leftover,
            "none of its views remain" + "".join(f"\n  {v.key or v.name} ({v.id})" for v in leftover),
        )
        xmlids = env["ir.model.data"].search_count([("module", "=", args.module)])
        check(xmlids == 0, f"none of its records remain ({xmlids} external ids left)")
        check_views(env, "after uninstall")


def check_installed_version(env, module_name, version, message):
    module = env["ir.module.module"].search([("name", "=", module_name)])
    check(
        module.state == "installed" and module.latest_version == version,
        f"{message} ({module.latest_version})",
    )


def phase_before_upgrade(odoo, args):
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        check_installed_version(env, args.module, PREVIOUS_VERSION, "the previous version is installed")
        check(
            not env.ref("base.main_company").pbd_release_template_id,
            "with it, the company that existed before names no 'documents available' template",
        )
        params = env["ir.config_parameter"]
        for key, value in OLD_TWILIO.items():
            params.set_param(f"{OLD_PARAMS}{key}", value)
        check(True, "its Twilio settings are set in its system parameters")
        make_firm_deliverable_data(env)


def phase_after_upgrade(odoo, args):
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        check_installed_version(env, args.module, VERSION, "upgraded to this version")
        sms_twilio = env["ir.module.module"].search([("name", "=", "sms_twilio")])
        check(sms_twilio.state == "installed", "Odoo's sms_twilio, its new dependency, is installed")
        leftover = env["ir.config_parameter"].search_count([("key", "=like", f"{OLD_PARAMS}%")])
        check(leftover == 0, f"the old Twilio parameters are gone ({leftover} left)")
        for company in env["res.company"].search([]):
            numbers = company.sms_twilio_number_ids
            check(
                company.sms_provider == "twilio"
                and company.sms_twilio_account_sid == OLD_TWILIO["account_sid"]
                and company.sms_twilio_auth_token == OLD_TWILIO["auth_token"],
                f"{company.name} sends via Twilio with the account the module had",
            )
            check(
                numbers.mapped("number") == ["+33612345600"] and numbers.country_id.code == "FR",
                f"its sender is a Twilio number for France ({numbers.mapped('display_name')})",
            )
            check(company._pbd_twilio_ready(), "signature codes can be sent")
        check(
            not env["ir.model.fields"].search_count(
                [("model", "=", "res.config.settings"), ("name", "=like", "pbd_twilio_%")]
            ),
            "the module's own Twilio settings are gone",
        )
        check_existing_company_settings(env)
        invoice = unpaid_invoices(env)[:1]
        check(bool(invoice), f"an unpaid invoice made before the install exists ({invoice.name})")
        pay_and_check_email(env, invoice)
        check_views(env)
        check_jobs_call_existing_methods(env, args.module)
        check_renamed_models(env, args.module)
        cr.rollback()


def make_firm_deliverable_data(env):
    """On the previous version: deliverables with their files, a download, chatter, a follower,
    an activity, a favourite filter, a view inheriting the deliverable form, custom fields (one a
    many2many from the customers) and signature evidence - all under the old model names."""
    invoice = unpaid_invoices(env)[1:2]  # the first one is paid by the after-upgrade checks
    partner = invoice.partner_id
    deliverables = env[OLD_MODEL].create(
        [
            {"move_id": invoice.id, "name": name, "file": base64.b64encode(raw), "file_name": f"{name}.txt"}
            for name, raw in FIRM_FILES.items()
        ]
    )
    first = deliverables[0]
    files = (
        env["ir.attachment"]
        .sudo()
        .search_count(
            [("res_model", "=", OLD_MODEL), ("res_id", "in", deliverables.ids), ("res_field", "=", "file")]
        )
    )
    download = (
        env[OLD_DOWNLOAD_MODEL]
        .sudo()
        .create(
            {
                "deliverable_id": first.id,
                "partner_id": partner.id,
                "ip_address": "203.0.113.7",
                "user_agent": "lifecycle",
            }
        )
    )
    message = first.message_post(body="Sent to the client by courier as well.")
    first.message_subscribe(partner_ids=partner.ids)
    follower = first.message_follower_ids.filtered(lambda f: f.partner_id == partner)
    activity = env["mail.activity"].create(
        {
            "res_model_id": env["ir.model"]._get_id(OLD_MODEL),
            "res_id": first.id,
            "activity_type_id": env.ref("mail.mail_activity_data_todo").id,
            "summary": "Call the client about the survey",
            "user_id": env.ref("base.user_admin").id,
        }
    )
    favourite = env["ir.filters"].create(
        {
            "name": "Locked survey documents",
            "model_id": OLD_MODEL,
            "domain": "[('state', '=', 'locked')]",
            "user_id": env.ref("base.user_admin").id,
            "action_id": env.ref("payment_before_document.action_account_move_deliverable").id,
        }
    )
    firm_view = env["ir.ui.view"].create(
        {
            "name": "firm.deliverable.form",
            "model": OLD_MODEL,
            "inherit_id": env.ref("payment_before_document.account_move_deliverable_view_form").id,
            "arch": '<field name="name" position="attributes"><attribute name="placeholder">'
            "Firm title</attribute></field>",
        }
    )
    automation = env["ir.actions.server"].create(
        {
            "name": "Firm: count locked documents",
            "model_id": env["ir.model"]._get_id(OLD_MODEL),
            "state": "code",
            "code": f"action = {{'count': env['{OLD_MODEL}'].search_count([('state', '=', 'locked')])}}",
        }
    )
    fields_model = env["ir.model.fields"]
    fields_model.create(
        {
            "name": "x_firm_ref",
            "model_id": env["ir.model"]._get_id(OLD_MODEL),
            "ttype": "char",
            "field_description": "Firm reference",
        }
    )
    fields_model.create(
        {
            "name": "x_firm_documents",
            "model_id": env["ir.model"]._get_id("res.partner"),
            "ttype": "many2many",
            "relation": OLD_MODEL,
            "field_description": "Firm documents",
        }
    )
    env = env(context={})  # the registry knows the custom fields now
    first = env[OLD_MODEL].browse(first.id)
    first.x_firm_ref = "REF-42"
    env["res.partner"].browse(partner.id).x_firm_documents = deliverables.ids
    request = env["pbd.signature.request"]._get_or_create(first, partner)
    evidence = env["pbd.evidence.log"].sudo().search_count([("request_id", "=", request.id)])
    env["ir.config_parameter"].set_param(
        FIRM_DATA_PARAM,
        json.dumps(
            {
                "deliverables": deliverables.ids,
                "download": download.id,
                "message": message.id,
                "follower": follower.id,
                "partner": partner.id,
                "activity": activity.id,
                "filter": favourite.id,
                "view": firm_view.id,
                "automation": automation.id,
                "request": request.id,
                "evidence": evidence,
                "files": files,
            }
        ),
    )
    check(
        len(deliverables) == 2 and files == 2 and download and follower and evidence,
        f"the firm's deliverables ({deliverables.ids}, {files} files), a download, a message, a follower, "
        f"an activity, a favourite, an inherited view, custom fields and {evidence} evidence row(s) "
        f"exist under {OLD_MODEL}",
    )


def old_model_strings(cr):
    """Every (table.column, count) of a text column of the database still naming an old model."""
    cr.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type IN ('character varying', 'text')"
        " AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = 'public')"
    )
    found = []
    for table, column in cr.fetchall():
        cr.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE {} = ANY(%s) OR {} LIKE %s").format(
                sql.Identifier(table), sql.Identifier(column), sql.Identifier(column)
            ),
            [list(RENAMED_MODELS), f"{OLD_MODEL},%"],
        )
        count = cr.fetchone()[0]
        if count:
            found.append(f"{table}.{column} ({count})")
    return found


def check_schema_renamed(cr):
    cr.execute(
        "SELECT relname, relkind FROM pg_class WHERE relname LIKE %s ORDER BY relname",
        ["%" + LIKE_OLD_TABLE + "%"],
    )
    left = cr.fetchall()
    check(not left, f"no table, sequence or index keeps the old name ({left})")
    cr.execute("SELECT conname FROM pg_constraint WHERE conname LIKE %s", ["%" + LIKE_OLD_TABLE + "%"])
    left = [name for (name,) in cr.fetchall()]
    check(not left, f"no constraint keeps the old name ({left})")
    cr.execute("SELECT name FROM ir_model_constraint WHERE name LIKE %s", ["%" + LIKE_OLD_TABLE + "%"])
    left = [name for (name,) in cr.fetchall()]
    check(not left, f"Odoo's record of the constraints follows ({left})")
    check(
        table_exists(cr, "pbd_deliverable") and table_exists(cr, "pbd_deliverable_download"),
        "the tables are pbd_deliverable and pbd_deliverable_download",
    )
    cr.execute("SELECT 1 FROM pg_class WHERE relkind = 'S' AND relname = 'pbd_deliverable_id_seq'")
    check(bool(cr.fetchone()), "with their id sequences")
    tables = ["pbd_deliverable", "pbd_deliverable_download", "x_pbd_deliverable_res_partner_rel"]
    cr.execute(
        "SELECT indrelid::regclass::text, array_agg(indexrelid::regclass::text) FROM pg_index"
        " WHERE indrelid::regclass::text = ANY(%s)"
        " GROUP BY indrelid, indkey::text, indisunique, coalesce(pg_get_expr(indpred, indrelid), '')"
        " HAVING count(*) > 1",
        [tables],
    )
    duplicates = cr.fetchall()
    check(not duplicates, f"no index twice ({duplicates})")
    cr.execute(
        "SELECT conrelid::regclass::text, array_agg(conname) FROM pg_constraint"
        " WHERE conrelid::regclass::text = ANY(%s)"
        " GROUP BY conrelid, contype, conkey::text, pg_get_constraintdef(oid) HAVING count(*) > 1",
        [tables],
    )
    duplicates = cr.fetchall()
    check(not duplicates, f"no constraint twice ({duplicates})")


def check_renamed_models(env, module):
    """After the upgrade: the firm's records under pbd.deliverable, pbd.deliverable.download."""
    cr = env.cr
    data = json.loads(env["ir.config_parameter"].get_param(FIRM_DATA_PARAM) or "{}")
    check(bool(data), "the firm's data made on the previous version is known")
    check(
        not table_exists(cr, OLD_TABLE) and not table_exists(cr, f"{OLD_TABLE}_download"),
        "the old tables are gone",
    )
    check_schema_renamed(cr)
    models = env["ir.model"].search([("model", "in", list(RENAMED_MODELS) + list(RENAMED_MODELS.values()))])
    check(
        sorted(models.mapped("model")) == sorted(RENAMED_MODELS.values()),
        f"the models are {models.mapped('model')}, each once",
    )
    deliverables = env["pbd.deliverable"].browse(data["deliverables"]).exists()
    check(deliverables.ids == data["deliverables"], f"the deliverables kept their ids ({deliverables.ids})")
    contents = [base64.b64decode(deliverable.file) for deliverable in deliverables]
    check(contents == list(FIRM_FILES.values()), "their files are readable, unchanged")
    files = (
        env["ir.attachment"]
        .sudo()
        .search_count(
            [
                ("res_model", "=", "pbd.deliverable"),
                ("res_id", "in", deliverables.ids),
                ("res_field", "=", "file"),
            ]
        )
    )
    check(files == data["files"], f"their {files} file attachments point at pbd.deliverable")
    first = deliverables[0]
    check(first.x_firm_ref == "REF-42", "the firm's custom field on the deliverable kept its value")
    partner = env["res.partner"].browse(data["partner"])
    check(
        partner.x_firm_documents == deliverables and table_exists(cr, "x_pbd_deliverable_res_partner_rel"),
        f"the firm's many2many from customers keeps its links ({partner.x_firm_documents.ids}),"
        " in a table named after pbd_deliverable",
    )
    download = env["pbd.deliverable.download"].browse(data["download"]).exists()
    check(
        download.deliverable_id == first and download in first.download_ids,
        "the download row kept its id and link",
    )
    message = env["mail.message"].browse(data["message"])
    check(
        message.model == "pbd.deliverable" and message.res_id == first.id and message in first.message_ids,
        "the chatter message is on the deliverable",
    )
    follower = env["mail.followers"].browse(data["follower"])
    check(
        follower.res_model == "pbd.deliverable" and follower in first.message_follower_ids,
        "the follower follows the deliverable",
    )
    activity = env["mail.activity"].browse(data["activity"])
    check(
        activity.res_model == "pbd.deliverable"
        and activity.res_model_id.model == "pbd.deliverable"
        and activity.res_id == first.id,
        "the activity points at pbd.deliverable",
    )
    activity.action_feedback(feedback="Called")
    done = env["mail.message"].search_count(
        [("model", "=", "pbd.deliverable"), ("res_id", "=", first.id), ("body", "ilike", "Called")]
    )
    check(
        not activity.exists() and done == 1,
        "marking the activity done posts on the deliverable",
    )
    favourite = env["ir.filters"].browse(data["filter"])
    listed = (
        env["ir.filters"].with_user(favourite.user_id).get_filters("pbd.deliverable", favourite.action_id.id)
    )
    check(
        favourite.model_id == "pbd.deliverable"
        and favourite.action_id.id == env.ref(f"{module}.pbd_deliverable_action").id
        and favourite.id in [f["id"] for f in listed],
        f"the favourite filter is offered on the deliverables' action ({favourite.model_id})",
    )
    view = env["ir.ui.view"].browse(data["view"]).exists()
    form = env.ref(f"{module}.pbd_deliverable_view_form")
    check(
        view.model == "pbd.deliverable" and view.inherit_id == form and view.active,
        "the firm's view still inherits the deliverable form, now pbd_deliverable_view_form",
    )
    arch = env["pbd.deliverable"].get_views([(form.id, "form")])["views"]["form"]["arch"]
    check("Firm title" in arch, "and its change shows in the form")
    automation = env["ir.actions.server"].browse(data["automation"])
    result = automation.with_context(active_model="pbd.deliverable", active_id=first.id).run()
    check(
        automation.model_id.model == "pbd.deliverable" and result == {"count": 2},
        f"the firm's server action runs on pbd.deliverable ({result})",
    )
    cr.execute("SELECT module, name FROM ir_model_data WHERE name LIKE %s", ["%" + LIKE_OLD_TABLE + "%"])
    left = cr.fetchall()
    check(not left, f"no XML id keeps the old name ({left[:10]})")
    check(
        not env["ir.model.fields"].search_count(
            ["|", ("model", "in", list(RENAMED_MODELS)), ("relation", "in", list(RENAMED_MODELS))]
        ),
        "no field belongs or points to an old model",
    )
    left = old_model_strings(cr)
    check(not left, f"no text column of the database names an old model ({left})")
    ok, broken, count = env["pbd.evidence.log"]._verify_chain()
    check(ok and count >= data["evidence"], f"the evidence chain verifies ({count} rows, broken at {broken})")


def check_jobs_call_existing_methods(env, module):
    """The module's jobs keep their code on upgrade (noupdate): each still calls a method its model has."""
    crons = env["ir.cron"].with_context(active_test=False).search([])
    crons = crons.filtered(lambda cron: cron.get_external_id()[cron.id].startswith(f"{module}."))
    check(bool(crons), f"the module's jobs are found ({len(crons)})")
    names = crons.mapped("name")
    check(len(set(names)) == len(names), f"each job once, none left behind by a renamed XML id ({names})")
    for cron in crons:
        called = re.findall(r"model\.(\w+)\(", cron.code or "")
        missing = [name for name in called if not hasattr(env[cron.model_id.model], name)]
        check(called and not missing, f"job {cron.name!r} calls methods its model has (missing: {missing})")


def main():
    parser = odoo_script.parser()
    parser.add_argument("--module", required=True)
    parser.add_argument(
        "--phase", required=True, choices=["prepare", "install", "before-upgrade", "after-upgrade"]
    )
    args = parser.parse_args()
    odoo = odoo_script.load(args)
    phases = {
        "prepare": phase_prepare,
        "install": phase_install,
        "before-upgrade": phase_before_upgrade,
        "after-upgrade": phase_after_upgrade,
    }
    phases[args.phase](odoo, args)
    print(f"lifecycle: {args.phase}: passed")


if __name__ == "__main__":
    main()
