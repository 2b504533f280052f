from odoo import models


class IrCron(models.Model):
    _inherit = "ir.cron"

    def _pbd_trigger_once(self):
        """Wake this job right after the commit, once per database transaction.

        A payment run over hundreds of records asks many times; one trigger
        row is enough (``ir.cron._trigger`` creates one per call). The mark is
        kept with the post-commit hooks, which flushes and savepoints leave
        alone and a commit or rollback clears.
        """
        self.ensure_one()
        key = f"payment_before_document.triggered.{self.id}"
        data = self.env.cr.postcommit.data
        if not data.get(key):
            data[key] = True
            self._trigger()
