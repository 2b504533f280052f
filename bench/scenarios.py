"""The benchmark scenarios. Each takes the :class:`~bench.harness.Odoo`
library and returns ``(ours, anchor)`` measures (anchor may be None)."""

import base64
import os

from . import harness
from .harness import Measure, WebClient, measure

SCENARIOS = {}


def scenario(func):
    SCENARIOS[func.__name__] = func
    return func


def _small_pdf():
    import io  # noqa: PLC0415

    from reportlab.pdfgen import canvas  # noqa: PLC0415

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Benchmark deliverable")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _portal_user(env, login, company_name):
    user = env["res.users"].search([("login", "=", login)])
    if user:
        return user
    partner = env["res.partner"].create(
        {"name": company_name, "is_company": True, "email": f"{login}@example.com"}
    )
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "login": login,
                "password": login,
                "partner_id": partner.id,
                "groups_id": [(6, 0, env.ref("base.group_portal").ids)],
            }
        )
    )


def _invoices(env, partner, count, deliverables_each, ref_prefix, pay=False):
    """``count`` posted invoices for ``partner``, each with deliverables (batched)."""
    existing = env["account.move"].search([("ref", "=like", f"{ref_prefix}%")], order="id")
    if len(existing) == count:
        return existing
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "ref": f"{ref_prefix}{n:04d}",
                "invoice_line_ids": [
                    (0, 0, {"name": "Study", "quantity": 1, "price_unit": 1000.0, "tax_ids": []})
                ],
            }
            for n in range(count)
        ]
    )
    pdf = base64.b64encode(_small_pdf())
    env["pbd.deliverable"].create(
        [
            {"move_id": invoice.id, "name": f"Document {n}", "file": pdf, "file_name": f"doc{n}.pdf"}
            for invoice in invoices
            for n in range(deliverables_each)
        ]
    )
    invoices.action_post()
    if pay:
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({"group_payment": False})._create_payments()
    return invoices


@scenario
def portal_documents(lib):
    """/my/documents and the invoice page with 1 and with 200 deliverables,
    against Odoo's /my/invoices on the same data."""
    with lib.env_cursor() as env:
        one = _portal_user(env, "bench_one", "Bench One")
        many = _portal_user(env, "bench_many", "Bench Many")
        inv_one = _invoices(env, one.partner_id, 1, 1, "BENCH-ONE-")
        _invoices(env, many.partner_id, 50, 4, "BENCH-MANY-")
        inv_big = _invoices(env, many.partner_id, 1, 200, "BENCH-BIG-")
        urls = {
            "one_invoice": inv_one.get_portal_url(),
            "big_invoice": inv_big.get_portal_url(),
        }
    web_one = WebClient(lib).login("bench_one", "bench_one")
    web_many = WebClient(lib).login("bench_many", "bench_many")
    # The pages really list what we measure them with.
    _expect_rows(web_one.get("/my/documents"), 1)
    _expect_rows(web_many.get("/my/documents?filterby=all"), 20)  # one page of 20
    _expect_rows(web_one.get(urls["one_invoice"]), 1)
    _expect_rows(web_many.get(urls["big_invoice"]), 200)
    docs_1 = measure(lambda: web_one.get("/my/documents"))
    docs_200 = measure(lambda: web_many.get("/my/documents?filterby=all"))
    page_1 = measure(lambda: web_one.get(urls["one_invoice"]))
    page_200 = measure(lambda: web_many.get(urls["big_invoice"]))
    anchor = measure(lambda: web_many.get("/my/invoices"))
    docs_200.extra = {
        "queries_1": docs_1.queries,
        "queries_200": docs_200.queries,
        "invoice_page_queries_1": page_1.queries,
        "invoice_page_queries_200": page_200.queries,
        "invoice_page_ratio": f"{page_200.time_s / anchor.time_s:.2f}",
    }
    return docs_200, anchor


@scenario
def download_large(lib):
    """Streaming a 200 MB released deliverable through our route, against
    Odoo's /web/content serving the same attachment."""
    size = 200 * 1024 * 1024
    with lib.env_cursor() as env:
        # A client of its own: portal_documents counts bench_one's documents.
        user = _portal_user(env, "bench_large", "Bench Large")
        deliverable = env["pbd.deliverable"].search(
            [("name", "=", "Large deliverable"), ("partner_id", "=", user.partner_id.id)], limit=1
        )
        if not deliverable:
            invoice = _invoices(env, user.partner_id, 1, 0, "BENCH-LARGE-")
            deliverable = env["pbd.deliverable"].create(
                {
                    "move_id": invoice.id,
                    "name": "Large deliverable",
                    "file": base64.b64encode(os.urandom(size)),
                    "file_name": "large.bin",
                }
            )
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({})._create_payments()
        assert deliverable.state == "released", deliverable.state
        attachment = env["ir.attachment"].search(
            [
                ("res_model", "=", "pbd.deliverable"),
                ("res_id", "=", deliverable.id),
                ("res_field", "=", "file"),
            ]
        )
        url = deliverable._get_download_url()
        anchor_url = f"/web/content/{attachment.id}?download=true"
    web = WebClient(lib).login("bench_large", "bench_large")
    admin = WebClient(lib).login("admin", "admin")
    ours = measure(lambda: _expect(web.stream(url), size), repeat=2, warmup=0)
    anchor = measure(lambda: _expect(admin.stream(anchor_url), size), repeat=2, warmup=0)
    ours.extra = {"file_mb": size // (1024 * 1024)}
    return ours, anchor


def _expect_rows(body, count):
    rows = body.count(b'data-deliverable-id="')
    if rows != count:
        raise RuntimeError(f"the page lists {rows} deliverables, expected {count}")


def _expect(got, size):
    if got != size:
        raise RuntimeError(f"streamed {got} bytes, expected {size}")


@scenario
def release_on_payment(lib):
    """Registering a payment on an invoice with 5 deliverables (released and
    the client emailed, pre-commit hook included), against the same payment
    on an invoice without deliverables."""
    with lib.env_cursor() as env:
        user = _portal_user(env, "bench_pay", "Bench Pay")
        partner = user.partner_id
        with_docs = _fresh_invoices(env, partner, 4, 5)
        without = _fresh_invoices(env, partner, 4, 0)

        def pay(invoices):
            def run():
                invoice = invoices.pop()
                env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoice.ids
                ).create({})._create_payments()
                env.cr.flush()  # flush and run the pre-commit hooks, as the commit would
                assert invoice.pbd_deliverable_ids.mapped("state") in ([], ["released"] * 5)

            return run

        ours = measure(pay(list(with_docs)), repeat=3, warmup=1)
        anchor = measure(pay(list(without)), repeat=3, warmup=1)
        ours.extra = {"added_queries": ours.queries - anchor.queries}
        env.cr.rollback()
    return ours, anchor


def _fresh_invoices(env, partner, count, deliverables_each):
    pdf = base64.b64encode(_small_pdf())
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    (0, 0, {"name": "Study", "quantity": 1, "price_unit": 500.0, "tax_ids": []})
                ],
            }
            for _ in range(count)
        ]
    )
    env["pbd.deliverable"].create(
        [
            {"move_id": invoice.id, "name": f"Doc {n}", "file": pdf, "file_name": f"d{n}.pdf"}
            for invoice in invoices
            for n in range(deliverables_each)
        ]
    )
    invoices.action_post()
    env.flush_all()
    return invoices


__all__ = ["SCENARIOS", "STANDALONE", "Measure"]


FOLLOWUP_CLIENTS = int(os.environ.get("PBD_BENCH_FOLLOWUP_CLIENTS", "2000"))
FOLLOWUP_INVOICES_EACH = 5
FOLLOWUP_SMALL = 250  # the small run of the flatness measure (queries per client)
BENCH_LEVELS = ((7, "friendly"), (20, "firm"), (35, "formal_notice"))


def _followup_data(env, clients):
    """``clients`` companies with 5 posted invoices each, due 10 to 60 days ago
    (batched ORM creation; built once and kept in the bench database)."""
    from datetime import timedelta  # noqa: PLC0415

    from odoo import fields  # noqa: PLC0415

    prefix = "BENCH-FU-"
    partners = env["res.partner"].search([("ref", "=like", f"{prefix}%")], order="id")
    today = fields.Date.context_today(env["res.partner"])
    if len(partners) < clients:
        start = len(partners)
        new = env["res.partner"].create(
            [
                {
                    "name": f"Client {n:05d}",
                    "ref": f"{prefix}{n:05d}",
                    "is_company": True,
                    "email": f"client{n:05d}@example.com",
                }
                for n in range(start, clients)
            ]
        )
        for chunk in [new[i : i + 250] for i in range(0, len(new), 250)]:
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": today - timedelta(days=70),
                        "invoice_date_due": today - timedelta(days=10 + 10 * k + partner.id % 7),
                        "invoice_line_ids": [
                            (
                                0,
                                0,
                                {"name": "Study", "quantity": 1, "price_unit": 300.0 + 10 * k, "tax_ids": []},
                            )
                        ],
                    }
                    for partner in chunk
                    for k in range(FOLLOWUP_INVOICES_EACH)
                ]
            )
            moves.action_post()
            # Posting recomputes the due date from the payment terms: put ours back.
            for move in moves:
                index = int(move.invoice_line_ids[:1].price_unit - 300) // 10
                move.invoice_date_due = today - timedelta(days=10 + 10 * index + move.partner_id.id % 7)
            env.cr.commit()
            env.invalidate_all()
        partners = env["res.partner"].search([("ref", "=like", f"{prefix}%")], order="id")
    return partners[:clients], today


def _bench_levels(env, company):
    """Three email levels at 7, 20 and 35 days, like the OCA policy of the anchor."""
    Level = env["pbd.followup.level"]
    wanted = [f"Bench {days} days" for days, _key in BENCH_LEVELS]
    Level.search([("company_id", "=", company.id), ("name", "not in", wanted)]).active = False
    for (days, key), name in zip(BENCH_LEVELS, wanted, strict=True):
        if not Level.search([("company_id", "=", company.id), ("name", "=", name)]):
            Level.create(
                {
                    "name": name,
                    "company_id": company.id,
                    "delay": days,
                    "auto_execute": True,
                    "send_email": True,
                    "email_template_id": env.ref(f"payment_before_document.mail_template_followup_{key}").id,
                }
            )


@scenario
def followup_run(lib):
    """The daily run over 10,000 overdue invoices of 2,000 clients, every email
    queued, against OCA account_credit_control computing its lines and
    queuing its emails for the same invoices (both rolled back). The same run
    for 250 of the clients gives the queries per client at both sizes: they
    must stay flat."""
    from . import oca_credit_control  # noqa: PLC0415

    with lib.env_cursor() as env:
        company = env.ref("base.main_company")
        partners, today = _followup_data(env, FOLLOWUP_CLIENTS)
        _bench_levels(env, company)
        oca_credit_control.prepare(env, partners, attach_pdf=False)
        invoice_count = env["account.move"].search_count(
            [("partner_id", "in", partners.ids), ("payment_state", "=", "not_paid")]
        )
    counts = {}

    def ours():
        with lib.env_cursor() as env:
            mails_before = env["mail.mail"].search_count([])
            env["pbd.followup.run"]._cron_run()
            env.flush_all()
            counts["ours_mails"] = env["mail.mail"].search_count([]) - mails_before
            env.cr.rollback()

    def theirs():
        with lib.env_cursor() as env:
            result = oca_credit_control.run(env, today)
            env.flush_all()
            counts["oca_mails"] = result["mail_outgoing"]
            counts["oca_lines"] = result["lines"]
            env.cr.rollback()

    def ours_small():
        """The same run for the first FOLLOWUP_SMALL clients: queries per client must stay flat."""
        with lib.env_cursor() as env:
            small = env["res.partner"].browse(partners[:FOLLOWUP_SMALL].ids)
            mails_before = env["mail.mail"].search_count([])
            env["pbd.followup.run"]._run_for_partners(small)
            env.flush_all()
            counts["small_mails"] = env["mail.mail"].search_count([]) - mails_before
            env.cr.rollback()

    small_measure = measure(ours_small, repeat=1, warmup=0, trace_memory=False)
    ours_measure = measure(ours, repeat=1, warmup=0, trace_memory=False)
    anchor = measure(theirs, repeat=1, warmup=0, trace_memory=False)
    if counts["ours_mails"] != len(partners):
        raise RuntimeError(f"our run queued {counts['ours_mails']} emails for {len(partners)} clients")
    small_count = min(FOLLOWUP_SMALL, len(partners))
    if counts["small_mails"] != small_count:
        raise RuntimeError(f"our run queued {counts['small_mails']} emails for {small_count} clients")
    ours_measure.extra = {
        "clients": len(partners),
        "invoices": invoice_count,
        "emails": counts["ours_mails"],
        "queries_per_client": f"{ours_measure.queries / len(partners):.1f}",
        f"queries_per_client_{small_count}": f"{small_measure.queries / small_count:.1f}",
        f"time_s_{small_count}": f"{small_measure.time_s:.2f}",
        "oca_emails": counts["oca_mails"],
        "oca_lines": counts["oca_lines"],
    }
    return ours_measure, anchor


@scenario
def certificate_append(lib):
    """Appending the signature certificate to a 100-page, 20 MB PDF, file to
    file (no anchor). Peak memory is reported with the file size beside it."""
    import io  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from reportlab.pdfgen import canvas  # noqa: PLC0415

    from odoo.addons.payment_before_document.lib import certificate  # noqa: PLC0415

    workdir = harness.ROOT / ".cache" / "bench-files"
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "hundred_pages_20mb.pdf"
    if not source.exists():
        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer)
        pdf.setPageCompression(0)
        for number in range(100):
            pdf.drawString(72, 800, f"Page {number + 1}")
            text = pdf.beginText(20, 780)
            text.setFont("Helvetica", 3)
            for _line in range(430):
                text.textLine(os.urandom(230).hex()[:460])
            pdf.drawText(text)
            pdf.showPage()
        pdf.save()
        source.write_bytes(buffer.getvalue())
    size = source.stat().st_size
    with source.open("rb") as handle:
        sha_before = certificate.sha256_file(handle)
    evidence = certificate.Evidence(
        "SIG-BENCH",
        source.name,
        sha_before,
        "Bench",
        "Signer",
        "+33 *******78",
        "Approve",
        "2026-11",
        "Consent text.",
        "2026-11-22T12:00:00Z",
        "2026-11-22T12:01:00Z",
        "2026-11-22T12:01:00Z",
        "127.0.0.1",
        "bench",
    )
    labels = {key: key for key in certificate.LABEL_KEYS}

    def run():
        cert = certificate.certificate_pdf(evidence, labels)
        with source.open("rb") as src, tempfile.TemporaryFile() as out:
            certificate.append_certificate(src, cert, out)
            out.seek(0)
            if certificate.sha256_file(io.BufferedReader(out)) == sha_before:
                raise RuntimeError("nothing was appended")

    ours = measure(run, repeat=3, warmup=1)
    ours.extra = {
        "file_mb": f"{size / 1024 / 1024:.1f}",
        "pages": 100,
        "memory_x_file": f"{ours.peak_mb * 1024 * 1024 / size:.2f}",
    }
    return ours, None


STRIPE_PENDING = int(os.environ.get("PBD_BENCH_STRIPE_PENDING", "1000"))


def _stripe_invoices(env, count):
    """``count`` posted invoices (with a deliverable) due far ahead, kept in the bench database."""
    user = _portal_user(env, "bench_stripe", "Bench Stripe")
    prefix = "BENCH-STRIPE-"
    invoices = env["account.move"].search([("ref", "=like", f"{prefix}%")], order="id")
    if len(invoices) < count:
        pdf = base64.b64encode(_small_pdf())
        for start in range(len(invoices), count, 250):
            chunk = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": user.partner_id.id,
                        "ref": f"{prefix}{n:05d}",
                        "invoice_date_due": "2099-12-31",  # never in the follow-up scenario
                        "invoice_line_ids": [
                            (0, 0, {"name": "Study", "quantity": 1, "price_unit": 700.0, "tax_ids": []})
                        ],
                    }
                    for n in range(start, min(start + 250, count))
                ]
            )
            env["pbd.deliverable"].create(
                [{"move_id": move.id, "name": "Report", "file": pdf, "file_name": "r.pdf"} for move in chunk]
            )
            chunk.action_post()
            env.cr.commit()
        invoices = env["account.move"].search([("ref", "=like", f"{prefix}%")], order="id")
    return invoices[:count]


def _stripe_pending(env, invoices):
    """A Stripe card payment still pending for each invoice, created 30 minutes ago."""

    provider = env.ref("payment.payment_provider_stripe")
    if provider.state == "disabled":
        journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", provider.company_id.id)], limit=1
        )
        provider.write(
            {
                "state": "test",
                "stripe_secret_key": "sk_test_bench",
                "stripe_publishable_key": "pk_test_bench",
                "stripe_webhook_secret": "whsec_bench",
                "journal_id": journal.id,
            }
        )
    stamp = os.urandom(4).hex()
    return harness.pending_stripe_payments(
        env,
        provider,
        invoices,
        reference=lambda invoice: f"{invoice.ref}-{stamp}",
        intent_id=lambda invoice: f"pi_bench_{invoice.id}_{stamp}",
    )


def _stripe_intent(tx, status):
    return {
        "id": tx.provider_reference,
        "object": "payment_intent",
        "status": status,
        "amount": round(tx.amount * 100),
        "amount_received": round(tx.amount * 100) if status == "succeeded" else 0,
        "currency": tx.currency_id.name.lower(),
        "description": tx.reference,
        "customer": "cus_bench",
        "last_payment_error": None,
        "payment_method": {"id": "pm_bench", "type": "card", "card": {"brand": "visa", "last4": "4242"}},
    }


def _fake_transport():
    """The tests' fake HTTP session, loaded from its file: importing the tests
    package would load Odoo's test framework into a server process."""
    import importlib.util  # noqa: PLC0415

    path = harness.ROOT / harness.MODULE / "tests" / "fake_transport.py"
    spec = importlib.util.spec_from_file_location("pbd_bench_fake_transport", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@scenario
def stripe_reconcile(lib):
    """The reconciliation job over 1,000 pending Stripe payments, Stripe faked
    at the HTTP layer. Headline: all 1,000 succeeded (1,000 lost webhooks),
    against Odoo applying the same 1,000 notifications itself without asking
    Stripe. Extras: none succeeded (all still processing), one in ten did."""
    from unittest.mock import patch  # noqa: PLC0415

    import requests  # noqa: PLC0415

    ft = _fake_transport()
    with lib.env_cursor() as env:
        invoices = _stripe_invoices(env, STRIPE_PENDING)
    intents = ft.StripeIntents()
    stripe_api = ft.FakeHttpSession().add(ft.STRIPE_PAYMENT_INTENT, intents)

    def job(succeeded_every, invoices=invoices):
        """The job's runs until nothing is due, as the cron runner chains them.

        Stripe says one transaction in ``succeeded_every`` succeeded (0: none),
        the others are still processing.
        """
        with lib.env_cursor() as env:
            transactions = _stripe_pending(env, invoices.with_env(env))
            intents.intents = {
                tx.provider_reference: _stripe_intent(
                    tx, "succeeded" if succeeded_every and n % succeeded_every == 0 else "processing"
                )
                for n, tx in enumerate(transactions)
            }
            stripe_api.calls.clear()
            checked = []

            def run():
                while batch := env["payment.transaction"]._cron_pbd_stripe_reconcile():
                    checked.append(len(batch))
                    env.cr.flush()  # the cron runner commits between batches

            with patch.object(
                requests.Session, "send", lambda _s, request, **kw: stripe_api.send(request, **kw)
            ):
                result = measure(run, repeat=1, warmup=0, trace_memory=False)
            result.extra = {
                "checked": sum(checked),
                "calls": len(stripe_api.calls),
                "done": len(transactions.filtered(lambda tx: tx.state == "done")),
            }
            env.cr.rollback()
        return result

    def odoo_applies_notifications(invoices=invoices):
        """What Odoo does with the same 1,000 "succeeded" notifications, without asking Stripe."""
        with lib.env_cursor() as env:
            transactions = _stripe_pending(env, invoices.with_env(env))
            notifications = [
                {"reference": tx.reference, "payment_intent": _stripe_intent(tx, "succeeded")}
                for tx in transactions
            ]

            def run():
                for data in notifications:
                    env["payment.transaction"]._handle_notification_data("stripe", data)
                env.cr.flush()

            result = measure(run, repeat=1, warmup=0, trace_memory=False)
            env.cr.rollback()
        return result

    job(1, invoices[:20])  # warm-up of both paths (caches, imports), not measured
    odoo_applies_notifications(invoices[:20])
    runs = []
    for run in (lambda: job(1), odoo_applies_notifications, lambda: job(0), lambda: job(10)):
        lib.vacuum()  # each run leaves 1,000 rolled-back transactions behind
        runs.append(run())
    ours, anchor, processing, tenth = runs
    expected = {id(ours): STRIPE_PENDING, id(processing): 0, id(tenth): STRIPE_PENDING // 10}
    for run in (ours, processing, tenth):
        if run.extra["checked"] != STRIPE_PENDING or run.extra["done"] != expected[id(run)]:
            raise RuntimeError(f"the job checked {run.extra['checked']} and confirmed {run.extra['done']}")
        if run.extra["calls"] > STRIPE_PENDING:
            raise RuntimeError(f"more than one API call per transaction: {run.extra}")
    ours.extra = {
        "transactions": STRIPE_PENDING,
        "api_calls": ours.extra["calls"],
        "queries_per_tx": f"{ours.queries / STRIPE_PENDING:.1f}",
        "none_succeeded_time_s": f"{processing.time_s:.2f}",
        "none_succeeded_queries": processing.queries,
        "none_succeeded_api_calls": processing.extra["calls"],
        "tenth_succeeded_time_s": f"{tenth.time_s:.2f}",
        "tenth_succeeded_api_calls": tenth.extra["calls"],
    }
    return ours, anchor


def _bench_pdf_with_images(path, pages=100, image_bytes=200 * 1024):
    """A ``pages``-page A4 PDF, each page a full-page picture of random (so
    incompressible) pixels and a line of text: about ``pages * image_bytes``."""
    from pypdf import PdfWriter  # noqa: PLC0415
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject  # noqa: PLC0415

    side = int((image_bytes / 3) ** 0.5)
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for number in range(1, pages + 1):
        page = writer.add_blank_page(width=595, height=842)
        image = DecodedStreamObject()
        image.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(side),
                NameObject("/Height"): NumberObject(side),
                NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
                NameObject("/BitsPerComponent"): NumberObject(8),
            }
        )
        image.set_data(os.urandom(side * side * 3))
        content = DecodedStreamObject()
        content.set_data(
            f"q 500 0 0 640 48 120 cm /Im0 Do Q BT /F1 24 Tf 72 790 Td (Page {number}) Tj ET".encode()
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {
                NameObject("/Font"): DictionaryObject({NameObject("/F1"): font}),
                NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(image)}),
            }
        )
        page[NameObject("/Contents")] = writer._add_object(content)
    with path.open("wb") as handle:
        writer.write(handle)


def _rss_kb(field):
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _rss_growth(func):
    """How much the process's resident memory grows while ``func`` runs, in
    bytes, C allocations (PDFium's, Pillow's) included.

    The kernel keeps the high-water mark (VmHWM); writing 5 to clear_refs
    resets it to the current resident size (Linux >= 4.0), so no peak is
    missed between samples. Freed heap is handed back first (malloc_trim) so
    memory an earlier run left to the allocator does not hide this run's.
    Falls back to the harness's 50 ms sampler.
    """
    import ctypes  # noqa: PLC0415
    import gc  # noqa: PLC0415

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        start = _rss_kb("VmRSS")
    except OSError:
        with harness.RssSampler(interval=0.005) as sampler:
            func()
        return sampler.growth
    func()
    return max(_rss_kb("VmHWM") - start, 0) * 1024


@scenario
def preview_make(lib):
    """The portal preview (pictures of the first pages, watermarked) of a
    100-page, 20 MB PDF of full-page pictures: the first page, and the first
    three. No database; no anchor. peak_mb is the growth of the process's
    resident memory (PDFium's and Pillow's C allocations included), with the
    file size beside it."""
    import io  # noqa: PLC0415
    import time  # noqa: PLC0415

    from pypdf import PdfReader  # noqa: PLC0415

    from odoo.addons.payment_before_document.lib import pdf as pdf_lib  # noqa: PLC0415

    workdir = harness.ROOT / ".cache" / "bench-files"
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "hundred_pages_pictures_20mb.pdf"
    if not source.exists():
        _bench_pdf_with_images(source)
    data = source.read_bytes()
    size = len(data)
    pdf_lib.make_preview(_small_pdf(), pages=1)  # imports, PDFium and font loading: not measured

    results = {}
    for pages in (1, 3):

        def run(pages=pages):
            preview = pdf_lib.make_preview(data, pages=pages, watermark="PREVIEW – payment required")
            if len(PdfReader(io.BytesIO(preview)).pages) != pages:
                raise RuntimeError(f"the preview does not have {pages} pages")
            results[pages] = len(preview)

        t0 = time.perf_counter()
        rss = _rss_growth(run)
        cold = time.perf_counter() - t0
        timed = measure(run, repeat=3, warmup=1)  # Python's own peak (tracemalloc) and the median time
        timed.extra = {"cold_s": cold, "rss": rss, "py_peak_mb": timed.peak_mb}
        timed.peak_mb = rss / 1024 / 1024
        results[f"measure_{pages}"] = timed
    one, three = results["measure_1"], results["measure_3"]
    one.extra = {
        "file_mb": f"{size / 1024 / 1024:.1f}",
        "pages": 100,
        "memory_x_file": f"{one.extra['rss'] / size:.2f}",
        "py_peak_mb": f"{one.extra['py_peak_mb']:.1f}",
        "cold_time_s": f"{one.extra['cold_s']:.3f}",
        "preview_kb": results[1] // 1024,
        "three_pages_time_s": f"{three.time_s:.4f}",
        "three_pages_peak_mb": f"{three.peak_mb:.1f}",
        "three_pages_memory_x_file": f"{three.extra['rss'] / size:.2f}",
        "three_pages_py_peak_mb": f"{three.extra['py_peak_mb']:.1f}",
        "three_pages_cold_time_s": f"{three.extra['cold_s']:.3f}",
        "three_pages_preview_kb": results[3] // 1024,
    }
    return one, None


# Scenarios that need no database: ``make bench SCENARIO=<name>`` runs them
# without building (or upgrading) the bench database.
STANDALONE = {"preview_make"}
