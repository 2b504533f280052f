"""Create an Odoo database for a French company, then install modules.

    python create_db.py --odoo SRC --addons-path P --data-dir D --db NAME
                        [--country FR] [--lang fr_FR] [--demo]
                        [--install mod1,mod2 [--install mod3 ...]]

The database is created as Odoo's database manager does (company country and
language set), the localisation's chart of accounts is loaded on the main
company, and each ``--install`` group is installed in turn.

Modules are installed through the ORM rather than ``odoo-bin -i``: a
Community tree laid out without some modules (here ``certificate``, whose
manifest carries a proprietary licence) makes Odoo fail when it auto-installs
a module that needs them (``account_peppol`` for any company in the EU).
Before each install we mark such modules uninstallable, which ``-i`` would
undo by refreshing the module list first.
"""

import odoo_script


def mark_unavailable_modules(env):
    """Mark uninstallable the modules whose dependencies are not on the path."""
    modules = env["ir.module.module"].search([("state", "=", "uninstalled")])
    names = []
    while True:
        bad = modules.filtered(
            lambda m: (
                m.state == "uninstalled"
                and any(dep.state in ("unknown", "uninstallable") for dep in m.dependencies_id)
            )
        )
        if not bad:
            return names
        bad.write({"state": "uninstallable"})
        env.invalidate_all()
        names += bad.mapped("name")


def install(odoo, dbname, module_names):
    registry = odoo.modules.registry.Registry(dbname)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if env["ir.module.module"].search_count([("name", "in", module_names)]) != len(set(module_names)):
            env["ir.module.module"].update_list()  # modules added to the addons path since
        skipped = mark_unavailable_modules(env)
        if skipped:
            print("not installable with this tree (a dependency is missing):", ", ".join(sorted(skipped)))
        modules = env["ir.module.module"].search([("name", "in", module_names)])
        missing = set(module_names) - set(modules.mapped("name"))
        if missing:
            raise SystemExit(f"modules not found on the addons path: {', '.join(sorted(missing))}")
        to_install = modules.filtered(lambda m: m.state == "uninstalled")
        if to_install:
            to_install.button_immediate_install()
    print("installed:", ", ".join(module_names))


def load_chart(odoo, dbname, demo):
    """Load the localisation's chart on the main company if it has none."""
    registry = odoo.modules.registry.Registry(dbname)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "account.chart.template" not in env:
            return
        company = env.ref("base.main_company")
        if company.chart_template:
            return
        template = env["account.chart.template"]._guess_chart_template(company.country_id)
        env["account.chart.template"].try_loading(template, company, install_demo=demo)
        print(f"chart of accounts {template} loaded on {company.name}")


def main():
    parser = odoo_script.parser()
    parser.add_argument("--country", default="FR")
    parser.add_argument("--lang", default="fr_FR")
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--install", action="append", default=[])
    parser.add_argument("--only-install", action="store_true", help="the database exists already")
    args = parser.parse_args()
    odoo = odoo_script.load(args)
    from odoo.service import db  # noqa: PLC0415

    if not args.only_install:
        db.exp_create_database(args.db, args.demo, args.lang, "admin", "admin", args.country)
        print(f"created {args.db} (country {args.country}, lang {args.lang}, demo {args.demo})")
    for group in args.install:
        install(odoo, args.db, [name.strip() for name in group.split(",") if name.strip()])
        load_chart(odoo, args.db, args.demo)


if __name__ == "__main__":
    main()
