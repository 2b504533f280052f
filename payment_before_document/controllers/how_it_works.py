from odoo import http
from odoo.http import request


class HowItWorks(http.Controller):
    @http.route("/payment-before-access", type="http", auth="public", website=True, sitemap=True)
    def payment_before_access(self, **kwargs):
        """Public page explaining "payment before access" to clients."""
        return request.render("payment_before_document.how_it_works_page", {"company": request.env.company})
