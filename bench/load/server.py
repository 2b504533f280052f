"""Start Odoo with Stripe's HTTP answered by the local stand-in.

    PBD_LOAD_ODOO_SRC=... PBD_LOAD_STRIPE_URL=... python bench/load/server.py [odoo-bin options...]

As the tests and the bench do, only the final ``requests.Session.send`` is
replaced: the stripe library builds, signs and parses its requests for real.
Requests to ``api.stripe.com`` go to the stand-in; any other request to a
host outside this machine is refused (a load run never reaches the
network). The patch is made before Odoo forks its workers, so every worker
and the cron worker have it. This file is run as a script, so that the
process Odoo's prefork server starts for websockets (``<this script>
gevent ...``) goes through it too.
"""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

import requests

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def patch_transport(stand_in):
    original_send = requests.Session.send
    target = urlsplit(stand_in)

    def send(session, request, **kwargs):
        url = urlsplit(request.url)
        if url.hostname == "api.stripe.com":
            request = request.copy()
            request.url = urlunsplit((target.scheme, target.netloc, url.path, url.query, ""))
            request.headers["Host"] = target.netloc
            return original_send(session, request, **kwargs)
        if url.hostname not in LOCAL_HOSTS:
            raise requests.ConnectionError(f"load run: no network ({url.hostname})")
        return original_send(session, request, **kwargs)

    requests.Session.send = send


def patch_gevent_plugins():
    """gevent loads its plugins with ``pkg_resources``' ``load()``, which checks
    their requirements; the venv's setuptools (pinned below 70) cannot find
    ``zope.interface`` under its normalised name and the websocket process
    dies at start, again and again. ``resolve()`` loads them without the check."""
    try:
        from gevent import events  # noqa: PLC0415
    except ImportError:
        return

    def notify_and_call_entry_points(event):
        events.notify(event)
        for plugin in events.iter_entry_points(event.ENTRY_POINT_NAME):
            plugin.resolve()(event)

    events.notify_and_call_entry_points = notify_and_call_entry_points


def main():
    odoo_src = os.environ["PBD_LOAD_ODOO_SRC"]
    patch_transport(os.environ["PBD_LOAD_STRIPE_URL"])
    patch_gevent_plugins()
    sys.path.insert(0, odoo_src)
    import odoo  # noqa: PLC0415

    odoo.cli.main()


if __name__ == "__main__":
    main()
