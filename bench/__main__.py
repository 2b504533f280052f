"""make bench [SCENARIO=name]: run the benchmark scenarios, one line each.

bench: <scenario> time_s=<x> queries=<n> peak_mb=<m> ratio=<ours/anchor> [extra=...]
"""

import argparse
import logging
import sys

from . import harness
from .scenarios import SCENARIOS

BENCH_DB = "pbd_bench"
FINGERPRINT_KEY = "payment_before_document.bench_fingerprint"


def ensure_database(lib, odoo_src):
    """Build the bench database once; rebuild it when the module changes."""
    sys.path.insert(0, str(harness.ROOT / "tools"))
    import create_db  # noqa: PLC0415

    odoo = lib.odoo
    fingerprint = harness.module_fingerprint()
    try:
        with lib.env_cursor() as env:
            current = env["ir.config_parameter"].get_param(FINGERPRINT_KEY)
    except Exception:  # noqa: BLE001 - a missing or broken database is rebuilt
        current = None
    if current == fingerprint:
        return
    print(f"bench: building database {lib.dbname} (module changed or new)...", file=sys.stderr)
    odoo.sql_db.close_all()
    odoo.modules.registry.Registry.delete(lib.dbname)
    if lib.dbname in odoo.service.db.list_dbs(force=True):
        odoo.service.db.exp_drop(lib.dbname)
    odoo.service.db.exp_create_database(lib.dbname, False, "en_US", "admin", "admin")
    create_db.install(odoo, lib.dbname, [harness.MODULE, "payment_demo"])
    create_db.load_chart(odoo, lib.dbname, False)
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
    lib = harness.Odoo(args.addons_path, args.data_dir, args.db)
    logging.getLogger("odoo").setLevel(logging.WARNING)
    ensure_database(lib, args.odoo)
    names = [args.scenario] if args.scenario else list(SCENARIOS)
    for name in names:
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
