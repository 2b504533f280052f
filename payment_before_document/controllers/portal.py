from urllib.parse import urlencode, urlsplit

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import content_disposition, request
from odoo.osv import expression

from odoo.addons.account.controllers.portal import PortalAccount
from odoo.addons.portal.controllers.portal import pager as portal_pager

DOCUMENTS_PER_PAGE = 20
DELIVERABLE = "pbd.deliverable"

# What a page fetches for itself (Sec-Fetch-Dest): never the client's download.
SUBRESOURCE_DESTINATIONS = {
    "audio",
    "audioworklet",
    "embed",
    "font",
    "frame",
    "iframe",
    "image",
    "manifest",
    "object",
    "paintworklet",
    "report",
    "script",
    "serviceworker",
    "sharedworker",
    "style",
    "track",
    "video",
    "worker",
    "xslt",
}


class DeliverablePortal(PortalAccount):
    # ------------------------------------------------------------------
    # Access: every route goes through here
    # ------------------------------------------------------------------
    def _pbd_check_access(self, model_name, record_id, access_token=None):
        """The one access check of the add-on's routes: ``(record_sudo, None)`` or ``(None, refusal)``.

        An invoice (``account.move``): the caller can read it (portal rules) or
        holds its access token. A deliverable: the same, for its invoice, which
        must also show its documents on the portal
        (:meth:`pbd.deliverable._pbd_is_on_portal`). Whether the file
        may be *downloaded* is the deliverable's to say
        (:meth:`pbd.deliverable._pbd_is_file_locked`).

        Every refusal is the same redirect to ``/my`` (missing record, someone
        else's, wrong token): the answer says nothing of what exists.
        """
        try:
            if model_name == DELIVERABLE:
                record_sudo = request.env[model_name].sudo().browse(record_id).exists()
                if not record_sudo:
                    raise MissingError(request.env._("This document does not exist."))
                self._document_check_access("account.move", record_sudo.move_id.id, access_token)
                if not record_sudo._pbd_is_on_portal():
                    raise AccessError(request.env._("This document is not available."))
            else:
                record_sudo = self._document_check_access(model_name, record_id, access_token)
        except (AccessError, MissingError):
            return None, request.redirect("/my")
        return record_sudo, None

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
                request.env["pbd.deliverable"].sudo().search_count(self._pbd_documents_domain())
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
                values["landing_route"] = request.env["pbd.deliverable"]._get_invoice_documents_landing_path(
                    invoice
                )
        return values

    @http.route(
        "/my/invoices/<int:invoice_id>/documents", type="http", auth="public", website=True, sitemap=False
    )
    def portal_invoice_documents(self, invoice_id, access_token=None, **kw):
        """Where the payment status page sends the client: the invoice, at its documents."""
        invoice_sudo, refusal = self._pbd_check_access("account.move", invoice_id, access_token)
        return refusal or request.redirect(invoice_sudo._get_pbd_documents_url())

    @http.route()
    def portal_my_invoice_detail(self, invoice_id, access_token=None, report_type=None, download=False, **kw):
        """A logged-in client opening an invoice without its token (a bookmark) gets the tokenised URL.

        The payment form posts the page's access token to
        ``/invoice/transaction/<id>``, which requires one: without it, paying
        failed with a raw error.
        """
        if not access_token and not report_type and not request.env.user._is_public():
            invoice_sudo, refusal = self._pbd_check_access("account.move", invoice_id)
            if refusal:
                return refusal
            query = "".join(f"&{urlencode({key: value})}" for key, value in kw.items())
            return request.redirect(invoice_sudo.get_portal_url(query_string=query))
        return super().portal_my_invoice_detail(
            invoice_id, access_token=access_token, report_type=report_type, download=download, **kw
        )

    # ------------------------------------------------------------------
    # /my/documents
    # ------------------------------------------------------------------
    @http.route(["/my/documents", "/my/documents/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_documents(self, page=1, sortby=None, filterby=None, **kw):
        deliverable_sudo = request.env["pbd.deliverable"].sudo()
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
        # One block per invoice (in the order of the sorted rows), with its own Pay button.
        groups = {}
        for deliverable in deliverables:
            groups.setdefault(deliverable.move_id, deliverable_sudo)
            groups[deliverable.move_id] |= deliverable
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "deliverables": deliverables,
                "pbd_invoice_groups": list(groups.items()),
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
        deliverable_sudo, refusal = self._pbd_check_access(DELIVERABLE, deliverable_id, access_token)
        if refusal:
            return refusal
        if deliverable_sudo._pbd_is_file_locked():
            # Holding the invoice link is not payment: back to the invoice to pay.
            return request.redirect(deliverable_sudo.move_id._get_pbd_documents_url())
        return self._pbd_send_file(
            deliverable_sudo,
            deliverable_sudo,
            "file",
            deliverable_sudo.file_name or deliverable_sudo.name,
            file_kind="original",
        )

    # ------------------------------------------------------------------
    # Downloads: what counts as one, and the log
    # ------------------------------------------------------------------
    def _pbd_is_deliberate_download(self):
        """Whether this request is the client's own download, to be logged.

        The download log is evidence (of delivery, in a card dispute): a row
        must stand for a person who asked for the file. Not downloads, hence
        neither logged nor served (the caller is sent to the invoice's
        documents, where the *Download* button is one click away):

        * a prefetch or prerender (``Sec-Purpose``/``Purpose: prefetch``);
        * a request another site caused: ``Sec-Fetch-Site`` is ``cross-site``
          or ``same-site`` (a link in a webmail, ``<img src>`` on another
          page, a sibling sub-domain);
        * a sub-resource of a page, even ours (``Sec-Fetch-Dest`` ``image``,
          ``iframe``, ``script``...);
        * without Fetch Metadata (older browsers), an ``Origin`` or else a
          ``Referer`` from another host.

        Downloads: a request from our own pages (``same-origin``: the
        *Download* link, or the page's own ``fetch``), one the user started
        (``none``: address bar, bookmark, download manager), and a request
        with no browser headers at all (``curl``, ``wget``: the user's own
        tool). ``HEAD`` requests are handled before this.
        """
        headers = request.httprequest.headers
        purpose = " ".join(headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"))
        if any(word in purpose.lower() for word in ("prefetch", "prerender", "preview")):
            return False
        if headers.get("Sec-Fetch-Dest", "").lower() in SUBRESOURCE_DESTINATIONS:
            return False
        site = headers.get("Sec-Fetch-Site", "").lower()
        if site:
            return site in ("same-origin", "none")
        source = headers.get("Origin") or headers.get("Referer")
        if not source:
            return True
        return urlsplit(source).netloc.lower() == request.httprequest.host.lower()

    def _pbd_send_file(self, deliverable_sudo, record_sudo, field, filename, file_kind, mimetype=None):
        """Answer a download of ``record_sudo[field]`` (the caller checked access and payment).

        ``HEAD`` gets the headers only: the file is neither opened nor logged.
        A request that is not the client's own download (see
        :meth:`_pbd_is_deliberate_download`) is sent to the invoice's
        documents. Otherwise the download is logged (IP address as Odoo sees
        it, behind a proxy with ``proxy_mode`` only, and browser), then served.
        """
        httprequest = request.httprequest
        if httprequest.method == "HEAD":
            attachment_sudo = (
                request.env["ir.attachment"]
                .sudo()
                .search(
                    [
                        ("res_model", "=", record_sudo._name),
                        ("res_id", "=", record_sudo.id),
                        ("res_field", "=", field),
                    ],
                    limit=1,
                )
            )
            response = request.make_response(
                b"",
                headers=[
                    ("Content-Type", mimetype or attachment_sudo.mimetype or "application/octet-stream"),
                    ("Content-Disposition", content_disposition(filename)),
                ],
            )
            response.headers["Content-Length"] = str(attachment_sudo.file_size)
            return response
        if not self._pbd_is_deliberate_download():
            return request.redirect(deliverable_sudo.move_id._get_pbd_documents_url())
        deliverable_sudo._log_download(
            request.env.user, httprequest.remote_addr, httprequest.user_agent.string, file_kind=file_kind
        )
        stream = request.env["ir.binary"]._get_stream_from(
            record_sudo, field, filename=filename, mimetype=mimetype
        )
        return stream.get_response(as_attachment=True)

    @http.route("/my/documents/<int:deliverable_id>/preview", type="http", auth="public", website=True)
    def portal_deliverable_preview(self, deliverable_id, access_token=None, **kw):
        deliverable_sudo, refusal = self._pbd_check_access(DELIVERABLE, deliverable_id, access_token)
        if refusal:
            return refusal
        if not deliverable_sudo.preview:
            return request.not_found()
        stream = request.env["ir.binary"]._get_stream_from(
            deliverable_sudo,
            "preview",
            filename=request.env._("Preview - %s.pdf", deliverable_sudo.name),
            mimetype="application/pdf",
        )
        return stream.get_response(as_attachment=False)
