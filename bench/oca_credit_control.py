"""The anchor of the ``followup_run`` scenario: OCA's ``account_credit_control``.

What a firm using OCA's credit control does instead of our follow-up: a
credit control *run* for a date computes the credit control lines of the
overdue receivables, and *Run channel action* groups them into one
communication per partner, level and currency and queues one email each.

* :func:`ensure_addon` puts the addon (from its PyPI wheel) under the cache
  directory and returns the directory to add to the addons path;
* :func:`prepare` configures it as a user would (Invoicing > Configuration >
  Credit Control): one policy of three email levels, set as the company's
  default policy and on the given partners (``attach_pdf=False`` swaps the
  shipped template for a copy without its PDF summary: wkhtmltopdf takes
  over a second per communication);
* :func:`run` is what the anchor measures: the buttons of the run form,
  *Compute Credit Control Lines*, *Set to ready all* and *Run channel action*.

Only OCA's own methods are called. The addon's code never enters the
repository: it lives under the (git-ignored) cache directory.

Odoo is not imported here at module level: the bench imports this module
before it loads Odoo.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

ADDON = "account_credit_control"
DIST = "odoo-addon-account-credit-control"
VERSION = "18.0.2.0.2.6"

POLICY_NAME = "Follow-up (OCA credit control, bench)"
NO_PDF_TEMPLATE_NAME = "Credit Control Email (bench, without PDF summary)"
# (level, days after the due date, level name, shipped level whose texts we reuse)
LEVELS = (
    (1, 7, "7 days after due date", "3_time_1"),
    (2, 20, "20 days after due date", "3_time_2"),
    (3, 35, "35 days after due date", "3_time_3"),
)


# --- the addon on disk --------------------------------------------------------


def _venv_python(cache_dir):
    candidate = cache_dir / "venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def ensure_addon(cache_dir):
    """Download OCA's wheel and extract the addon under ``cache_dir``.

    Returns the directory to put on Odoo's addons path
    (``<cache_dir>/oca-addons``). A second call reuses what the first made.
    """
    cache_dir = pathlib.Path(cache_dir).resolve()
    addons_dir = cache_dir / "oca-addons"
    target = addons_dir / ADDON
    stamp = target / ".pbd-version"
    if stamp.is_file() and stamp.read_text().strip() == VERSION and (target / "__manifest__.py").is_file():
        return str(addons_dir)

    wheels = cache_dir / "oca-wheels"
    wheel_name = f"{DIST.replace('-', '_')}-{VERSION}-py3-none-any.whl"
    wheel = wheels / wheel_name
    if not wheel.is_file():
        wheels.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                _venv_python(cache_dir),
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(wheels),
                f"{DIST}=={VERSION}",
            ],
            check=True,
        )
        if not wheel.is_file():
            found = sorted(wheels.glob(f"{DIST.replace('-', '_')}-{VERSION}-*.whl"))
            if not found:
                raise RuntimeError(f"pip did not leave {wheel_name} in {wheels}")
            wheel = found[0]

    prefix = f"odoo/addons/{ADDON}/"
    tmp = addons_dir / f".{ADDON}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.startswith(prefix) and not name.endswith("/")]
        if not members:
            raise RuntimeError(f"{wheel} holds no {prefix}")
        for name in members:
            dest = tmp / name[len(prefix) :]
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(name) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
    (tmp / ".pbd-version").write_text(VERSION + "\n")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return str(addons_dir)


# --- configuration ------------------------------------------------------------


def _policy(env):
    return env["credit.control.policy"].search([("name", "=", POLICY_NAME)], limit=1)


def _receivable_accounts(env, company, partners):
    Account = env["account.account"]
    accounts = Account.search(
        [("account_type", "=", "asset_receivable"), *Account._check_company_domain(company)]
    )
    return accounts | partners.with_company(company).mapped("property_account_receivable_id")


def _template(env, attach_pdf):
    """The module's email template, or a copy of it without the PDF report."""
    shipped = env.ref("account_credit_control.email_template_credit_control_base")
    if attach_pdf:
        return shipped
    Template = env["mail.template"].with_context(active_test=False)
    template = Template.search([("name", "=", NO_PDF_TEMPLATE_NAME)], limit=1)
    if not template:
        template = shipped.copy({"report_template_ids": [(5, 0, 0)]})
        template.name = NO_PDF_TEMPLATE_NAME  # mail.template's copy_data names it "... (copy)"
    return template


def prepare(env, partners, attach_pdf=True):
    """Configure OCA's credit control for ``partners`` as a user would.

    One policy with three levels (7, 20 and 35 days after the due date,
    "Due Date" computation, channel email), each with the email template the
    module ships (``email_template_credit_control_base``, which attaches the
    module's PDF summary, rendered by wkhtmltopdf for each communication) and
    the texts of the module's shipped "3 time policy" levels. With
    ``attach_pdf=False`` the levels use a copy of that template without the
    report (the shipped template is left alone). The policy applies to the
    company's receivable accounts, is the company's default policy (what the
    module's configuration guide asks) and is set on the partners.
    Idempotent; returns the policy.
    """
    company = env.company
    template = _template(env, attach_pdf)
    policy = _policy(env)
    if not policy:
        levels = []
        for level, delay, name, shipped_xmlid in LEVELS:
            shipped = env.ref(f"account_credit_control.{shipped_xmlid}", raise_if_not_found=False)
            levels.append(
                {
                    "name": name,
                    "level": level,
                    "computation_mode": "net_days",
                    "delay_days": delay,
                    "channel": "email",
                    "email_template_id": template.id,
                    "custom_text": shipped.custom_text if shipped else name,
                    "custom_mail_text": shipped.custom_mail_text if shipped else f"<p>{name}</p>",
                    "mail_show_invoice_detail": shipped.mail_show_invoice_detail if shipped else True,
                }
            )
        policy = env["credit.control.policy"].create(
            {"name": POLICY_NAME, "level_ids": [(0, 0, values) for values in levels]}
        )
    if policy.level_ids.email_template_id != template:
        policy.level_ids.email_template_id = template
    accounts = _receivable_accounts(env, company, partners)
    if accounts - policy.account_ids:
        policy.account_ids = [(4, account.id) for account in accounts - policy.account_ids]
    if company.credit_policy_id != policy:
        company.credit_policy_id = policy
    # Set after the receivable account exists (see OCA's own tests: the
    # partner constraint checks the policy against that account).
    to_set = partners.filtered(lambda partner: partner.credit_policy_id != policy)
    if to_set:
        to_set.credit_policy_id = policy
    return policy


# --- what the anchor measures -------------------------------------------------


def run(env, date):
    """A credit control run for ``date``, its lines, and their emails queued.

    The run form's three buttons, in order: ``generate_credit_lines``
    (*Compute Credit Control Lines*), ``set_to_ready_lines`` (*Set to ready
    all*: lines are generated in draft and only "to be sent" lines are
    handled) and ``run_channel_action`` (*Run channel action*: one
    ``credit.control.communication`` per partner, level and currency, then
    ``_generate_emails`` posts the level's template on each, which renders
    the template's PDF report and creates the ``mail.mail``).

    ``mail_notify_force_send=False`` keeps the emails queued (outgoing) for
    the mail cron: with fewer than 100 recipients per message Odoo would
    otherwise send each one right after the commit.

    Not idempotent: lines already queued are escalated by a later run (OCA
    moves a line one level per run), so a caller measuring it several times
    rolls back between runs. Returns counts.
    """
    policy = _policy(env)
    if not policy:
        raise RuntimeError("prepare() has not configured OCA's credit control on this database")
    env = env(context=dict(env.context, mail_notify_force_send=False))
    credit_run = env["credit.control.run"].create({"date": date, "policy_ids": [(6, 0, policy.ids)]})
    credit_run.generate_credit_lines()
    lines = credit_run.line_ids
    credit_run.set_to_ready_lines()
    credit_run.run_channel_action()
    email_lines = lines.filtered(lambda line: line.channel == "email")
    communications = email_lines.communication_id
    mails = env["mail.mail"].search(
        [("model", "=", "credit.control.communication"), ("res_id", "in", communications.ids)]
    )
    return {
        "run_id": credit_run.id,
        "lines": len(lines),
        "email_lines": len(email_lines),
        "letter_lines": len(lines.filtered(lambda line: line.channel == "letter")),
        "communications": len(communications),
        "mail_mail": len(mails),
        "mail_outgoing": len(mails.filtered(lambda mail: mail.state == "outgoing")),
        "attachments": len(mails.attachment_ids),
    }
