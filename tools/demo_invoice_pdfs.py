"""Give the demo's invoices their PDF, as the firm's "Send" would, so that the
portal shows them as sent invoices rather than "PRO FORMA".

    python demo_invoice_pdfs.py --odoo SRC --addons-path P --data-dir D --db NAME --url URL

wkhtmltopdf loads the report's styles from a running Odoo: `make demo` runs this
in the background once Odoo answers at URL, on a database it has just created.
Nothing is emailed (sending method "Download").
"""

import time
import urllib.error
import urllib.request

import odoo_script


def wait_for(url, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/web/login", timeout=5):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(2)
    return False


def main():
    parser = odoo_script.parser()
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    if not wait_for(args.url):
        raise SystemExit(f"Odoo did not answer at {args.url}: the demo invoices keep no PDF")
    odoo = odoo_script.load(args)
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"lang": "fr_FR"})
        company = env.ref("base.main_company")
        moves = env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("invoice_pdf_report_id", "=", False),
                ("pbd_deliverable_ids", "!=", False),
            ]
        )
        if not moves:
            return
        params = env["ir.config_parameter"].sudo()
        previous = params.get_param("report.url")
        params.set_param("report.url", args.url)
        try:
            for move in moves:
                env["account.move.send"]._generate_and_send_invoices(
                    move, allow_raising=False, sending_methods=["manual"]
                )
        finally:
            params.set_param("report.url", previous or False)
        print(f"PDF generated for {len(moves)} demo invoices")


if __name__ == "__main__":
    main()
