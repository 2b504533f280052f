"""Exit 0 when database ARGV[1] exists and has module ARGV[2] installed."""

import sys

import psycopg2


def main(dbname, module):
    try:
        conn = psycopg2.connect(dbname=dbname)
    except psycopg2.OperationalError:
        return 1
    with conn, conn.cursor() as cr:
        try:
            cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [module])
        except psycopg2.Error:
            return 1
        row = cr.fetchone()
    conn.close()
    return 0 if row and row[0] == "installed" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
