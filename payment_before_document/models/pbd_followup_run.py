import base64
from collections import defaultdict
from dataclasses import dataclass, field
import logging

from psycopg2 import errors as pgerrors

from odoo import Command, api, fields, models
from odoo.tools import format_date, split_every

_logger = logging.getLogger(__name__)

BATCH = 200  # clients per batch: memory stays flat over large runs
# A row another transaction changed since the run began, or holds: that client waits for the next run.
CONCURRENCY_ERRORS = (pgerrors.SerializationFailure, pgerrors.LockNotAvailable, pgerrors.DeadlockDetected)
FRESH_MOVE_FIELDS = [
    "state",
    "payment_state",
    "amount_residual",
    "invoice_date_due",
    "pbd_followup_level_id",
    "pbd_followup_date",
    "pbd_followup_next_date",
    "pbd_dispute",
]
FRESH_PARTNER_FIELDS = ["pbd_followup_excluded", "pbd_promise_date"]


@dataclass
class FollowupAction:
    """What one client needs today: a level, the invoices that trigger it."""

    partner: object
    level: object
    trigger_moves: object  # invoices whose level this communication sets
    applied: dict = field(default_factory=dict)  # move id -> level reached


class PbdFollowupRun(models.Model):
    """One execution of the follow-up: by the daily job or by a person.

    It finds what each client needs on its date, reads every invoice again
    right before acting (a client who paid an hour ago gets nothing), sends
    one communication per client and level through each of the level's
    channels, and records everything in the history.
    """

    _name = "pbd.followup.run"
    _description = "Follow-up Run"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    date = fields.Date(required=True, default=fields.Date.context_today, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, readonly=True
    )
    mode = fields.Selection(
        [("auto", "Unattended"), ("manual", "After review")], required=True, default="manual", readonly=True
    )
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    history_ids = fields.One2many("pbd.followup.history", "run_id", readonly=True)
    partner_count = fields.Integer(readonly=True)
    error_count = fields.Integer(
        string="Failed",
        compute="_compute_error_count",
        help="Rows of the run that failed or bounced, as of now.",
    )
    letter_id = fields.Many2one("ir.attachment", string="Letters to print", readonly=True)

    @api.depends("date", "mode")
    @api.depends_context("lang")
    def _compute_name(self):
        modes = dict(self._fields["mode"]._description_selection(self.env))
        for run in self:
            day = format_date(self.env, run.date, date_format="long") if run.date else ""
            run.name = f"{day} – {modes.get(run.mode, '')}"

    def _compute_error_count(self):
        counts = dict(
            self.env["pbd.followup.history"]._read_group(
                [("run_id", "in", self.ids), ("state", "in", ("error", "bounced"))], ["run_id"], ["__count"]
            )
        )
        for run in self:
            run.error_count = counts.get(run, 0)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _cron_run(self):
        """Daily: execute the unattended levels for every company."""
        runs = self.browse()
        levels_by_company = self.env["pbd.followup.level"]._read_group([], ["company_id"])
        today = fields.Date.context_today(self)
        for (company,) in levels_by_company:
            actions = [
                action
                for action in self.with_company(company)._compute_actions(company, today)
                if action.level.auto_execute
            ]
            if not actions:
                continue  # nothing to send: no empty run
            run = self.with_company(company).create({"company_id": company.id, "mode": "auto", "date": today})
            run._execute(actions=actions)
            runs |= run
        return runs

    @api.model
    def _run_for_partners(self, partners, on_date=None):
        """Execute what these clients need now (review list, "Send now")."""
        runs = self.browse()
        by_company = defaultdict(lambda: self.env["res.partner"])
        for partner in partners.commercial_partner_id:
            by_company[partner.company_id or self.env.company] |= partner
        on_date = on_date or fields.Date.context_today(self)
        for company, company_partners in by_company.items():
            actions = self.with_company(company)._compute_actions(company, on_date, company_partners)
            if not actions:
                continue  # nothing to send is not a run
            run = self.with_company(company).create(
                {"company_id": company.id, "mode": "manual", "date": on_date}
            )
            run._execute(actions=actions)
            runs |= run
        return runs

    # ------------------------------------------------------------------
    # What is needed
    # ------------------------------------------------------------------
    @api.model
    def _compute_actions(self, company, on_date, partners=None):
        """The actions due on ``on_date``, each invoice read fresh from the database.

        What is due is the rule of ``account.move._pbd_followup_due`` (the one
        behind "Action needed"); the highest level of a client's invoices is
        the one its communication sends.
        """
        # The confirmation and "Send" may come long after the invoices were
        # read in this transaction (a payment reconciled meanwhile by another
        # worker): the fields the decision reads are read again.
        self.env["account.move"].invalidate_model(FRESH_MOVE_FIELDS)
        self.env["res.partner"].invalidate_model(FRESH_PARTNER_FIELDS)
        Move = self.env["account.move"]
        Level = self.env["pbd.followup.level"]
        due = Move._pbd_followup_due(on_date, [company.id], partners)
        return [
            FollowupAction(
                partner, Level.concat(*applied.values())._pbd_highest(), Move.browse(list(applied)), applied
            )
            for partner, applied in due.items()
        ]

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------
    def _staff_lang(self):
        """The language of what the run writes for the firm (history, activities, file names).

        The language of the person who sent the follow-up, for a run after
        review; the company's for the unattended daily run.
        """
        self.ensure_one()
        person = self.env.context.get("lang") if self.mode == "manual" else None
        return person or self.company_id.partner_id.lang or self.env.lang or "en_US"

    def _file_date(self):
        """The run's date for a file name, as the firm writes dates but without "/" ("30-11-2026")."""
        self.ensure_one()
        return format_date(self.env, self.date).replace("/", "-")

    def _execute(self, partners=None, auto_only=False, actions=None):
        self.ensure_one()
        # Written for the firm in its language; what the client gets is in the client's.
        self = self.with_context(lang=self._staff_lang())  # noqa: PLW0642
        if actions is None:
            actions = self._compute_actions(self.company_id, self.date, partners)
        if auto_only:
            actions = [action for action in actions if action.level.auto_execute]
        letters = self.env["pbd.followup.history"]
        letter_values = {}
        sent = 0
        for batch in split_every(BATCH, actions, list):
            batch_letters, values, batch_sent = self._execute_batch_apart(batch)
            sent += batch_sent
            letters |= batch_letters
            letter_values.update({partner.id: values[partner.id] for partner in batch_letters.partner_id})
            self.env.flush_all()
            # Memory stays flat from one batch to the next: nothing of a sent
            # batch is read again (the letters' statements are kept above).
            self.env.invalidate_all()
        self.partner_count = sent
        if letters:
            self._render_letters(letters, letter_values)
        return True

    def _execute_batch_apart(self, actions):
        """Send a batch in a savepoint; returns its letters, statements and number of clients sent.

        The run is one transaction: a client paying on the portal, or a
        payment booked by another worker, while the run goes on changes an
        invoice the run then writes, and PostgreSQL refuses the write. Without
        this, the whole day's run would fail and wait for the next day. The
        batch is tried again client by client; a client whose invoices were
        changed meanwhile is left to the next run (what changed may well be
        the payment that makes the reminder pointless).
        """
        try:
            with self.env.cr.savepoint():
                letters, values = self._execute_batch(actions)
            return letters, values, len(actions)
        except CONCURRENCY_ERRORS:
            if len(actions) == 1:
                partner = actions[0].partner
                _logger.info("Follow-up run %s: client %s changed meanwhile, next run", self.id, partner.id)
                return self.env["pbd.followup.history"], {}, 0
        letters, values, sent = self.env["pbd.followup.history"], {}, 0
        for action in actions:
            action_letters, action_values, action_sent = self._execute_batch_apart([action])
            letters |= action_letters
            values.update(action_values)
            sent += action_sent
        return letters, values, sent

    def _execute_batch(self, actions):
        """Send one batch through every channel of each level alike.

        Returns the history rows of its letters (all rendered at the end of
        the run, in one PDF) and the batch's statements.
        """
        values = self.env["pbd.followup.statement"]._build(
            self.env["res.partner"].browse([a.partner.id for a in actions]),
            self.company_id,
            self.date,
            levels={action.partner.id: action.level for action in actions},
        )
        by_level = defaultdict(list)
        for action in actions:
            by_level[action.level].append(action)
        history_vals = []
        for level, level_actions in by_level.items():
            for channel in level._channels():
                history_vals += getattr(self, f"_send_{channel}")(level, level_actions, values)
        histories = self.env["pbd.followup.history"].create(history_vals)
        self._record_levels(actions)
        return histories.filtered(lambda h: h.channel == "letter"), values

    def _record_levels(self, actions):
        by_level = defaultdict(list)
        for action in actions:
            for move_id, level in action.applied.items():
                by_level[level.id].append(move_id)
        # The level and its date are not tracked: no tracking values to prepare (of every
        # tracked field of thousands of invoices) for a write that changes none of them.
        moves = self.env["account.move"]._pbd_bookkeeping_env().with_context(mail_notrack=True)
        for level_id, move_ids in by_level.items():
            moves.browse(move_ids).write({"pbd_followup_level_id": level_id, "pbd_followup_date": self.date})

    def _history_vals(self, level, action, values, channel, state="done", error=False, result=False, **extra):
        partner_values = values[action.partner.id]
        if state == "error" and not error:
            error = self.env._("Failed.")
        return {
            "run_id": self.id,
            "date": self.date,
            "partner_id": action.partner.id,
            "level_id": level.id,
            "company_id": self.company_id.id,
            "channel": channel,
            "state": state,
            "error": error,
            "result": result,
            "move_ids": [(6, 0, partner_values["moves"].ids)],
            "currency_id": partner_values["currency"].id,
            "amount_due": partner_values["amount_due"],
            "penalty_amount": partner_values["penalty_total"],
            "locked_document_count": len(partner_values["locked_deliverables"]),
            **extra,
        }

    def _all_failed(self, level, actions, values, channel, error):
        return [self._history_vals(level, action, values, channel, "error", error) for action in actions]

    # Channels ----------------------------------------------------------
    def _send_email(self, level, actions, values):
        vals = []
        template = level.email_template_id
        if not template:
            return self._all_failed(
                level, actions, values, "email", self.env._("No email template on the level.")
            )
        with_email = [a for a in actions if values[a.partner.id]["contact"].email]
        vals += [
            self._history_vals(level, a, values, "email", "error", self.env._("No email address."))
            for a in actions
            if not values[a.partner.id]["contact"].email
        ]
        if not with_email:
            return vals
        template = template.with_context(pbd_followup_values=values)
        mail_by_partner, errors = self._make_apart(
            level,
            [action.partner.id for action in with_email],
            lambda partner_ids: {mail.res_id: mail for mail in template.send_mail_batch(partner_ids)},
        )
        for action in with_email:
            if action.partner.id in errors:
                vals.append(
                    self._history_vals(level, action, values, "email", "error", errors[action.partner.id])
                )
                continue
            mail = mail_by_partner.get(action.partner.id)
            contact = values[action.partner.id]["contact"]
            if mail and mail.recipient_ids != contact:
                # Templates of older databases still address the company itself.
                mail.write({"recipient_ids": [Command.set(contact.ids)], "email_to": False})
            if mail and level.attach_invoices:
                mail.attachment_ids = [
                    (4, att.id) for att in self._invoice_attachments(values[action.partner.id])
                ]
            vals.append(
                self._history_vals(
                    level,
                    action,
                    values,
                    "email",
                    "queued" if mail else "error",
                    result=self.env._("To %s", contact.email),
                    mail_id=mail.id if mail else False,
                )
            )
        return vals

    def _make_apart(self, level, partner_ids, make):
        """``make(partner_ids)`` (``{partner id: result}``) for all clients, else for each alone.

        Returns ``({partner id: result}, {partner id: error})``. Made together;
        when that fails (a template the firm edited, one contact's data, such
        as a language the database lacks), client by client, so that one
        client's problem stops its own message only and is written in its
        history.
        """
        try:
            with self.env.cr.savepoint():
                return make(partner_ids), {}
        except CONCURRENCY_ERRORS:
            raise  # the batch is tried again by _execute_batch_apart
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if len(partner_ids) == 1:
                # Told to the firm in the client's history; the trace is for whoever fixes it.
                _logger.warning(
                    "Follow-up of level %s to client %s failed", level.id, partner_ids[0], exc_info=True
                )
                return {}, {partner_ids[0]: str(exc)[:250]}
        results, errors = {}, {}
        for partner_id in partner_ids:
            partner_results, partner_errors = self._make_apart(level, [partner_id], make)
            results.update(partner_results)
            errors.update(partner_errors)
        return results, errors

    def _invoice_attachments(self, partner_values):
        """The PDFs of the invoices (never a deliverable), rendered on demand."""
        attachments = self.env["ir.attachment"]
        report = self.env.ref("account.account_invoices")
        for move in partner_values["moves"]:
            pdf, _type = self.env["ir.actions.report"]._render_qweb_pdf(report, move.ids)
            attachments |= self.env["ir.attachment"].create(
                {
                    "name": f"{move.name.replace('/', '_')}.pdf",
                    "raw": pdf,
                    "res_model": "mail.message",
                    "res_id": 0,
                    "mimetype": "application/pdf",
                }
            )
        return attachments

    def _send_sms(self, level, actions, values):
        vals = []
        template = level.sms_template_id
        if not template:
            return self._all_failed(
                level, actions, values, "sms", self.env._("No SMS template on the level.")
            )
        numbers = {}
        for action in actions:
            contact = values[action.partner.id]["contact"]
            parsed = contact._pbd_sms_number()
            if parsed.ok:
                numbers[action.partner.id] = parsed.e164
                continue
            if parsed.problem == "not_mobile":
                error = self.env._(
                    "No mobile number known for %(contact)s: %(number)s is a landline.",
                    contact=contact.display_name,
                    number=contact.mobile or contact.phone,
                )
            elif parsed.problem == "empty":
                error = self.env._("No mobile number known for %s.", contact.display_name)
            else:
                error = self.env._(
                    "Invalid mobile number for %(contact)s: %(number)s",
                    contact=contact.display_name,
                    number=contact.mobile or contact.phone,
                )
            vals.append(self._history_vals(level, action, values, "sms", "error", error))
        if not numbers:
            return vals
        template = template.with_context(pbd_followup_values=values)
        bodies, errors = self._make_apart(
            level,
            list(numbers),
            lambda partner_ids: template._render_field("body", partner_ids, compute_lang=True),
        )
        for action in actions:
            if action.partner.id in errors:
                vals.append(
                    self._history_vals(level, action, values, "sms", "error", errors[action.partner.id])
                )
                del numbers[action.partner.id]
        if not numbers:
            return vals
        sms_records = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "number": numbers[partner_id],
                        "body": bodies[partner_id],
                        "partner_id": values[partner_id]["contact"].id,
                        # Odoo's SMS queue sends it with the provider this company chose.
                        "record_company_id": self.company_id.id,
                    }
                    for partner_id in numbers
                ]
            )
        )
        sms_by_partner = dict(zip(numbers, sms_records, strict=True))
        # A tracker per SMS: the provider's reports (sent, delivered, failed) reach the history.
        self.env["sms.tracker"].sudo().create([{"sms_uuid": sms.uuid} for sms in sms_records])
        for action in actions:
            if action.partner.id in numbers:
                vals.append(
                    self._history_vals(
                        level,
                        action,
                        values,
                        "sms",
                        "queued",
                        result=self.env._("To %s", numbers[action.partner.id]),
                        sms_id=sms_by_partner[action.partner.id].id,
                        sms_uuid=sms_by_partner[action.partner.id].uuid,
                    )
                )
        return vals

    def _send_letter(self, level, actions, values):
        """Letters wait for the end of the run: all of them in one PDF (see :meth:`_render_letters`)."""
        return [self._history_vals(level, action, values, "letter", "to_print") for action in actions]

    def _schedule_activities(self, level, actions, values, channel, activity_type, users, note_field):
        activity_vals = []
        for action in actions:
            partner_values = values[action.partner.id]
            note = level[note_field] or ""
            activity_vals.append(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": action.partner.id,
                    "activity_type_id": activity_type.id,
                    "summary": self.env._(
                        "%(level)s: %(amount)s overdue",
                        level=level.name,
                        amount=partner_values["amount_due_display"],
                    ),
                    "note": note,
                    "user_id": users(action).id,
                    "date_deadline": self.date,
                }
            )
        activities = self.env["mail.activity"].sudo().create(activity_vals)
        return [
            self._history_vals(level, action, values, channel, "planned", activity_id=activity.id)
            for action, activity in zip(actions, activities, strict=True)
        ]

    def _send_call(self, level, actions, values):
        return self._schedule_activities(
            level,
            actions,
            values,
            "call",
            self.env.ref("mail.mail_activity_data_call"),
            lambda action: action.partner._pbd_followup_responsible(),
            "call_script",
        )

    def _send_manager(self, level, actions, values):
        return self._schedule_activities(
            level,
            actions,
            values,
            "manager",
            self.env.ref("mail.mail_activity_data_todo"),
            lambda action: level.manager_id or action.partner._pbd_followup_responsible(),
            "letter_body",
        )

    def _render_letters(self, letters, values):
        """All the run's letters in one PDF: one wkhtmltopdf process, not one per client."""
        report = self.env.ref("payment_before_document.action_report_pbd_followup_letter")
        try:
            pdf, _type = (
                self.env["ir.actions.report"]
                .with_context(pbd_followup_values=values)
                ._render_qweb_pdf(report, letters.ids)
            )
        except Exception as exc:
            _logger.exception("Follow-up letters could not be rendered")
            letters.write({"state": "error", "error": str(exc)[:250]})
            return
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._("Follow-up letters %s.pdf", self._file_date()),
                "datas": base64.b64encode(pdf),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            }
        )
        self.letter_id = attachment
        letters.write({"letter_id": attachment.id})
        self._schedule_registered_letters(
            letters.filtered(lambda letter: letter.level_id.is_formal_notice), values
        )

    def _schedule_registered_letters(self, notices, values):
        """Each formal notice is a registered letter: its responsible gets an activity to post it.

        The activity carries that client's letter alone (the run's PDF holds all
        of them): formal notices are few and reviewed one by one, so one PDF
        each costs little, unlike the run's other letters.
        """
        if not notices:
            return
        report = self.env.ref("payment_before_document.action_report_pbd_followup_letter")
        attachment_vals = []
        for notice in notices:
            pdf, _type = (
                self.env["ir.actions.report"]
                .with_context(pbd_followup_values=values)
                ._render_qweb_pdf(report, notice.ids)
            )
            attachment_vals.append(
                {
                    "name": self.env._(
                        "Formal notice %(client)s %(date)s.pdf",
                        client=(notice.partner_id.name or "").replace("/", "-"),
                        date=self._file_date(),
                    ),
                    "datas": base64.b64encode(pdf),
                    "res_model": notice._name,
                    "res_id": notice.id,
                    "mimetype": "application/pdf",
                }
            )
        attachments = self.env["ir.attachment"].create(attachment_vals)
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id("res.partner")
        self.env["mail.activity"].sudo().create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": notice.partner_id.id,
                    "activity_type_id": activity_type.id,
                    "summary": self.env._("Post the registered letter"),
                    "note": self.env._(
                        "Print the attached formal notice to %(client)s and send it by registered post with "
                        "acknowledgement of receipt.",
                        client=notice.partner_id.display_name,
                    ),
                    "user_id": notice.partner_id._pbd_followup_responsible().id,
                    "date_deadline": self.date,
                    "attachment_ids": [Command.link(attachment.id)],
                }
                for notice, attachment in zip(notices, attachments, strict=True)
            ]
        )

    def _pbd_notify_action(self, partners=None):
        """What the person who clicked "Send" is told: what was sent, or what happens next and when."""
        if not self:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "sticky": True,
                    "title": self.env._("Nothing to send today"),
                    "message": self.env["res.partner"]._pbd_followup_next_step_text(partners),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        sent = sum(self.mapped("partner_count"))
        errors = sum(self.mapped("error_count"))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if errors else "success",
                "message": self.env._(
                    "Follow-up sent to %(count)s customer(s), %(errors)s error(s): see the history.",
                    count=sent,
                    errors=errors,
                )
                if errors
                else self.env._("Follow-up sent to %(count)s customer(s): see the history.", count=sent),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_letters(self):
        self.ensure_one()
        if not self.letter_id:
            return False
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.letter_id.id}?download=true",
            "target": "new",
        }

    def action_view_history(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "payment_before_document.action_pbd_followup_history"
        )
        action["domain"] = [("run_id", "in", self.ids)]
        return action
