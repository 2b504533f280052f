"""What the project's scripts that open an Odoo database share.

The options every such script takes (``--odoo``, ``--addons-path``,
``--data-dir``, ``--db``) and Odoo imported and configured from them::

    parser = odoo_script.parser(__doc__)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    odoo = odoo_script.load(args)
"""

import argparse
import sys


def parser(description=None):
    """An argument parser with the options of a script that opens a database."""
    result = argparse.ArgumentParser(description=description)
    for name in ("--odoo", "--addons-path", "--data-dir", "--db"):
        result.add_argument(name, required=True)
    return result


def load(args, server_wide_modules=False):
    """The ``odoo`` package from ``args.odoo``, configured with the script's options."""
    sys.path.insert(0, args.odoo)
    import odoo  # noqa: PLC0415 - from the tree the options name

    odoo.tools.config.parse_config(
        ["--addons-path", args.addons_path, "--data-dir", args.data_dir, "-d", args.db, "--log-level", "warn"]
    )
    if server_wide_modules:
        odoo.service.server.load_server_wide_modules()
    return odoo
