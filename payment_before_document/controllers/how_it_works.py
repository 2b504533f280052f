from odoo import http
from odoo.http import request


class HowItWorks(http.Controller):
    @http.route("/payment-before-access", type="http", auth="public", website=True, sitemap=True)
    def payment_before_access(self, **kwargs):
        """Public page explaining "payment before access" to clients."""
        company = request.env.company.sudo()  # its name and public contact details
        # The firm's own bank account (public page: read in sudo, only what the page shows).
        bank_accounts = company.partner_id.bank_ids
        bank_account = bank_accounts.filtered("allow_out_payment")[:1] or bank_accounts[:1]
        return request.render(
            "payment_before_document.how_it_works_page",
            {
                "company": company,
                "pbd_bank_account": bank_account
                and {
                    "iban": bank_account.acc_number,
                    "bic": bank_account.bank_bic or "",
                    "holder": bank_account.acc_holder_name or company.name,
                },
            },
        )
