"""The invariants of ``make load``, checked on the database once the servers are stopped.

Prints one JSON object: the figures, and ``violations`` (a list of
readable lines; empty when money and evidence held).

    python -m bench.load.checks --odoo SRC --addons-path P --data-dir D --db pbd_load \
        --manifest M --counters C
"""

import json
import pathlib
import sys

# The scripts' shared options (tools/odoo_script.py).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tools"))
import odoo_script


def check(env, manifest, counters):
    from odoo.tools import SQL  # noqa: PLC0415

    violations = []
    started = manifest["started_at"]
    clients = manifest["clients"]
    partner_ids = [client["partner_id"] for client in clients]
    stripe_ids = [row["tx_id"] for row in manifest["stripe"]]
    Tx = env["payment.transaction"]
    confirmed = Tx.search(
        [("state", "=", "done"), "|", ("id", "in", stripe_ids), ("create_date", ">=", started)]
    )
    confirmed_ids = confirmed.ids or [0]

    # Each confirmed transaction: one payment, one confirmation note.
    env.cr.execute(
        SQL(
            "SELECT tx.id, tx.reference, count(DISTINCT p.id),"
            " (SELECT count(*) FROM mail_message m JOIN account_invoice_transaction_rel r"
            "   ON r.invoice_id = m.res_id AND m.model = 'account.move'"
            "  WHERE r.transaction_id = tx.id"
            "    AND m.body LIKE %s || tx.reference || %s)"
            " FROM payment_transaction tx LEFT JOIN account_payment p ON p.payment_transaction_id = tx.id"
            " WHERE tx.id IN %s GROUP BY tx.id",
            "%",
            "%has been confirmed%",
            tuple(confirmed_ids),
        )
    )
    booked_once = 0
    for _tx_id, reference, payments, notes in env.cr.fetchall():
        if payments != 1:
            violations.append(f"transaction {reference}: {payments} payments")
        if notes != 1:
            violations.append(f"transaction {reference}: {notes} confirmation notes")
        if payments == 1 and notes == 1:
            booked_once += 1

    # Each invoice paid during the run: documents released, one email.
    paid = confirmed.invoice_ids | env["account.move"].browse(counters.get("payments_done", []))
    released_ok = 0
    for invoice in paid:
        if invoice.payment_state not in ("paid", "in_payment"):
            tx_states = invoice.transaction_ids.mapped("state")
            if "done" in tx_states:
                violations.append(
                    f"invoice {invoice.name}: payment confirmed, invoice {invoice.payment_state}"
                )
            continue
        locked = invoice.pbd_deliverable_ids.filtered(lambda d: d.state == "locked")
        env.cr.execute(
            SQL(
                "SELECT count(*) FROM mail_message WHERE model = 'account.move' AND res_id = %s"
                " AND subject LIKE %s",
                invoice.id,
                f"%your documents for {invoice.name} are available",
            )
        )
        emails = env.cr.fetchone()[0]
        if locked:
            violations.append(f"invoice {invoice.name}: paid, {len(locked)} document(s) still locked")
        if emails != 1:
            violations.append(f"invoice {invoice.name}: {emails} 'documents available' emails")
        if not locked and emails == 1:
            released_ok += 1

    # Download log rows = successful downloads; never a locked file.
    Download = env["pbd.deliverable.download"].sudo()
    rows = Download.search_count([("create_date", ">=", started), ("partner_id", "in", partner_ids)])
    ok, cut = counters.get("downloads_ok", 0), counters.get("downloads_cut", 0)
    if not ok <= rows <= ok + cut:
        violations.append(f"download log: {rows} rows for {ok} downloads ({cut} cut by a fault)")
    never_paid = [doc["id"] for client in clients for row in client["never_paid"] for doc in row["documents"]]
    locked_rows = Download.search_count([("deliverable_id", "in", never_paid)])
    if locked_rows or counters.get("locked_served"):
        violations.append(f"locked files served: {counters.get('locked_served')} (log rows: {locked_rows})")
    if counters.get("downloads_wrong_bytes"):
        violations.append(f"downloads with other bytes than the file: {counters['downloads_wrong_bytes']}")

    # The evidence log.
    problems, evidence_rows = env["pbd.evidence.log"].sudo()._verify_report()
    violations += [f"evidence log: {problem}" for problem in problems]

    # Stripe: duplicates refused, older events not applied.
    Event = env["pbd.stripe.event"].sudo()
    stripe_done = Tx.search_count([("id", "in", stripe_ids), ("state", "=", "done")])
    env.cr.execute(
        SQL(
            "SELECT count(*) FROM pbd_stripe_event late JOIN pbd_stripe_event newer"
            " ON newer.transaction_id = late.transaction_id AND newer.id < late.id"
            " WHERE late.transaction_id IN %s AND late.outcome = 'processed' AND newer.outcome = 'processed'"
            " AND late.event_created < newer.event_created",
            tuple(stripe_ids),
        )
    )
    applied_late = env.cr.fetchone()[0]
    if applied_late:
        violations.append(f"older Stripe events applied after a newer one: {applied_late}")
    return {
        "confirmed": len(confirmed),
        "booked_once": booked_once,
        "invoices_paid": len(paid),
        "released_and_emailed": released_ok,
        "download_rows": rows,
        "stripe_done": stripe_done,
        "stripe_log_rows": Event.search_count([("transaction_id", "in", stripe_ids)]),
        "stripe_out_of_order": Event.search_count(
            [("transaction_id", "in", stripe_ids), ("outcome", "=", "out_of_order")]
        ),
        "stripe_job_checks": Event.search_count(
            [("transaction_id", "in", stripe_ids), ("source", "=", "job")]
        ),
        "evidence_rows": evidence_rows,
        "violations": violations,
    }


def main():
    parser = odoo_script.parser()
    for name in ("--manifest", "--counters"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    odoo = odoo_script.load(args, server_wide_modules=True)
    with open(args.manifest, encoding="utf-8") as handle:
        manifest = json.load(handle)
    with open(args.counters, encoding="utf-8") as handle:
        counters = json.load(handle)
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        result = check(env, manifest, counters)
        cr.rollback()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
