# shellcheck shell=bash
# Shared set-up steps for tools/pbd: Odoo source, virtual environment,
# system packages and PostgreSQL. Every step is idempotent: a second run
# reuses what the first one made.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="$ROOT/.cache"
VENV="$CACHE/venv"
PY="$VENV/bin/python"
DATA_DIR="$CACHE/data"
MODULE=payment_before_document

say() { printf '\033[1m[pbd]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[pbd] %s\033[0m\n' "$*" >&2; exit 2; }

# --- Odoo 18.0 source ------------------------------------------------------
find_odoo() {
  local candidate
  if [ -n "${ODOO_SRC:-}" ]; then
    candidate=$ODOO_SRC
    [ -f "$candidate/odoo-bin" ] || die "ODOO_SRC=$candidate has no odoo-bin."
  else
    candidate="$HOME/.cache/odoo/18.0"
    if [ ! -f "$candidate/odoo-bin" ]; then
      if git ls-remote --exit-code https://github.com/odoo/odoo.git refs/heads/18.0 >/dev/null 2>&1; then
        say "Cloning Odoo 18.0 into $candidate (shallow)..."
        git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git "$candidate" \
          || die "Cloning Odoo 18.0 failed."
      else
        die "No Odoo 18.0 source found. Provide one of: ODOO_SRC=/path/to/odoo-18.0; \
a tree at \$HOME/.cache/odoo/18.0 (e.g. ../shared/odoo/install-odoo-source GIT_DIR); \
or network access to github.com for a shallow clone."
      fi
    fi
  fi
  grep -q "version_info = (18, 0" "$candidate/odoo/release.py" 2>/dev/null \
    || die "$candidate is not an Odoo 18.0 tree."
  # The oldest 18.0 supported is the first with Odoo's own Twilio SMS (sms_twilio,
  # 18.0 builds from September 2025 on): the add-on sends signature codes with it.
  [ -f "$candidate/addons/sms_twilio/__manifest__.py" ] \
    || die "$candidate is an Odoo 18.0 older than the add-on supports: it has no addons/sms_twilio \
(Odoo's Twilio SMS, in 18.0 from September 2025 on). Update it to a current 18.0 (git pull, or \
../shared/odoo/install-odoo-source GIT_DIR), or point ODOO_SRC at one."
  ODOO_SRC=$(cd "$candidate" && pwd)
  export ODOO_SRC
  ODOO_BIN="$ODOO_SRC/odoo-bin"
  ADDONS_PATH="$ROOT,$ODOO_SRC/addons,$ODOO_SRC/odoo/addons"
}

# --- System packages (Chromium for tours, wkhtmltopdf for QWeb PDFs) -------
ensure_system_packages() {
  local missing=()
  command -v wkhtmltopdf >/dev/null 2>&1 || missing+=(wkhtmltopdf)
  if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
      && ! command -v google-chrome >/dev/null 2>&1; then
    missing+=(chromium)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing system packages: ${missing[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || die "apt-get install ${missing[*]} failed."
  else
    die "Missing system packages: ${missing[*]}. Install them (Debian: apt-get install ${missing[*]})."
  fi
}

# --- Virtual environment ---------------------------------------------------
ensure_venv() {
  local pybin stamp want
  pybin=$(command -v python3.11 || true)
  [ -n "$pybin" ] || die "python3.11 is required (Odoo 18's pins are set per Python version)."
  mkdir -p "$CACHE"
  [ -x "$PY" ] || { say "Creating virtual environment in $VENV"; "$pybin" -m venv "$VENV"; }
  stamp="$VENV/.pbd-stamp"
  want=$(cat "$ODOO_SRC/requirements.txt" "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" \
    "$ROOT/tools/lib.sh" | sha256sum | cut -c1-16)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  say "Installing Python requirements (Odoo's and the module's)..."
  # Odoo's pins, adapted for Python 3.11 as ../shared/odoo/README.md explains:
  # psycopg2 -> psycopg2-binary of the same series; python-ldap left out;
  # cbor2 5.4.2 built with setuptools<70.
  sed -e 's/^psycopg2==/psycopg2-binary==/' -e '/^python-ldap/d' \
    "$ODOO_SRC/requirements.txt" > "$CACHE/odoo-requirements.txt"
  echo 'setuptools<70' > "$CACHE/build-constraints.txt"
  "$PY" -m pip install -q --upgrade pip wheel >/dev/null
  PIP_CONSTRAINT="$CACHE/build-constraints.txt" PIP_BUILD_CONSTRAINT="$CACHE/build-constraints.txt" \
    "$PY" -m pip install -q \
    -r "$CACHE/odoo-requirements.txt" -r "$ROOT/requirements.txt" -r "$ROOT/requirements-dev.txt" \
    || die "pip install failed (see above)."
  # setuptools<70 is for building cbor2 only. At run time gevent loads its
  # plugins through pkg_resources, which below setuptools 70 cannot find
  # zope.interface under its normalised name: in prefork mode (--workers) Odoo's
  # websocket process would die at start, again and again.
  "$PY" -m pip install -q "setuptools>=70,<80" || die "pip install setuptools failed."
  echo "$want" > "$stamp"
}

# --- PostgreSQL ------------------------------------------------------------
pg_answers() { psql -X -Atqc 'select 1' postgres >/dev/null 2>&1; }

ensure_postgres() {
  command -v psql >/dev/null 2>&1 || die "psql not found: install PostgreSQL's client (Debian: postgresql-client)."
  if [ -n "${PGHOST:-}${PGPORT:-}${PGUSER:-}" ] && pg_answers; then return 0; fi
  if pg_answers; then return 0; fi
  if PGHOST=127.0.0.1 PGPORT=5432 pg_answers; then export PGHOST=127.0.0.1 PGPORT=5432; return 0; fi
  # No server answers: a private cluster under the project's cache.
  local bindir pgdir="$CACHE/pg" owner=""
  bindir=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1)")
  [ -x "$bindir/initdb" ] || die "No PostgreSQL server answers (PG* variables, local socket, 127.0.0.1:5432) \
and PostgreSQL's binaries are not installed. Start a server or install PostgreSQL (Debian: apt-get install postgresql)."
  [ "$(id -u)" = 0 ] && owner=postgres
  run_pg() { if [ -n "$owner" ]; then runuser -u "$owner" -- "$@"; else "$@"; fi; }
  mkdir -p "$pgdir/run"
  [ -n "$owner" ] && chown -R "$owner" "$pgdir"
  if [ ! -f "$pgdir/data/PG_VERSION" ]; then
    say "Creating a private PostgreSQL cluster in $pgdir"
    run_pg "$bindir/initdb" -D "$pgdir/data" -U pbd --auth=trust >/dev/null || die "initdb failed."
  fi
  export PGHOST="$pgdir/run" PGPORT=55432 PGUSER=pbd
  if ! pg_answers; then
    say "Starting the private PostgreSQL cluster"
    run_pg "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
      -o "-k $pgdir/run -p 55432 -c listen_addresses=''" start >/dev/null || die "pg_ctl start failed: $pgdir/server.log"
  fi
}

setup_all() {
  find_odoo
  ensure_system_packages
  ensure_venv
  ensure_postgres
  mkdir -p "$DATA_DIR"
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

odoo() {
  "$PY" "$ODOO_BIN" --addons-path="$ADDONS_PATH" --data-dir="$DATA_DIR" "$@"
}

drop_db() {
  "$PY" "$ODOO_BIN" db --data-dir="$DATA_DIR" drop "$1" >/dev/null 2>&1 || {
    dropdb --if-exists "$1" 2>/dev/null; rm -rf "$DATA_DIR/filestore/$1"; }
}
