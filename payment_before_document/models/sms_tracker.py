from odoo import models


class SmsTracker(models.Model):
    """Follow-up SMS have a tracker too: their history row follows what the provider reports."""

    _inherit = "sms.tracker"

    def _update_sms_notifications(self, notification_status, failure_type=False, failure_reason=False):
        result = super()._update_sms_notifications(
            notification_status, failure_type=failure_type, failure_reason=failure_reason
        )
        self.env["pbd.followup.history"]._pbd_sync_sms_state(
            self, notification_status, failure_type, failure_reason
        )
        return result
