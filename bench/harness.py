"""Measuring helpers for the benchmark scenarios.

Everything runs in one process: Odoo is imported as a library, the bench
database is built once (and rebuilt when the module's code changes), and
HTTP requests go to Odoo's own WSGI application through werkzeug's test
client, so the SQL queries, time and Python memory of a request are those of
the server code itself.

A scenario returns a :class:`Measure` for its own run and, when it has one,
for its anchor (what a user would compare it with), measured the same way in
the same process.
"""

from dataclasses import dataclass, field
import gc
import hashlib
import json
import pathlib
import resource
import statistics
import threading
import time
import tracemalloc

MODULE = "payment_before_document"
ROOT = pathlib.Path(__file__).resolve().parent.parent


@dataclass
class Measure:
    time_s: float
    queries: int
    peak_mb: float
    extra: dict = field(default_factory=dict)


class RssSampler:
    """Samples the process's resident memory while a run lasts (Linux)."""

    def __init__(self, interval=0.05):
        self.interval = interval
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def _rss():
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize()

    def _loop(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self._rss())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def growth(self):
        return self.peak - self.start


def measure(func, repeat=3, warmup=1, trace_memory=True):
    """Run ``func`` and return the median time, and queries and peak memory of one run.

    Peak memory is Python's (``tracemalloc``) during the first run, which
    slows that run: it is not among the timed ones unless ``repeat`` is 1.
    For long runs, ``trace_memory=False`` measures instead how much the
    process's resident memory grows during the run (sampled every 50 ms),
    which keeps the timing clean.
    """
    import odoo  # noqa: PLC0415

    for _ in range(warmup):
        func()
    times = []
    queries = peak = 0
    for index in range(repeat):
        gc.collect()
        if index == 0:
            q0 = odoo.sql_db.sql_counter
            if trace_memory:
                tracemalloc.start()
        t0 = time.perf_counter()
        if index == 0 and not trace_memory:
            with RssSampler() as sampler:
                func()
        else:
            func()
        elapsed = time.perf_counter() - t0
        if index == 0:
            queries = odoo.sql_db.sql_counter - q0
            if trace_memory:
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                if repeat > 1:
                    continue  # the traced run is slower: leave it out of the timing
            else:
                peak = sampler.growth
        times.append(elapsed)
    return Measure(statistics.median(times), queries, peak / 1024 / 1024)


def module_fingerprint():
    """A hash of the module's files: the bench database is rebuilt when it changes."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / MODULE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def pending_stripe_payments(env, provider, invoices, reference, intent_id):
    """A card payment of each invoice still pending at Stripe, created 30 minutes ago.

    Old enough for the reconciliation job to ask Stripe about it. ``reference``
    and ``intent_id`` give, from the invoice, the transaction's reference and
    its PaymentIntent id. Used by the bench's scenarios and by the load's set-up.
    """
    from datetime import timedelta  # noqa: PLC0415

    from odoo import fields  # noqa: PLC0415
    from odoo.tools import SQL  # noqa: PLC0415

    card = env.ref("payment.payment_method_card")
    transactions = env["payment.transaction"].create(
        [
            {
                "provider_id": provider.id,
                "payment_method_id": card.id,
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id,
                "reference": reference(invoice),
                "operation": "online_direct",
                "invoice_ids": [(6, 0, invoice.ids)],
                "provider_reference": intent_id(invoice),
                "state": "pending",
            }
            for invoice in invoices
        ]
    )
    env.flush_all()
    env.cr.execute(
        SQL(
            "UPDATE payment_transaction SET create_date = %s WHERE id IN %s",
            fields.Datetime.now() - timedelta(minutes=30),
            tuple(transactions.ids),
        )
    )
    env.invalidate_all()
    return transactions


class Odoo:
    """The Odoo library, configured for the bench database."""

    def __init__(self, addons_path, data_dir, dbname):
        import odoo  # noqa: PLC0415

        self.odoo = odoo
        self.dbname = dbname
        odoo.tools.config.parse_config(
            [
                "--addons-path",
                addons_path,
                "--data-dir",
                data_dir,
                "--log-level",
                "warn",
                "-d",
                dbname,
                "--db-filter",
                f"^{dbname}$",
                "--max-cron-threads",
                "0",
            ]
        )
        odoo.service.server.load_server_wide_modules()

    def registry(self):
        return self.odoo.modules.registry.Registry(self.dbname)

    def vacuum(self):
        """``VACUUM (ANALYZE)`` the bench database.

        Scenarios roll back what they measure; on a server without autovacuum
        (this machine's) the dead rows pile up run after run and slow every
        later measure. Done before each scenario, outside any transaction.
        """
        import psycopg2  # noqa: PLC0415

        _name, params = self.odoo.sql_db.connection_info_for(self.dbname)
        connection = psycopg2.connect(**params)
        try:
            connection.autocommit = True
            with connection.cursor() as cr:
                cr.execute("VACUUM (ANALYZE)")
        finally:
            connection.close()

    def env_cursor(self):
        """A context manager yielding a superuser environment; commits on exit."""
        registry = self.registry()
        odoo = self.odoo

        class _Ctx:
            def __enter__(ctx):
                ctx.cr = registry.cursor()
                return odoo.api.Environment(ctx.cr, odoo.SUPERUSER_ID, {})

            def __exit__(ctx, exc_type, *_):
                if exc_type is None:
                    ctx.cr.commit()
                ctx.cr.close()

        return _Ctx()


class WebClient:
    """werkzeug's test client on Odoo's WSGI application, with a session."""

    ENVIRON = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "pbd-bench"}

    def __init__(self, odoo_lib):
        from werkzeug.test import Client  # noqa: PLC0415

        self.odoo = odoo_lib
        self.client = Client(odoo_lib.odoo.http.root)

    def login(self, login, password):
        response = self.client.post(
            "/web/session/authenticate",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"db": self.odoo.dbname, "login": login, "password": password},
                }
            ),
            headers={"Content-Type": "application/json"},
            environ_base=self.ENVIRON,
        )
        payload = response.get_json()
        if not payload or payload.get("error") or not payload.get("result", {}).get("uid"):
            raise RuntimeError(f"login failed for {login}: {payload}")
        return self

    def get(self, url, expect=200):
        response = self.client.get(url, environ_base=self.ENVIRON)
        body = response.get_data()
        if response.status_code != expect:
            raise RuntimeError(f"GET {url}: {response.status_code} (expected {expect})")
        return body

    def stream(self, url, expect=200):
        """GET without buffering the body; returns the number of bytes read."""
        response = self.client.get(url, buffered=False, environ_base=self.ENVIRON)
        if response.status_code != expect:
            raise RuntimeError(f"GET {url}: {response.status_code} (expected {expect})")
        size = 0
        for chunk in response.response:
            size += len(chunk)
        response.close()
        return size
