from odoo import fields, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.osv import expression

from odoo.addons.account.controllers.portal import PortalAccount
from odoo.addons.portal.controllers.portal import pager as portal_pager

DOCUMENTS_PER_PAGE = 20


class DeliverablePortal(PortalAccount):
    # ------------------------------------------------------------------
    # Access: every route goes through here
    # ------------------------------------------------------------------
    def _pbd_deliverable_sudo(self, deliverable_id, access_token=None):
        """Return the deliverable (sudo) if the caller may see its invoice.

        The caller must be able to read the invoice (portal rules) or hold its
        access token; the invoice must be a posted customer invoice. Whether
        the file may be *downloaded* is a separate check (its state).
        """
        deliverable_sudo = request.env["account.move.deliverable"].sudo().browse(deliverable_id).exists()
        if not deliverable_sudo:
            raise MissingError(request.env._("This document does not exist."))
        move_sudo = self._document_check_access("account.move", deliverable_sudo.move_id.id, access_token)
        if move_sudo.state != "posted" or move_sudo.move_type != "out_invoice":
            raise AccessError(request.env._("This document is not available."))
        return deliverable_sudo

    def _pbd_documents_domain(self):
        invoices = request.env["account.move"]._search(
            expression.AND([self._get_invoices_domain("out"), [("state", "=", "posted")]])
        )
        return [("move_id", "in", invoices)]

    # ------------------------------------------------------------------
    # /my home counter and invoice page
    # ------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "pbd_document_count" in counters:
            values["pbd_document_count"] = (
                request.env["account.move.deliverable"].sudo().search_count(self._pbd_documents_domain())
                if request.env["account.move"].has_access("read")
                else 0
            )
        return values

    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        values["pbd_deliverables"] = invoice._pbd_portal_deliverables()
        values["pbd_access_token"] = access_token
        if values["pbd_deliverables"]:
            values["pbd_early_discount"] = invoice._pbd_early_discount(fields.Date.context_today(invoice))
            if values.get("landing_route"):
                # After paying, the client lands on the documents, not on the top of the invoice.
                values["landing_route"] = f"/my/invoices/{invoice.id}/documents"
        return values

    @http.route(
        "/my/invoices/<int:invoice_id>/documents", type="http", auth="public", website=True, sitemap=False
    )
    def portal_invoice_documents(self, invoice_id, access_token=None, **kw):
        """Where the payment status page sends the client: the invoice, at its documents."""
        try:
            invoice_sudo = self._document_check_access("account.move", invoice_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        return request.redirect(invoice_sudo._get_pbd_documents_url())

    # ------------------------------------------------------------------
    # /my/documents
    # ------------------------------------------------------------------
    @http.route(["/my/documents", "/my/documents/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_documents(self, page=1, sortby=None, filterby=None, **kw):
        deliverable_sudo = request.env["account.move.deliverable"].sudo()
        searchbar_sortings = {
            "date": {"label": request.env._("Newest"), "order": "create_date desc, id desc"},
            "name": {"label": request.env._("Title"), "order": "name asc, id asc"},
            "invoice": {"label": request.env._("Invoice"), "order": "move_id desc, sequence asc, id asc"},
        }
        searchbar_filters = {
            "all": {"label": request.env._("All"), "domain": []},
            "to_pay": {"label": request.env._("To pay"), "domain": [("state", "=", "locked")]},
            "available": {
                "label": request.env._("Available"),
                "domain": [("state", "in", ("released", "exempted"))],
            },
        }
        sortby = sortby if sortby in searchbar_sortings else "date"
        filterby = filterby if filterby in searchbar_filters else "all"
        domain = expression.AND([self._pbd_documents_domain(), searchbar_filters[filterby]["domain"]])
        count = deliverable_sudo.search_count(domain)
        pager = portal_pager(
            url="/my/documents",
            url_args={"sortby": sortby, "filterby": filterby},
            total=count,
            page=page,
            step=DOCUMENTS_PER_PAGE,
        )
        deliverables = deliverable_sudo.search(
            domain,
            order=searchbar_sortings[sortby]["order"],
            limit=DOCUMENTS_PER_PAGE,
            offset=pager["offset"],
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "deliverables": deliverables,
                "page_name": "pbd_documents",
                "pager": pager,
                "default_url": "/my/documents",
                "searchbar_sortings": searchbar_sortings,
                "searchbar_filters": searchbar_filters,
                "sortby": sortby,
                "filterby": filterby,
            }
        )
        return request.render("payment_before_document.portal_my_documents", values)

    # ------------------------------------------------------------------
    # Files
    # ------------------------------------------------------------------
    @http.route("/my/documents/<int:deliverable_id>/download", type="http", auth="public", website=True)
    def portal_deliverable_download(self, deliverable_id, access_token=None, **kw):
        try:
            deliverable_sudo = self._pbd_deliverable_sudo(deliverable_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if not deliverable_sudo._is_downloadable():
            # Holding the invoice link is not payment: back to the invoice to pay.
            return request.redirect(deliverable_sudo.move_id.get_portal_url() + "#pbd_deliverables")
        deliverable_sudo._log_download(
            request.env.user,
            request.httprequest.remote_addr,
            request.httprequest.user_agent.string,
        )
        stream = request.env["ir.binary"]._get_stream_from(
            deliverable_sudo, "file", filename=deliverable_sudo.file_name or deliverable_sudo.name
        )
        return stream.get_response(as_attachment=True)

    @http.route("/my/documents/<int:deliverable_id>/preview", type="http", auth="public", website=True)
    def portal_deliverable_preview(self, deliverable_id, access_token=None, **kw):
        try:
            deliverable_sudo = self._pbd_deliverable_sudo(deliverable_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if not deliverable_sudo.preview:
            return request.not_found()
        stream = request.env["ir.binary"]._get_stream_from(
            deliverable_sudo,
            "preview",
            filename=request.env._("Preview - %s.pdf", deliverable_sudo.name),
            mimetype="application/pdf",
        )
        return stream.get_response(as_attachment=False)
