"""The module on a database a firm already has: install, use, uninstall; and upgrade.

    lifecycle.py --phase prepare         the firm's business before the module: posted
                                          invoices, one of them paid
    lifecycle.py --phase install         install, use, uninstall (below)
    lifecycle.py --phase before-upgrade  the previous version is installed: give it the
                                          Twilio settings it kept in system parameters
    lifecycle.py --phase after-upgrade   after ``-u``: the settings moved to Odoo's
                                          Twilio settings of the company, and the rest works

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

import argparse
import ast
import base64
import os
import pathlib
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import create_db

TEMPLATE = "payment_before_document.mail_template_documents_available"
OLD_PARAMS = "payment_before_document.twilio_"
OLD_TWILIO = {
    "account_sid": "AC" + "5" * 32,
    "auth_token": "lifecycle-old-token",
    "sender": "+33 6 12 34 56 00",
}
PREVIOUS_VERSION = "18.0.1.0.0"
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
    deliverable = env["account.move.deliverable"].create(
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
    env["account.move.deliverable"]._cron_notify_released()
    mails = env["mail.mail"].search(
        [("model", "=", "account.move"), ("res_id", "=", invoice.id), ("state", "=", "outgoing")]
    )
    emailed = mails.filtered(lambda mail: invoice.partner_id in mail.recipient_ids)
    check(
        len(emailed) == 1 and deliverable.release_notified,
        f"the client's 'documents available' email is queued ({len(emailed)} for "
        f"{invoice.partner_id.email}) and the deliverable is marked as notified",
    )


def check_views(env):
    broken = validate_all_views(env)
    check(not broken, "every view validates with the module installed" + "".join(f"\n  {b}" for b in broken))
    env["account.move"].get_views([(False, "form"), (False, "list")])
    env["res.partner"].get_views([(False, "form")])
    check(True, "invoice and partner forms load")


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
        check(not table_exists(cr, "account_move_deliverable"), "no trace of the module before install")


def phase_install(odoo, args):
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        existing_unpaid = unpaid_invoices(env).ids
        check(bool(existing_unpaid), f"{len(existing_unpaid)} unpaid invoices exist before install")
        check(not table_exists(cr, "account_move_deliverable"), "no trace of the module before install")

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
        check(not table_exists(cr, "account_move_deliverable"), "its tables are dropped")
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
        broken = validate_all_views(env)
        check(not broken, "every view validates after uninstall" + "".join(f"\n  {b}" for b in broken))
        env["account.move"].get_views([(False, "form"), (False, "list")])
        env["res.partner"].get_views([(False, "form")])
        check(True, "invoice and partner forms load after uninstall")


def phase_before_upgrade(odoo, args):
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        module = env["ir.module.module"].search([("name", "=", args.module)])
        check(
            module.state == "installed" and module.latest_version == PREVIOUS_VERSION,
            f"the previous version is installed ({module.latest_version})",
        )
        check(
            not env.ref("base.main_company").pbd_release_template_id,
            "with it, the company that existed before names no 'documents available' template",
        )
        params = env["ir.config_parameter"]
        for key, value in OLD_TWILIO.items():
            params.set_param(f"{OLD_PARAMS}{key}", value)
        check(True, "its Twilio settings are set in its system parameters")


def phase_after_upgrade(odoo, args):
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        module = env["ir.module.module"].search([("name", "=", args.module)])
        check(
            module.state == "installed" and module.latest_version == VERSION,
            f"upgraded to {module.latest_version}",
        )
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
        cr.rollback()


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
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--odoo", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--module", required=True)
    parser.add_argument(
        "--phase", required=True, choices=["prepare", "install", "before-upgrade", "after-upgrade"]
    )
    args = parser.parse_args()
    sys.path.insert(0, args.odoo)
    import odoo  # noqa: PLC0415

    odoo.tools.config.parse_config(
        ["--addons-path", args.addons_path, "--data-dir", args.data_dir, "--log-level", "warn"]
    )
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
