"""A local stand-in for Stripe's API, consistent with the events the load sends.

``GET /v1/payment_intents/<id>`` answers the PaymentIntent of a pending
transaction of the run: ``processing`` until the load makes it succeed
(``POST /_succeed/<id>``, just before its webhook events are sent), then
``succeeded``. Anything else is Stripe's 404.
"""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import threading

from .stripe_objects import payment_intent


class StripeStandIn:
    def __init__(self, transactions):
        self.lock = threading.Lock()
        self.intents = {
            tx["intent_id"]: payment_intent(tx, "processing", expanded_method=True) for tx in transactions
        }
        self.calls = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def _answer(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                with stand_in.lock:
                    stand_in.calls += 1
                    intent = path.startswith("/v1/payment_intents/") and stand_in.intents.get(
                        path.rsplit("/", 1)[1]
                    )
                    if intent:
                        return self._answer(200, intent)
                return self._answer(
                    404,
                    {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": path}},
                )

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if self.path.startswith("/_succeed/"):
                    intent_id = self.path.rsplit("/", 1)[1]
                    with stand_in.lock:
                        intent = stand_in.intents.get(intent_id)
                        if intent:
                            intent.update(status="succeeded", amount_received=intent["amount"])
                    return self._answer(200 if intent else 404, {"id": intent_id})
                return self._answer(404, {"error": {"type": "invalid_request_error", "message": self.path}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
