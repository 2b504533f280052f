"""Prepare the load database (a copy of the bench database) through Odoo's ORM.

Writes a JSON manifest the locustfile and the checks read: the portal
clients (login, password), their invoices (to pay, never paid, already
paid), their documents with the SHA-256 of each file, the Stripe payments
still pending with what Stripe will say about them.

    python -m bench.load.setup_db --odoo SRC --addons-path P --data-dir D --db pbd_load --out manifest.json
"""

import base64
from datetime import timedelta
import hashlib
import io
import json
import pathlib
import random
import sys
import time

# The scripts' shared options (tools/odoo_script.py).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tools"))
import odoo_script

from bench import harness

CLIENTS = 50
STRIPE_TRANSACTIONS = 200
WEBHOOK_SECRET = "whsec_load_test_secret"
PREFIX = "LOAD-"


def _pdf(text):
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


PASSWORD = "load-client-password"


def _clients(env):
    """50 client companies, each with a portal user (one password, hashed once)."""
    from odoo.tools import SQL  # noqa: PLC0415

    partners = env["res.partner"].create(
        [
            {
                "name": f"Load Client {number:02d}",
                "is_company": True,
                "email": f"load_client_{number:02d}@example.com",
                "lang": "en_US",
            }
            for number in range(CLIENTS)
        ]
    )
    users = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            [
                {
                    "login": f"load_client_{number:02d}",
                    "partner_id": partner.id,
                    "groups_id": [(6, 0, env.ref("base.group_portal").ids)],
                }
                for number, partner in enumerate(partners)
            ]
        )
    )
    env.flush_all()
    env.cr.execute(
        SQL(
            "UPDATE res_users SET password = %s WHERE id IN %s",
            users._crypt_context().hash(PASSWORD),
            tuple(users.ids),
        )
    )
    return partners


def _invoices(env, specs, content):
    """``specs``: list of (partner, ref, amount, due); one locked document each, of ``content``."""
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "ref": ref,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    (0, 0, {"name": "Study", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
            for partner, ref, amount, due in specs
        ]
    )
    env["pbd.deliverable"].create(
        [
            {
                "move_id": move.id,
                "name": f"Report {move.ref}",
                "file": base64.b64encode(content),
                "file_name": f"{move.ref}.pdf",
                "release_rule": "full",
            }
            for move in moves
        ]
    )
    moves.action_post()
    digest = hashlib.sha256(content).hexdigest()
    return moves, {move.id: digest for move in moves}


def _document_rows(moves, digests):
    return [
        {
            "invoice_id": move.id,
            "invoice_name": move.name,
            "invoice_url": move.get_portal_url(),
            "access_token": move._portal_ensure_token(),
            "amount": move.amount_total,
            "documents": [
                {
                    "id": deliverable.id,
                    "download": deliverable._get_download_url(),
                    "preview": deliverable._get_preview_url(),
                    "sha256": digests[move.id],
                }
                for deliverable in move.pbd_deliverable_ids
            ],
        }
        for move in moves
    ]


def log(message):
    print(f"[load] {time.strftime('%H:%M:%S')} setup: {message}", file=sys.stderr, flush=True)


def prepare(env, run_seconds):
    from odoo import fields  # noqa: PLC0415
    from odoo.tools import SQL  # noqa: PLC0415

    rng = random.Random(16)
    company = env.company
    today = fields.Date.context_today(env["res.partner"])
    # The URL Odoo writes in emails and payment links: fixed, as in production.
    env["ir.config_parameter"].set_param("web.base.url", "http://127.0.0.1:8069")
    env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
    company.pbd_lock_by_default = True

    # The demo provider (no external account) for the portal clients.
    journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
    demo = env.ref("payment.payment_provider_demo")
    demo.write({"state": "test", "is_published": True, "journal_id": journal.id})
    demo_method = env.ref("payment_demo.payment_method_demo")
    demo_method.active = True
    stripe = env.ref("payment.payment_provider_stripe")
    stripe.write(
        {
            "state": "test",
            "is_published": False,  # paid by webhooks and the job here, not from the portal
            "stripe_secret_key": "sk_test_load",
            "stripe_publishable_key": "pk_test_load",
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "journal_id": journal.id,
        }
    )

    # What a client may download, and what none may ever get (never paid).
    available, locked = _pdf("A deliverable, paid for"), _pdf("A deliverable never paid: locked")
    partners = _clients(env)
    log("clients created")
    overdue = today - timedelta(days=25)
    later = today + timedelta(days=30)
    specs = {"to_pay": [], "never_paid": [], "paid": [], "stripe": []}
    for number, partner in enumerate(partners):
        specs["to_pay"] += [
            (partner, f"{PREFIX}PAY-{number:02d}-{k}", 100.0 + number + k, overdue) for k in range(2)
        ]
        specs["never_paid"].append((partner, f"{PREFIX}NEVER-{number:02d}", 900.0 + number, later))
        specs["paid"].append((partner, f"{PREFIX}PAID-{number:02d}", 50.0 + number, later))
        specs["stripe"] += [
            (partner, f"{PREFIX}STRIPE-{number:02d}-{k}", 300.0 + number + k, later)
            for k in range(STRIPE_TRANSACTIONS // CLIENTS)
        ]
    moves = {}
    for kind, kind_specs in specs.items():
        moves[kind] = _invoices(env, kind_specs, locked if kind == "never_paid" else available)
        env.cr.commit()
        log(f"{len(kind_specs)} invoices ({kind}) created")
    # The already-paid invoices: released documents to download from the start.
    env["account.payment.register"].with_context(
        active_model="account.move", active_ids=moves["paid"][0].ids
    ).create({"group_payment": False})._create_payments()
    env.cr.commit()
    log("paid invoices paid")
    clients = []
    for partner in partners:
        rows = {
            kind: _document_rows(
                moves[kind][0].filtered(lambda m, p=partner: m.partner_id == p), moves[kind][1]
            )
            for kind in ("to_pay", "never_paid", "paid")
        }
        clients.append(
            {
                "login": partner.user_ids.login,
                "password": PASSWORD,
                "partner_id": partner.id,
                **rows,
            }
        )
    stripe_moves = moves["stripe"][0]

    # Stripe: a card payment still pending for each invoice; Stripe's answers
    # (processing until the runner makes it succeed) are the stand-in's.
    transactions = harness.pending_stripe_payments(
        env,
        stripe,
        stripe_moves,
        reference=lambda move: f"{move.name}-S",
        intent_id=lambda move: f"pi_load_{move.id}",
    )
    # All due together early in the run, while their webhooks are arriving
    # (the reconciliation job and the webhooks then race for the same payments).
    now = fields.Datetime.now()
    for tx in transactions:
        env.cr.execute(
            SQL(
                "UPDATE payment_transaction SET pbd_stripe_next_check = %s WHERE id = %s",
                now + timedelta(seconds=rng.uniform(45, 75)),
                tx.id,
            )
        )
    env.invalidate_all()
    stripe_rows = [
        {
            "tx_id": tx.id,
            "reference": tx.reference,
            "intent_id": tx.provider_reference,
            "amount": round(tx.amount * 100),
            "currency": tx.currency_id.name.lower(),
            "invoice_id": tx.invoice_ids.id,
        }
        for tx in transactions
    ]

    # The jobs the add-on adds (and Odoo's payment post-processing) run every
    # minute during the run, on the cron workers of both servers.
    crons = [
        "payment_before_document.ir_cron_stripe_reconcile",
        "payment_before_document.ir_cron_notify_released",
        "payment.cron_post_process_payment_tx",
    ]
    for xmlid in crons:
        env.ref(xmlid).write(
            {"interval_number": 1, "interval_type": "minutes", "nextcall": now, "active": True}
        )
    # The daily follow-up run (2,000 clients of the bench database) starts
    # with the load, as if the night's run were late, once: after the minute
    # jobs (a cron worker takes due jobs by priority), which then wait for it
    # as they would in production.
    env.ref("payment_before_document.ir_cron_pbd_followup").write(
        {"interval_number": 1, "interval_type": "days", "nextcall": now, "priority": 10, "active": True}
    )
    # No SMTP server here: the emails stay queued (counted, never sent).
    mail_queue = env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
    if mail_queue:
        mail_queue.active = False
    env.cr.commit()
    return {
        "clients": clients,
        "stripe": stripe_rows,
        "webhook_secret": WEBHOOK_SECRET,
        "demo_provider_id": demo.id,
        "demo_method_id": demo_method.id,
        "started_at": fields.Datetime.to_string(now),
    }


def main():
    parser = odoo_script.parser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--run-seconds", type=int, default=180)
    args = parser.parse_args()
    odoo = odoo_script.load(args, server_wide_modules=True)
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        manifest = prepare(env, args.run_seconds)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)


if __name__ == "__main__":
    main()
