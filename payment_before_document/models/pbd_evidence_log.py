import hashlib
import json

from odoo import api, fields, models
from odoo.exceptions import UserError

GENESIS = "0" * 64


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
        ],
        required=True,
        readonly=True,
    )
    timestamp = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    payload = fields.Text(readonly=True, help="The event's details, as canonical JSON.")
    prev_hash = fields.Char(readonly=True)
    row_hash = fields.Char(readonly=True, index=True)

    @staticmethod
    def _hash(prev_hash, request_id, event, timestamp, payload):
        material = "\x1f".join([prev_hash, str(request_id), event, timestamp, payload])
        return hashlib.sha256(material.encode()).hexdigest()

    @api.model
    def _append(self, request, event, **data):
        """Append one row; concurrent appends are serialised by a lock."""
        self.env.cr.execute("SELECT pg_advisory_xact_lock(hashtext('pbd_evidence_log'))")
        self.flush_model()
        self.env.cr.execute("SELECT row_hash FROM pbd_evidence_log ORDER BY id DESC LIMIT 1")
        row = self.env.cr.fetchone()
        prev_hash = row[0] if row else GENESIS
        timestamp = fields.Datetime.now()
        payload = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return (
            self.sudo()
            .with_context(pbd_evidence_append=True)
            .create(
                {
                    "request_id": request.id,
                    "event": event,
                    "timestamp": timestamp,
                    "payload": payload,
                    "prev_hash": prev_hash,
                    "row_hash": self._hash(
                        prev_hash, request.id, event, fields.Datetime.to_string(timestamp), payload
                    ),
                }
            )
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

    @api.model
    def _verify_chain(self):
        """Return (ok, first broken row or None, rows checked)."""
        self.flush_model()
        self.env.cr.execute(
            "SELECT id, request_id, event, timestamp, payload, prev_hash, row_hash"
            " FROM pbd_evidence_log ORDER BY id"
        )
        prev = GENESIS
        count = 0
        for row_id, request_id, event, timestamp, payload, prev_hash, row_hash in self.env.cr.fetchall():
            count += 1
            expected = self._hash(
                prev, request_id, event, fields.Datetime.to_string(timestamp), payload or ""
            )
            if prev_hash != prev or row_hash != expected:
                return False, self.browse(row_id), count
            prev = row_hash
        return True, None, count

    @api.model
    def action_verify_chain(self):
        ok, broken, count = self._verify_chain()
        requests = self.env["pbd.signature.request"].search([("state", "=", "signed")])
        bad_files = requests.filtered(lambda r: not r._check_signed_file())
        if ok and not bad_files:
            message, kind = (
                self.env._("Evidence log intact: %s row(s) checked, signed files match.", count),
                "success",
            )
        elif not ok:
            message = self.env._(
                "Evidence log broken at row %(id)s (%(event)s).", id=broken.id, event=broken.event
            )
            kind = "danger"
        else:
            message = self.env._("Signed files altered: %s.", ", ".join(bad_files.mapped("display_name")))
            kind = "danger"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "message": message, "sticky": kind != "success"},
        }
