from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class PbdFollowupCallOutcome(models.TransientModel):
    """What came of a follow-up phone call, fed back into the follow-up."""

    _name = "pbd.followup.call.outcome"
    _description = "Follow-up Call Outcome"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    outcome = fields.Selection(
        [
            ("promise", "Promise to pay"),
            ("dispute", "Dispute"),
            ("no_answer", "No answer"),
        ],
        required=True,
        default="promise",
    )
    promise_date = fields.Date(string="Promised payment date")
    move_ids = fields.Many2many(
        "account.move",
        string="Disputed invoices",
        domain=lambda self: self._domain_move_ids(),
    )
    note = fields.Text()

    @api.model
    def _domain_move_ids(self):
        """The customer's open invoices under follow-up (account.move's one definition)."""
        open_domain = self.env["account.move"]._pbd_open_invoice_domain(False)
        return f"[('commercial_partner_id', '=', partner_id)] + {open_domain!r}"

    @api.onchange("outcome", "partner_id")
    def _onchange_outcome(self):
        if self.outcome == "dispute" and not self.move_ids and self.partner_id:
            Move = self.env["account.move"]
            self.move_ids = Move.search(
                Move._pbd_open_invoice_domain()
                + [("commercial_partner_id", "=", self.partner_id.commercial_partner_id.id)]
            )

    def action_confirm(self):
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        today = fields.Date.context_today(self)
        labels = dict(self._fields["outcome"]._description_selection(self.env))
        if self.outcome == "promise":
            if not self.promise_date or self.promise_date < today:
                raise UserError(self.env._("Give the date the customer promised to pay, today or later."))
            partner.pbd_promise_date = self.promise_date
            result = self.env._("Promise to pay by %s", format_date(self.env, self.promise_date))
        elif self.outcome == "dispute":
            if not self.move_ids:
                raise UserError(self.env._("Select the disputed invoices."))
            self.move_ids._pbd_bookkeeping_env().write(
                {"pbd_dispute": True, "pbd_dispute_note": self.note or labels["dispute"]}
            )
            result = self.env._("Dispute: %s", ", ".join(self.move_ids.mapped("name")))
        else:
            result = labels["no_answer"]
        if self.note:
            result = f"{result} – {self.note}"
        # The last call of this customer gets its result; its activity is done.
        history = self.env["pbd.followup.history"].search(
            [("partner_id", "=", partner.id), ("channel", "=", "call")], limit=1
        )
        if history:
            history.write({"result": result, "state": "done"})  # planned until its outcome is logged
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.env.ref("mail.mail_activity_data_call").id),
            ]
        )
        activities.action_feedback(feedback=result)
        partner.message_post(body=self.env._("Follow-up call: %s", result), subtype_xmlid="mail.mt_note")
        return {"type": "ir.actions.act_window_close"}
