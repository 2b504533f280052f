"""The load of ``make load``: 50 portal clients and Stripe's webhooks, on two Odoo servers.

Run by ``bench/load/run.py`` (Locust headless, from ``.cache/venv-load``).
Environment: ``PBD_LOAD_MANIFEST`` (what ``setup_db`` prepared),
``PBD_LOAD_SERVERS`` (the two servers' URLs, comma-separated),
``PBD_LOAD_STANDIN`` (the Stripe stand-in), ``PBD_LOAD_COUNTERS`` (JSON
written at the end: downloads, payments, locked files refused or served,
and every failed request with its time, for the runner to tell failures
cut by an injected fault from the others).
"""

import hashlib
import itertools
import json
import os
import random
import time

import gevent
from locust import HttpUser, User, between, events, task
from locust.clients import HttpSession
import stripe
from stripe_objects import event, payment_intent  # this folder is on sys.path (Locust puts it there)

MANIFEST = json.load(open(os.environ["PBD_LOAD_MANIFEST"], encoding="utf-8"))  # noqa: SIM115
SERVERS = os.environ["PBD_LOAD_SERVERS"].split(",")
STANDIN = os.environ["PBD_LOAD_STANDIN"]
COUNTERS_PATH = os.environ["PBD_LOAD_COUNTERS"]
WEBHOOK_SECONDS = float(os.environ.get("PBD_LOAD_WEBHOOK_SECONDS", "150"))

COUNTERS = {
    "downloads_ok": 0,
    "downloads_cut": 0,
    "downloads_wrong_bytes": 0,
    "locked_refused": 0,
    "locked_served": 0,
    "payments_done": [],
    "payments_failed": 0,
    "webhooks_sent": 0,
    "webhooks_refused": 0,
    "failures": [],
}
_client_numbers = itertools.count()


def _server_of(url):
    for index, base in enumerate(SERVERS):
        if url.startswith(base):
            return index
    return 0


@events.request.add_listener
def _record_failure(request_type, name, response_time, response_length, response=None, exception=None, **kw):
    status = getattr(response, "status_code", 0) or 0
    rpc_error = kw.get("context", {}).get("rpc_error")
    if exception is None and status < 500 and not rpc_error:
        return
    end = time.time()
    url = getattr(getattr(response, "request", None), "url", None) or kw.get("url") or ""
    COUNTERS["failures"].append(
        {
            "name": name,
            "status": status,
            "rpc_error": bool(rpc_error),
            "server": _server_of(url),
            "start": end - (response_time or 0) / 1000.0,
            "end": end,
            "error": str(exception)[:200] if exception else (rpc_error or ""),
        }
    )


@events.quitting.add_listener
def _write_counters(environment, **_kw):
    with open(COUNTERS_PATH, "w", encoding="utf-8") as handle:
        json.dump(COUNTERS, handle)


def _json_rpc(session, url, params, name, expected=()):
    """A JSON-RPC call; an Odoo error (HTTP 200 with "error") is a failure,
    but for those ``expected`` (error messages the page's script handles)."""
    payload = {"jsonrpc": "2.0", "method": "call", "id": random.randint(1, 10**9), "params": params}
    with session.post(url, json=payload, name=name, catch_response=True) as response:
        try:
            body = response.json()
        except ValueError:
            response.failure(f"not JSON ({response.status_code})")
            return None
        if body.get("error"):
            data = body["error"].get("data") or {}
            if data.get("message") in expected:
                response.success()
                return {"expected_error": data["message"]}
            message = data.get("name") or body["error"].get("message")
            response.request_meta["context"]["rpc_error"] = message
            response.failure(f"Odoo error: {message}")
            return None
        result = body.get("result")
        return True if result is None else result


class PortalClient(HttpUser):
    """A client of the firm: browses, previews, downloads, pays with the demo provider."""

    fixed_count = 50
    wait_time = between(4, 12)

    def on_start(self):
        number = next(_client_numbers) % len(MANIFEST["clients"])
        self.me = MANIFEST["clients"][number]
        # Two servers behind a proxy: half the clients on each (sessions are shared).
        self.base = SERVERS[number % len(SERVERS)]
        self.unpaid = list(self.me["to_pay"])
        self.released = [doc for row in self.me["paid"] for doc in row["documents"]]
        self.locked = [doc for row in self.me["never_paid"] for doc in row["documents"]]
        self.logged_in = False
        self._login()

    def _login(self):
        result = _json_rpc(
            self.client,
            f"{self.base}/web/session/authenticate",
            {"db": MANIFEST["db"], "login": self.me["login"], "password": self.me["password"]},
            "login",
        )
        self.logged_in = bool(result and result.get("uid"))

    def _get(self, path, name, **kwargs):
        if not self.logged_in:
            self._login()
        return self.client.get(f"{self.base}{path}", name=name, **kwargs)

    @task(3)
    def my_documents(self):
        self._get("/my/documents", "/my/documents")

    @task(2)
    def my_invoices(self):
        self._get("/my/invoices", "/my/invoices (Odoo)")

    @task(2)
    def invoice_page(self):
        row = random.choice(self.me["to_pay"] + self.me["paid"] + self.me["never_paid"])
        self._get(row["invoice_url"], "invoice page")

    @task(1)
    def preview(self):
        doc = random.choice(self.released + self.locked)
        self._get(doc["preview"], "preview")

    @task(2)
    def download_released(self):
        doc = random.choice(self.released)
        try:
            response = self._get(doc["download"], "download", allow_redirects=False)
        except Exception:  # noqa: BLE001 - counted, the request event recorded it
            COUNTERS["downloads_cut"] += 1
            return
        if response.status_code == 200:
            if hashlib.sha256(response.content).hexdigest() == doc["sha256"]:
                COUNTERS["downloads_ok"] += 1
            else:
                COUNTERS["downloads_wrong_bytes"] += 1
        elif response.status_code == 0 or response.status_code >= 500:
            COUNTERS["downloads_cut"] += 1

    @task(1)
    def download_locked(self):
        doc = random.choice(self.locked)
        with self._get(
            doc["download"], "download (locked)", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 200 and hashlib.sha256(response.content).hexdigest() == doc["sha256"]:
                COUNTERS["locked_served"] += 1
                response.failure("a locked file was served")
            elif response.status_code in (302, 303):
                COUNTERS["locked_refused"] += 1
                response.success()

    @task(1)
    def pay(self):
        if not self.unpaid:
            return
        row = self.unpaid[0]
        self._get(row["invoice_url"], "invoice page")
        result = _json_rpc(
            self.client,
            f"{self.base}/invoice/transaction/{row['invoice_id']}",
            {
                "access_token": row["access_token"],
                "provider_id": MANIFEST["demo_provider_id"],
                "payment_method_id": MANIFEST["demo_method_id"],
                "token_id": None,
                "amount": row["amount"],
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": row["invoice_url"],
            },
            "pay: transaction",
        )
        if not result:
            COUNTERS["payments_failed"] += 1
            return
        done = _json_rpc(
            self.client,
            f"{self.base}/payment/demo/simulate_payment",
            {"reference": result["reference"], "payment_details": "4242", "simulated_state": "done"},
            "pay: demo",
        )
        if done is None:
            COUNTERS["payments_failed"] += 1
            return
        self.unpaid.pop(0)
        COUNTERS["payments_done"].append(row["invoice_id"])
        for _attempt in range(5):
            # "retry": Odoo's answer while another request post-processes the
            # payment; the status page polls again, as this does.
            status = _json_rpc(
                self.client, f"{self.base}/payment/status/poll", {}, "pay: status poll", expected=("retry",)
            )
            if status and status.get("state") == "done":
                # What the status page leads to: the documents, now downloadable.
                self.released += row["documents"]
                break
            time.sleep(1)


def _signed(stripe_event):
    body = json.dumps(stripe_event)
    header = stripe.WebhookSignature.generate_signature_header(body, MANIFEST["webhook_secret"])
    return body, header


class StripeWebhooks(User):
    """Stripe: each payment succeeds, its event is delivered twice (to both
    servers at once); one in four also gets its older "processing" event
    after the "succeeded" one (out of order)."""

    fixed_count = 1
    wait_time = between(0, 0)

    def on_start(self):
        self.sessions = [HttpSession(base, self.environment.events.request, self) for base in SERVERS]
        self.standin = HttpSession(STANDIN, self.environment.events.request, self)
        self.queue = list(MANIFEST["stripe"])
        random.Random(16).shuffle(self.queue)
        self.pause = WEBHOOK_SECONDS / max(len(self.queue), 1)

    def _deliver(self, stripe_event):
        body, header = _signed(stripe_event)
        headers = {"Content-Type": "application/json", "Stripe-Signature": header}

        def post(session):
            with session.post(
                "/payment/stripe/webhook",
                data=body,
                headers=headers,
                name="stripe webhook",
                catch_response=True,
            ) as response:
                COUNTERS["webhooks_sent"] += 1
                if response.status_code == 403:
                    COUNTERS["webhooks_refused"] += 1

        gevent.joinall([gevent.spawn(post, session) for session in self.sessions])

    @task
    def send_next(self):
        if not self.queue:
            gevent.sleep(5)
            return
        number = len(MANIFEST["stripe"]) - len(self.queue)
        # Each payment on its own: Stripe does not wait for one delivery to send the next.
        gevent.spawn(self._pay, self.queue.pop(), number)
        gevent.sleep(self.pause)

    def _pay(self, tx, number):
        # Stripe's own state first (what the job reads), then, some seconds
        # later as with Stripe, its events.
        self.standin.post(f"/_succeed/{tx['intent_id']}", name="stand-in: succeed")
        gevent.sleep(random.uniform(1, 20))
        now = int(time.time())
        self._deliver(
            event(
                f"evt_load_{tx['tx_id']}_ok", "payment_intent.succeeded", payment_intent(tx, "succeeded"), now
            )
        )
        if number % 4 == 0:
            older = event(
                f"evt_load_{tx['tx_id']}_processing",
                "payment_intent.processing",
                payment_intent(tx, "processing"),
                now - 60,
            )
            self._deliver(older)
