"""Install then uninstall the module on an existing database with invoices.

Checks, in order, and stops at the first failure (exit 1):
1. the database has posted customer invoices and no trace of the module;
2. the module installs (through the ORM, see create_db.py) and works on an
   existing invoice: a deliverable is locked, then released by a payment;
3. every view in the database still validates, and the invoice form loads;
4. the module uninstalls: its tables, columns and views are gone and every
   remaining view still validates.
"""

import argparse
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import create_db


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--odoo", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--module", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.odoo)
    import odoo  # noqa: PLC0415
    from odoo import Command  # noqa: PLC0415

    odoo.tools.config.parse_config(
        ["--addons-path", args.addons_path, "--data-dir", args.data_dir, "--log-level", "warn"]
    )
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        make_invoices(env, Command)
        invoices = env["account.move"].search_count(
            [("move_type", "=", "out_invoice"), ("state", "=", "posted")]
        )
        check(invoices > 0, f"the database has {invoices} posted customer invoices before install")
        existing_unpaid = (
            env["account.move"]
            .search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "=", "not_paid"),
                ]
            )
            .ids
        )
        check(not table_exists(cr, "account_move_deliverable"), "no trace of the module before install")

    create_db.install(odoo, args.db, [args.module])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        module = env["ir.module.module"].search([("name", "=", args.module)])
        check(module.state == "installed", "module installed")
        invoice = env["account.move"].browse(existing_unpaid[:1])
        check(bool(invoice), f"an unpaid invoice made before the install exists ({invoice.name})")
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
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        check(deliverable.state == "released", "paying the existing invoice releases it")
        broken = validate_all_views(env)
        check(
            not broken, "every view validates with the module installed" + "".join(f"\n  {b}" for b in broken)
        )
        env["account.move"].get_views([(False, "form"), (False, "list")])
        env["res.partner"].get_views([(False, "form")])
        check(True, "invoice and partner forms load")
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
    print("lifecycle: passed")


if __name__ == "__main__":
    main()
