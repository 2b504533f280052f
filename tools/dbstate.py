"""Exit 0 when database ARGV[1] exists and has module ARGV[2] installed.

With ARGV[3], only when the installed version is that one (else the
database needs ``-u``).
"""

import sys

import psycopg2


def main(dbname, module, version=None):
    try:
        conn = psycopg2.connect(dbname=dbname)
    except psycopg2.OperationalError:
        return 1
    with conn, conn.cursor() as cr:
        try:
            cr.execute("SELECT state, latest_version FROM ir_module_module WHERE name = %s", [module])
        except psycopg2.Error:
            return 1
        row = cr.fetchone()
    conn.close()
    if not row or row[0] != "installed":
        return 1
    return 0 if version is None or row[1] == version else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
