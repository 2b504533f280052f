import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)


class PbdAccessAnnounce(models.TransientModel):
    """Tell existing clients that documents now come after payment."""

    _name = "pbd.access.announce"
    _description = "Announce Payment Before Access"

    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        required=True,
        default=lambda self: self._default_partner_ids(),
    )
    template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        required=True,
        domain=[("model", "=", "res.partner")],
        default=lambda self: self.env.ref(
            "payment_before_document.mail_template_announce_payment_before_access", raise_if_not_found=False
        ),
    )
    offer_transition = fields.Boolean(
        string="Offer a transition period",
        help="The selected customers keep access before payment until the end date.",
    )
    transition_until = fields.Date(string="Transition until")
    transition_reason = fields.Char(
        string="Reason", default=lambda self: self.env._("Transition announced to a long-standing client")
    )
    grant_portal_access = fields.Boolean(
        string="Give them portal access",
        groups="base.group_partner_manager",
        help="Customers without a portal login get one, with Odoo's invitation email (as the "
        "Grant portal access action does), so they can open their documents.",
    )
    missing_email_count = fields.Integer(compute="_compute_missing_email_count")

    @api.model
    def _default_partner_ids(self):
        if self.env.context.get("active_model") == "res.partner":
            return self.env["res.partner"].browse(self.env.context.get("active_ids", [])).exists()
        return self.env["res.partner"]

    @api.depends("partner_ids")
    def _compute_missing_email_count(self):
        for wizard in self:
            wizard.missing_email_count = len(wizard.partner_ids.filtered(lambda p: not p.email))

    @api.constrains("offer_transition", "transition_until")
    def _check_transition_until(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            if wizard.offer_transition and (not wizard.transition_until or wizard.transition_until < today):
                raise ValidationError(self.env._("Choose an end date for the transition, today or later."))

    def action_send(self):
        self.ensure_one()
        partners = self.partner_ids.commercial_partner_id
        if self.offer_transition:
            partners.write(
                {
                    "pbd_access_policy": "trusted",
                    "pbd_trusted_until": self.transition_until,
                    "pbd_trust_reason": self.transition_reason,
                }
            )
        sent = partners.filtered("email")
        # From the firm, not from whoever clicks Send.
        company = self.env.company
        email_from = company.email_formatted or self.env.user.email_formatted
        for partner in sent:
            partner.message_post_with_source(
                self.template_id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=partner.ids,
                email_from=email_from,
            )
        if self.env.user.has_group("base.group_partner_manager") and self.grant_portal_access:
            self._pbd_grant_portal_access(self.partner_ids.filtered("email"))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if len(sent) == len(partners) else "warning",
                "message": self.env._(
                    "Announcement sent to %(sent)s customer(s); %(skipped)s without email address.",
                    sent=len(sent),
                    skipped=len(partners) - len(sent),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _pbd_grant_portal_access(self, partners):
        """Give these customers a portal login, with Odoo's own portal wizard (invitation included).

        Customers who already have one (portal or internal) are left as they
        are; one whose email cannot become a login is skipped and logged.
        """
        portal_wizard = self.env["portal.wizard"].create({"partner_ids": [fields.Command.set(partners.ids)]})
        granted = self.env["res.partner"]
        for wizard_user in portal_wizard.user_ids.filtered(
            lambda line: line.partner_id in partners and not line.is_portal and not line.is_internal
        ):
            try:
                with self.env.cr.savepoint():
                    wizard_user.action_grant_access()
                granted |= wizard_user.partner_id
            except UserError as error:
                _logger.info("No portal access for partner %s: %s", wizard_user.partner_id.id, error)
        return granted
