from datetime import timedelta
import hashlib
import hmac
import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, config

GENESIS = "0" * 64
BATCH = 2000
# Refusals logged per request and per IP address in REFUSAL_WINDOW: more are
# answered but not written (nobody floods the log).
REFUSALS_PER_REQUEST = 5
REFUSALS_PER_IP = 20
REFUSAL_WINDOW = timedelta(minutes=15)
REFUSAL_EVENTS = ("send_refused", "verify_refused")
FULL_SEQUENCE = ("requested", "code_sent", "code_verified", "signed")


class PbdEvidenceLog(models.Model):
    """Append-only, hash-chained record of what happened in each signature.

    Each row stores the SHA-256 of its own content chained to the previous
    row's hash: altering or removing any row breaks every hash after it,
    which :meth:`action_verify_chain` reports. Rows cannot be written or
    deleted through the ORM, by anyone.
    """

    _name = "pbd.evidence.log"
    _description = "Signature Evidence Log"
    _order = "id"

    request_id = fields.Many2one(
        "pbd.signature.request", required=True, readonly=True, index=True, ondelete="restrict"
    )
    event = fields.Selection(
        [
            ("requested", "Signature requested"),
            ("code_sent", "Code sent"),
            ("send_refused", "Code not sent"),
            ("code_wrong", "Wrong code"),
            ("verify_refused", "Code refused"),
            ("code_verified", "Code verified"),
            ("signed", "Signed"),
            ("phone_on_file", "Mobile number on file"),
            ("phone_changed", "Mobile number changed"),
            ("phone_asked", "Client asked to update the number"),
            ("locked_out", "Locked: too many wrong codes"),
            ("reopened", "Reopened"),
            ("archived", "Archived for a new version"),
        ],
        required=True,
        readonly=True,
    )
    timestamp = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    payload = fields.Text(readonly=True, help="The event's details, as canonical JSON.")
    prev_hash = fields.Char(readonly=True)
    row_hash = fields.Char(readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    hash_kind = fields.Selection(
        [("sha256", "SHA-256"), ("hmac", "HMAC-SHA-256")],
        readonly=True,
        help="HMAC when the server's configuration file holds a pbd_evidence_key.",
    )
    sent_to = fields.Char(
        readonly=True, index=True, groups="base.group_system", help="The number a code was sent to (E.164)."
    )
    ip_address = fields.Char(readonly=True, index=True)

    @staticmethod
    def _key():
        key = config.get("pbd_evidence_key")
        return key.encode() if key else None

    @classmethod
    def _hash(cls, prev_hash, request_id, event, timestamp, payload, kind="sha256"):
        material = "\x1f".join([prev_hash, str(request_id), event, timestamp, payload]).encode()
        if kind == "hmac":
            key = cls._key()
            if not key:
                return None  # cannot be checked on this server
            return hmac.new(key, material, hashlib.sha256).hexdigest()
        return hashlib.sha256(material).hexdigest()

    @api.model
    def _lock_head(self, company):
        """Lock the company's chain head and return (id, row_hash).

        Under REPEATABLE READ, if another transaction moved the head since
        this one's snapshot, this raises a serialization failure (retried).
        """
        cr = self.env.cr
        query = SQL("SELECT id, row_hash FROM pbd_evidence_head WHERE company_id = %s FOR UPDATE", company.id)
        cr.execute(query)
        row = cr.fetchone()
        if not row:
            cr.execute(
                SQL(
                    "INSERT INTO pbd_evidence_head (company_id, row_hash, create_date, write_date,"
                    " create_uid, write_uid) VALUES (%s, %s, now() at time zone 'UTC',"
                    " now() at time zone 'UTC', %s, %s) ON CONFLICT (company_id) DO NOTHING",
                    company.id,
                    GENESIS,
                    self.env.uid,
                    self.env.uid,
                )
            )
            cr.execute(query)
            row = cr.fetchone()
        return row[0], row[1] or GENESIS

    @api.model
    def _append(self, request, event, sent_to=None, ip_address=None, **data):
        """Append one row to the request's company chain, under the head's lock."""
        company = request.sudo().company_id or self.env.company
        head_id, prev_hash = self._lock_head(company)
        timestamp = fields.Datetime.now()
        payload = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
        kind = "hmac" if self._key() else "sha256"
        row = (
            self.sudo()
            .with_context(pbd_evidence_append=True)
            .create(
                {
                    "request_id": request.id,
                    "company_id": company.id,
                    "event": event,
                    "timestamp": timestamp,
                    "payload": payload,
                    "prev_hash": prev_hash,
                    "hash_kind": kind,
                    "sent_to": sent_to,
                    "ip_address": ip_address,
                    "row_hash": self._hash(
                        prev_hash, request.id, event, fields.Datetime.to_string(timestamp), payload, kind
                    ),
                }
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE pbd_evidence_head SET row_id = %s, row_hash = %s,"
                " write_date = now() at time zone 'UTC'"
                " WHERE id = %s",
                row.id,
                row.row_hash,
                head_id,
            )
        )
        return row

    @api.model
    def _refusals_to_log(self, request, ip_address):
        """May one more refusal be written (per request and per IP address)?"""
        since = fields.Datetime.now() - REFUSAL_WINDOW
        log = self.sudo()
        if (
            log.search_count(
                [("request_id", "=", request.id), ("event", "in", REFUSAL_EVENTS), ("timestamp", ">=", since)]
            )
            >= REFUSALS_PER_REQUEST
        ):
            return False
        return (
            not ip_address
            or log.search_count(
                [("ip_address", "=", ip_address), ("event", "in", REFUSAL_EVENTS), ("timestamp", ">=", since)]
            )
            < REFUSALS_PER_IP
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get("pbd_evidence_append"):
            raise UserError(self.env._("Evidence is only recorded by the signature process."))
        return super().create(vals_list)

    def write(self, vals):  # pylint: disable=method-required-super
        # Append-only: no write reaches the database, whoever asks (superuser included).
        raise UserError(self.env._("The evidence log cannot be modified."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The evidence log cannot be deleted."))

    # ------------------------------------------------------------------
    # Verification: one company at a time, rows read in batches
    # ------------------------------------------------------------------
    def _rows(self, company_id):
        """The rows of one chain (``None``: rows from before the per-company chains), by batches."""
        cr = self.env.cr
        last = 0
        where = SQL("company_id = %s", company_id) if company_id else SQL("company_id IS NULL")
        while True:
            cr.execute(
                SQL(
                    "SELECT id, request_id, event, timestamp, payload, prev_hash, row_hash, hash_kind"
                    " FROM pbd_evidence_log WHERE %s AND id > %s ORDER BY id LIMIT %s",
                    where,
                    last,
                    BATCH,
                )
            )
            rows = cr.fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def _verify_rows(self, company_id, sequences, hashes):
        """Check one chain; fill ``sequences`` (request -> events) and ``hashes`` (request -> rows)."""
        prev = GENESIS
        count = 0
        for row_id, request_id, event, timestamp, payload, prev_hash, row_hash, kind in self._rows(
            company_id
        ):
            count += 1
            expected = self._hash(
                prev, request_id, event, fields.Datetime.to_string(timestamp), payload or "", kind or "sha256"
            )
            if prev_hash != prev or row_hash != expected:
                return False, row_id, count, prev
            sequences.setdefault(request_id, []).append(event)
            hashes.setdefault(request_id, {})[row_hash] = (event, payload)
            prev = row_hash
        return True, None, count, prev

    def _verify_company(self, company, legacy_sequences=None, legacy_hashes=None):
        """Return (problems, first broken row id or None, rows checked) for one company.

        ``legacy_*``: what the rows from before the per-company chains say about each request.
        """
        self.flush_model()
        self.env["pbd.signature.request"].flush_model()
        problems = []
        sequences = {key: list(value) for key, value in (legacy_sequences or {}).items()}
        hashes = {key: dict(value) for key, value in (legacy_hashes or {}).items()}
        ok, broken, count, last_hash = self._verify_rows(company.id, sequences, hashes)
        if not ok:
            problems.append(self.env._("the chain is broken at row %s", broken))
        else:
            self.env.cr.execute(
                SQL("SELECT row_hash FROM pbd_evidence_head WHERE company_id = %s", company.id)
            )
            head = self.env.cr.fetchone()
            if (head[0] if head else GENESIS) not in (last_hash, None) and count:
                problems.append(self.env._("the chain's last row is not its recorded head"))
        requests = self.env["pbd.signature.request"].sudo().with_context(active_test=False)
        last_id = 0
        while True:
            batch = requests.search(
                [("company_id", "=", company.id), ("state", "=", "signed"), ("id", ">", last_id)],
                order="id",
                limit=200,
            )
            if not batch:
                break
            last_id = batch[-1].id
            for request in batch:
                problems += request._pbd_check_evidence(
                    sequences.get(request.id, []), hashes.get(request.id, {})
                )
            batch.invalidate_recordset()
        return problems, broken, count

    @api.model
    def _verify_chain(self):
        """Return (ok, first broken row or None, rows checked), every company's chain and the old rows."""
        self.flush_model()
        legacy_sequences, legacy_hashes = {}, {}
        ok, broken, count, _last = self._verify_rows(None, legacy_sequences, legacy_hashes)
        problems = [] if ok else ["legacy"]
        for company in self._pbd_chain_companies():
            company_problems, company_broken, company_count = self._verify_company(
                company, legacy_sequences, legacy_hashes
            )
            problems += company_problems
            broken = broken or company_broken
            count += company_count
        return not problems, self.browse(broken) if broken else None, count

    @api.model
    def _pbd_chain_companies(self):
        """The companies that have a chain: rows, or a head (whose rows may all be gone)."""
        rows = self.sudo()._read_group([("company_id", "!=", False)], ["company_id"])
        heads = self.env["pbd.evidence.head"].sudo()._read_group([], ["company_id"])
        companies = self.env["res.company"].sudo()
        for (company,) in rows + heads:
            companies |= company
        return companies.sorted("id")

    @api.model
    def _verify_report(self):
        problems = []
        count = 0
        legacy_sequences, legacy_hashes = {}, {}
        ok, broken, legacy_count, _last = self._verify_rows(None, legacy_sequences, legacy_hashes)
        count += legacy_count
        if not ok:
            problems.append(self.env._("rows before the per-company chains: broken at row %s", broken))
        for company in self._pbd_chain_companies():
            company_problems, _broken, company_count = self._verify_company(
                company, legacy_sequences, legacy_hashes
            )
            count += company_count
            problems += [f"{company.name}: {problem}" for problem in company_problems]
        return problems, count

    @api.model
    def action_verify_chain(self):
        problems, count = self._verify_report()
        if not problems:
            message, kind = (
                self.env._("Evidence log intact: %s row(s) checked, signed files match.", count),
                "success",
            )
        else:
            message, kind = self.env._("Evidence log broken: %s", "; ".join(problems[:20])), "danger"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "message": message, "sticky": kind != "success"},
        }
