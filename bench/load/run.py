"""``make load``: Odoo as firms run it, under load and faults; then the invariants.

1. Copies the bench database (and its filestore) to ``pbd_load``; upgrades the
   module there if its code changed since ``make bench`` built it; prepares
   50 portal clients, 200 pending Stripe payments (``setup_db``).
2. Starts server A in prefork mode (4 HTTP workers and a cron worker) and
   server B (threaded, with a cron thread) on another port, same database and
   filestore, both through ``server.py`` (Stripe's API answered by the
   stand-in of ``standin.py``, never the network).
3. Runs Locust headless (``locustfile.py``) for ``--seconds``, while faults
   are injected: an HTTP worker of A killed (SIGKILL) every 30 s, every
   database connection of B terminated once, B killed and restarted.
4. Lets the jobs finish, stops the servers, checks the invariants
   (``checks.py``) and prints one ``load:`` line. Drops the copy; leaves no
   process behind, on failure and Ctrl-C too.
"""

import argparse
import csv
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import psycopg2
from psycopg2 import sql

from bench import harness, oca_credit_control

from .standin import StripeStandIn

ROOT = harness.ROOT
BENCH_DB = os.environ.get("PBD_LOAD_SOURCE_DB", "pbd_bench")
LOAD_DB = "pbd_load"
FINGERPRINT_KEY = "payment_before_document.bench_fingerprint"
KILL_EVERY = 30
# How long after a fault a failed request still counts as cut by it: a
# terminated connection may wait in a server's pool until its next use.
FAULT_GRACE = {"worker SIGKILL": 5.0, "pg_terminate_backend": 30.0, "server restart": 5.0}


def log(message):
    print(f"[load] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg(dbname="postgres"):
    connection = psycopg2.connect(dbname=dbname)
    connection.autocommit = True
    return connection


def pg_query(query, params=(), dbname=LOAD_DB):
    connection = pg(dbname)
    try:
        with connection.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None
    finally:
        connection.close()


class Run:
    def __init__(self, args):
        self.args = args
        self.work = ROOT / ".cache" / "load"
        shutil.rmtree(self.work, ignore_errors=True)  # the logs of the last run only
        self.work.mkdir(parents=True, exist_ok=True)
        self.data_dir = args.data_dir
        self.groups = {}  # name -> Popen (each in its own process group)
        self.faults = []
        self.stand_in = None
        self.stopping = threading.Event()
        self.db_created = False

    # ------------------------------------------------------------------
    # Processes
    # ------------------------------------------------------------------
    def spawn(self, name, argv, env=None, log_name=None):
        out = open(self.work / f"{log_name or name}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.groups[name] = process
        return process

    def kill_group(self, name, sig=signal.SIGTERM, wait=20):
        process = self.groups.pop(name, None)
        if not process:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
        # The whole group: workers, the gevent process, their children.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def cleanup(self):
        self.stopping.set()
        for name in list(self.groups):
            self.kill_group(name, signal.SIGKILL if name == "locust" else signal.SIGTERM, wait=15)
        if self.stand_in:
            self.stand_in.stop()
            self.stand_in = None
        if self.db_created and not self.args.keep:
            self.drop_copy()

    # ------------------------------------------------------------------
    # The database copy
    # ------------------------------------------------------------------
    def drop_copy(self):
        connection = pg()
        try:
            with connection.cursor() as cr:
                cr.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid != pg_backend_pid()",
                    [LOAD_DB],
                )
                cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(LOAD_DB)))
        finally:
            connection.close()
        shutil.rmtree(pathlib.Path(self.data_dir) / "filestore" / LOAD_DB, ignore_errors=True)
        self.db_created = False

    def copy_bench(self):
        if not pg_query("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB], dbname="postgres"):
            raise SystemExit(f"load: no database {BENCH_DB}: run `make bench` first (it builds it).")
        self.drop_copy()
        for _attempt in range(10):
            try:
                pg_query(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(LOAD_DB), sql.Identifier(BENCH_DB)
                    ),
                    dbname="postgres",
                )
                break
            except psycopg2.errors.ObjectInUse:
                time.sleep(2)
        else:
            # Someone is using the bench database (a `make bench`): a dump
            # is a consistent copy that does not wait for them.
            log(f"{BENCH_DB} is in use: copying it with pg_dump instead")
            pg_query(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(LOAD_DB)), dbname="postgres")
            self.db_created = True
            dump = subprocess.Popen(["pg_dump", "-Fc", BENCH_DB], stdout=subprocess.PIPE)
            restore = subprocess.run(
                ["pg_restore", "--no-owner", "-d", LOAD_DB], stdin=dump.stdout, check=False
            )
            dump.stdout.close()
            if dump.wait() or restore.returncode:
                raise SystemExit(f"load: copying {BENCH_DB} failed")
        self.db_created = True
        source = pathlib.Path(self.data_dir) / "filestore" / BENCH_DB
        target = pathlib.Path(self.data_dir) / "filestore" / LOAD_DB
        # Odoo never rewrites a stored file (they are named by their hash):
        # hard links are a safe, instant copy.
        if (
            source.exists()
            and subprocess.run(["cp", "-al", str(source), str(target)], check=False).returncode
        ):
            shutil.copytree(source, target)
        stored = pg_query("SELECT value FROM ir_config_parameter WHERE key = %s", [FINGERPRINT_KEY])
        if not stored or stored[0][0] != harness.module_fingerprint():
            log("the module changed since the bench database was built: upgrading the copy")
            self.odoo_cli(["-u", harness.MODULE, "--stop-after-init"], "upgrade")

    def odoo_cli(self, extra, log_name):
        argv = [
            sys.executable,
            f"{self.args.odoo}/odoo-bin",
            f"--addons-path={self.addons_path}",
            f"--data-dir={self.data_dir}",
            "-d",
            LOAD_DB,
            f"--http-port={free_port()}",
            "--log-level=warn",
            *extra,
        ]
        with open(self.work / f"{log_name}.log", "ab") as out:
            subprocess.run(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=True)

    def python_step(self, module, *extra):
        argv = [
            sys.executable,
            "-m",
            module,
            "--odoo",
            self.args.odoo,
            "--addons-path",
            self.addons_path,
            "--data-dir",
            self.data_dir,
            "--db",
            LOAD_DB,
            *extra,
        ]
        result = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
        if result.returncode:
            raise SystemExit(f"load: {module} failed")
        return result.stdout

    # ------------------------------------------------------------------
    # Servers
    # ------------------------------------------------------------------
    def server_argv(self, port, extra):
        return [
            sys.executable,
            str(ROOT / "bench" / "load" / "server.py"),
            f"--addons-path={self.addons_path}",
            f"--data-dir={self.data_dir}",
            "-d",
            LOAD_DB,
            f"--db-filter=^{LOAD_DB}$",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            "--proxy-mode",
            "--log-level=warn",
            "--limit-time-real-cron=600",
            *extra,
        ]

    def start_server(self, name):
        env = dict(
            os.environ,
            PBD_LOAD_ODOO_SRC=self.args.odoo,
            PBD_LOAD_STRIPE_URL=self.stand_in.url,
            ODOO_PGAPPNAME=f"pbdload-{name}-{{pid}}",
        )
        if name == "a":
            extra = ["--workers=4", "--max-cron-threads=1", f"--gevent-port={free_port()}"]
        else:
            extra = ["--workers=0", "--max-cron-threads=1"]
        self.spawn(name, self.server_argv(self.ports[name], extra), env=env, log_name=f"server_{name}")

    def wait_healthy(self, name, timeout=180):
        url = f"http://127.0.0.1:{self.ports[name]}/web/health"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.groups.get(name)
            if process and process.poll() is not None:
                raise SystemExit(f"load: server {name} exited; see {self.work}/server_{name}.log")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise SystemExit(f"load: server {name} did not answer on {url}")

    def warm_up(self, name):
        """Load the registry in every worker before the clock starts."""
        for _ in range(8):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.ports[name]}/web/login", timeout=120).read()
            except OSError:
                pass

    # ------------------------------------------------------------------
    # Faults
    # ------------------------------------------------------------------
    @staticmethod
    def children(pid):
        found = []
        for entry in pathlib.Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.append((int(entry.name), cmdline))
        return found

    def http_workers(self):
        """Server A's HTTP workers: its children but the cron worker and the gevent process."""
        master = self.groups["a"].pid
        cron = {
            int(app.rsplit("-", 1)[1])
            for (app,) in pg_query(
                "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'pbdload-a-%%'"
                " AND query ILIKE 'LISTEN cron_trigger%%'"
            )
        }
        return [
            pid
            for pid, cmdline in self.children(master)
            if pid not in cron and b"\x00gevent\x00" not in cmdline
        ]

    def fault(self, kind, server, action):
        start = time.time()
        detail = action()
        self.faults.append(
            {"kind": kind, "server": server, "start": start, "end": time.time(), "detail": detail}
        )
        log(f"fault: {kind} ({detail})")

    def kill_worker(self):
        workers = self.http_workers()
        if not workers:
            return "no worker"
        pid = workers[len(self.faults) % len(workers)]
        os.kill(pid, signal.SIGKILL)
        return f"pid {pid}"

    def terminate_connections(self):
        rows = pg_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name LIKE 'pbdload-b-%%'"
        )
        return f"{len(rows)} connections"

    def restart_b(self):
        self.kill_group("b", signal.SIGKILL, wait=5)
        time.sleep(2)
        self.start_server("b")
        self.wait_healthy("b")
        return "killed and restarted"

    def inject_faults(self, seconds):
        start = time.monotonic()
        plan = [
            (t, "worker SIGKILL", 0, self.kill_worker) for t in range(KILL_EVERY, seconds - 5, KILL_EVERY)
        ]
        plan += [(45, "pg_terminate_backend", 1, self.terminate_connections)]
        plan += [(100, "server restart", 1, self.restart_b)]
        for at, kind, server, action in sorted(plan, key=lambda item: item[0]):
            if self.stopping.wait(max(0, at - (time.monotonic() - start))):
                return
            try:
                self.fault(kind, server, action)
            except Exception as exc:  # noqa: BLE001 - a failed fault is reported, the run goes on
                log(f"fault {kind} failed: {exc}")

    # ------------------------------------------------------------------
    # The run
    # ------------------------------------------------------------------
    def drain(self, timeout=200):
        """Let the cron workers finish what the run started (post-processing, emails)."""
        started = self.manifest["started_at"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            (waiting,) = pg_query(
                "SELECT (SELECT count(*) FROM payment_transaction"
                "        WHERE state = 'done' AND NOT is_post_processed"
                "        AND (create_date >= %s OR id = ANY(%s)))"
                " + (SELECT count(*) FROM pbd_deliverable d JOIN account_move m ON m.id = d.move_id"
                "    WHERE d.state != 'locked' AND d.release_notified IS NOT TRUE"
                "    AND d.release_notice_failed IS NOT TRUE"
                "    AND m.state = 'posted' AND m.partner_id = ANY(%s))",
                [
                    started,
                    [tx["tx_id"] for tx in self.manifest["stripe"]],
                    [client["partner_id"] for client in self.manifest["clients"]],
                ],
            )[0]
            if not waiting:
                return 0
            time.sleep(3)
        return waiting

    def execute(self):
        args = self.args
        oca_path = oca_credit_control.ensure_addon(ROOT / ".cache")
        self.addons_path = f"{oca_path},{args.addons_path}"
        t0 = time.monotonic()
        log(f"copying {BENCH_DB} to {LOAD_DB}")
        self.copy_bench()
        log("preparing clients, invoices and Stripe payments")
        manifest_path = self.work / "manifest.json"
        self.python_step(
            "bench.load.setup_db", "--out", str(manifest_path), "--run-seconds", str(args.seconds)
        )
        self.manifest = json.loads(manifest_path.read_text())
        self.manifest["db"] = LOAD_DB
        manifest_path.write_text(json.dumps(self.manifest))
        self.stand_in = StripeStandIn(self.manifest["stripe"]).start()
        self.ports = {"a": free_port(), "b": free_port()}
        log(f"starting server A (:{self.ports['a']}, 4 workers + cron) and B (:{self.ports['b']})")
        self.start_server("a")
        self.start_server("b")
        self.wait_healthy("a")
        self.wait_healthy("b")
        self.warm_up("a")
        self.warm_up("b")
        counters_path = self.work / "counters.json"
        counters_path.unlink(missing_ok=True)
        csv_prefix = ROOT / ".cache" / "load_locust"
        env = dict(
            os.environ,
            PBD_LOAD_MANIFEST=str(manifest_path),
            PBD_LOAD_SERVERS=",".join(f"http://127.0.0.1:{self.ports[n]}" for n in ("a", "b")),
            PBD_LOAD_STANDIN=self.stand_in.url,
            PBD_LOAD_COUNTERS=str(counters_path),
            PBD_LOAD_WEBHOOK_SECONDS=str(max(30, args.seconds - 40)),
        )
        locust = ROOT / ".cache" / "venv-load" / "bin" / "locust"
        log(f"load: {args.users} portal clients + Stripe webhooks for {args.seconds} s, faults injected")
        run_start = time.time()
        self.spawn(
            "locust",
            [
                str(locust),
                "-f",
                str(ROOT / "bench" / "load" / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users + 1),
                "-r",
                "2",
                "-t",
                f"{args.seconds}s",
                "--stop-timeout",
                "20",
                "--csv",
                str(csv_prefix),
                "--host",
                f"http://127.0.0.1:{self.ports['a']}",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=env,
        )
        faults = threading.Thread(target=self.inject_faults, args=(args.seconds,), daemon=True)
        faults.start()
        self.groups["locust"].wait(timeout=args.seconds + 120)
        run_seconds = time.time() - run_start
        self.stopping.set()
        faults.join(timeout=200)
        self.groups.pop("locust", None)
        if "b" not in self.groups:  # the restart did not finish
            self.start_server("b")
        log("load over: letting the jobs finish")
        waiting = self.drain()
        log("stopping the servers")
        for name in ("a", "b"):
            self.kill_group(name, signal.SIGTERM, wait=20)
        self.stand_in.stop()
        self.stand_in = None
        counters = json.loads(counters_path.read_text())
        result = json.loads(
            self.python_step(
                "bench.load.checks", "--manifest", str(manifest_path), "--counters", str(counters_path)
            )
            .strip()
            .splitlines()[-1]
        )
        if waiting:
            result["violations"].append(f"{waiting} payment(s) or document(s) still waiting for the jobs")
        return not self.report(result, counters, csv_prefix, run_seconds, time.monotonic() - t0)

    def classify_failures(self, failures):
        """5xx and cut connections: those a fault explains, and the others."""
        cut, other = [], []
        for failure in failures:
            explained = any(
                failure["server"] == fault["server"]
                and failure["end"] >= fault["start"] - 1
                and failure["start"] <= fault["end"] + FAULT_GRACE[fault["kind"]]
                for fault in self.faults
            )
            (cut if explained else other).append(failure)
        return cut, other

    def report(self, result, counters, csv_prefix, run_seconds, total_seconds):
        with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as handle:
            stats = {row["Name"]: row for row in csv.DictReader(handle)}
        failures = counters["failures"]
        cut, other = self.classify_failures(failures)
        violations = list(result["violations"])
        for failure in other:
            violations.append(
                f"request failed outside any fault: {failure['name']} {failure['status']} {failure['error']}"
            )
        aggregated = stats.get("Aggregated", {})
        pages = [
            ("documents", "/my/documents"),
            ("invoice", "invoice page"),
            ("preview", "preview"),
            ("download", "download"),
            ("odoo_invoices", "/my/invoices (Odoo)"),
            ("webhook", "stripe webhook"),
        ]
        figures = [f"rps={float(aggregated.get('Requests/s') or 0):.1f}"]
        for label, name in pages:
            row = stats.get(name)
            if row:
                figures.append(f"{label}_p50_ms={row['50%']} {label}_p95_ms={row['95%']}")
        failed_requests = int(aggregated.get("Failure Count") or 0)
        print(
            "load: "
            + " ".join(figures)
            + f" requests={aggregated.get('Request Count')} failures={failed_requests}"
            f" failures_cut_by_faults={len(cut)} faults={len(self.faults)}"
            f" confirmed={result['confirmed']} booked_once={result['booked_once']}"
            f" invoices_paid={result['invoices_paid']} released_emailed={result['released_and_emailed']}"
            f" stripe_done={result['stripe_done']}/{len(self.manifest['stripe'])}"
            f" stripe_out_of_order={result['stripe_out_of_order']} job_checks={result['stripe_job_checks']}"
            f" downloads={counters['downloads_ok']} download_rows={result['download_rows']}"
            f" locked_refused={counters['locked_refused']} locked_served={counters['locked_served']}"
            f" evidence_rows={result['evidence_rows']} run_s={run_seconds:.0f} total_s={total_seconds:.0f}"
            f" invariant_violations={len(violations)}",
            flush=True,
        )
        (ROOT / ".cache" / "load_result.json").write_text(
            json.dumps({"result": result, "faults": self.faults, "cut": cut, "other": other}, indent=1)
        )
        for violation in violations[:30]:
            log(f"violation: {violation}")
        return len(violations)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--odoo", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seconds", type=int, default=150)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the pbd_load database for a look")
    args = parser.parse_args()
    run = Run(args)

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(signum)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    ok = False
    try:
        ok = run.execute()
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
    finally:
        run.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
