"""make bench [SCENARIO=name]: run the benchmark scenarios, one line each.

bench: <scenario> time_s=<x> queries=<n> peak_mb=<m> ratio=<ours/anchor> [extra=...]
"""

import argparse
import logging
import sys

from . import harness, oca_credit_control
from .scenarios import SCENARIOS, STANDALONE

BENCH_DB = "pbd_bench"
FINGERPRINT_KEY = "payment_before_document.bench_fingerprint"


MODULES = [harness.MODULE, "payment_demo", oca_credit_control.ADDON]


def _upgrade_with_cli(lib, odoo_src):
    """``odoo-bin -u``: the module's new code needs its new schema before any ORM call."""
    import socket  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = lib.odoo.tools.config
    subprocess.run(
        [
            sys.executable,
            f"{odoo_src}/odoo-bin",
            "-d",
            lib.dbname,
            "-u",
            harness.MODULE,
            f"--addons-path={config['addons_path']}",
            f"--data-dir={config['data_dir']}",
            f"--http-port={port}",
            "--log-level=warn",
            "--stop-after-init",
        ],
        check=True,
    )


def ensure_database(lib, odoo_src):
    """Build the bench database once; upgrade the module when its code changes.

    The data scenarios build (10,000 invoices for ``followup_run``) stays: an
    upgrade keeps it, so only the first run pays for it.
    """
    sys.path.insert(0, str(harness.ROOT / "tools"))
    import create_db  # noqa: PLC0415

    odoo = lib.odoo
    fingerprint = harness.module_fingerprint()
    try:
        with lib.env_cursor() as env:
            current = env["ir.config_parameter"].get_param(FINGERPRINT_KEY)
    except Exception:  # noqa: BLE001 - a missing or broken database is rebuilt
        current = False
    if current == fingerprint:
        return
    if current is False:
        print(f"bench: building database {lib.dbname}...", file=sys.stderr)
        odoo.sql_db.close_all()
        if lib.dbname in odoo.service.db.list_dbs(force=True):
            odoo.service.db.exp_drop(lib.dbname)
        odoo.service.db.exp_create_database(lib.dbname, False, "en_US", "admin", "admin")
        create_db.install(odoo, lib.dbname, MODULES)
        create_db.load_chart(odoo, lib.dbname, False)
    else:
        print(f"bench: upgrading {harness.MODULE} in {lib.dbname} (its code changed)...", file=sys.stderr)
        _upgrade_with_cli(lib, odoo_src)
        create_db.install(odoo, lib.dbname, MODULES)
    with lib.env_cursor() as env:
        env["ir.config_parameter"].set_param(FINGERPRINT_KEY, fingerprint)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--odoo", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--db", default=BENCH_DB)
    args = parser.parse_args()
    sys.path.insert(0, args.odoo)
    names = [args.scenario] if args.scenario else list(SCENARIOS)
    # Scenarios of plain-Python code (STANDALONE) run without the bench database.
    needs_database = any(name not in STANDALONE for name in names)
    addons_path = args.addons_path
    if needs_database:
        # OCA's account_credit_control (the follow-up anchor), from its PyPI wheel.
        oca_path = oca_credit_control.ensure_addon(harness.ROOT / ".cache")
        addons_path = f"{oca_path},{addons_path}"
    lib = harness.Odoo(addons_path, args.data_dir, args.db)
    logging.getLogger("odoo").setLevel(logging.WARNING)
    if needs_database:
        ensure_database(lib, args.odoo)
    for name in names:
        if name not in STANDALONE:
            lib.vacuum()
        ours, anchor = SCENARIOS[name](lib)
        ratio = f"{ours.time_s / anchor.time_s:.2f}" if anchor else "na"
        extra = "".join(f" {key}={value}" for key, value in ours.extra.items())
        anchor_text = (
            f" anchor_time_s={anchor.time_s:.4f} anchor_queries={anchor.queries}"
            f" anchor_peak_mb={anchor.peak_mb:.1f}"
            if anchor
            else ""
        )
        print(
            f"bench: {name} time_s={ours.time_s:.4f} queries={ours.queries} peak_mb={ours.peak_mb:.1f} "
            f"ratio={ratio}{extra}{anchor_text}",
            flush=True,
        )


if __name__ == "__main__":
    main()
