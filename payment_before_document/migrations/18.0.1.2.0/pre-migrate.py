"""18.0.1.2.0 (pre): the XML ids renamed to the OCA pattern keep their records.

Odoo deletes, at the end of an upgrade, the records whose XML ids the new
version no longer declares: a view another view inherits (the firm's own
customisation), an action a favourite filter or a dashboard points to would
go with them. Renamed before the data files load, the records are kept and
updated in place.
"""

from odoo.tools import SQL

MODULE = "payment_before_document"
RENAMED = {
    "payment_provider_form": "payment_provider_view_form",
    "view_move_form_inherit_payment_before_document": "account_move_view_form",
    "action_account_move_deliverable_download": "account_move_deliverable_download_action",
    "action_pbd_signature_request": "pbd_signature_request_action",
    "res_partner_access_announce_view_form": "pbd_access_announce_view_form",
    "action_res_partner_access_announce": "pbd_access_announce_action",
    "action_account_move_deliverable": "account_move_deliverable_action",
}


def migrate(cr, version):
    for old, new in RENAMED.items():
        cr.execute(
            SQL(
                "UPDATE ir_model_data SET name = %s WHERE module = %s AND name = %s"
                " AND NOT EXISTS (SELECT 1 FROM ir_model_data WHERE module = %s AND name = %s)",
                new,
                MODULE,
                old,
                MODULE,
                new,
            )
        )
    # The job's code is kept by an upgrade (noupdate): it follows the method's new name.
    cr.execute(
        SQL(
            "UPDATE ir_act_server AS action SET code = replace(action.code, %s, %s)"
            " FROM ir_cron AS cron JOIN ir_model_data AS data"
            " ON data.model = 'ir.cron' AND data.res_id = cron.id AND data.module = %s AND data.name = %s"
            " WHERE action.id = cron.ir_actions_server_id",
            "._cron_end_trust_periods(",
            "._cron_pbd_end_trust_periods(",
            MODULE,
            "ir_cron_end_trust_periods",
        )
    )
