from odoo import http
from odoo.http import request

from odoo.addons.web.controllers.binary import Binary

# The binary fields whose download is logged: (model, field) -> file kind.
LOGGED_FIELDS = {
    ("pbd.deliverable", "file"): "original",
    ("pbd.signature.request", "signed_file"): "signed",
}


def _pbd_logged_target():
    """(model, field) of a ``/web/content`` request when it is a logged file, else ``None``.

    Read from the request itself (path, then query string or form), before the
    route runs: it decides whether the route needs a read/write cursor.
    """
    httprequest = request.httprequest
    parts = httprequest.path.strip("/").split("/")
    # /web/content/<model>/<id>/<field>[/<filename>]
    if len(parts) >= 5 and parts[3].isdigit():
        target = (parts[2], parts[4])
    else:
        values = httprequest.values
        target = (values.get("model"), values.get("field"))
    return target if target in LOGGED_FIELDS else None


def _pbd_content_readonly(_controller):
    # /web/content runs on a read-only cursor, except when it may log a download.
    return _pbd_logged_target() is None


class DeliverableBinary(Binary):
    """Downloads of a deliverable's file from the back office are logged too.

    The form view's download button and the file's link go through
    ``/web/content`` with the record's model, id and field: when that serves
    a deliverable's file (or its signed copy), the download is logged, marked
    as the firm's (``by_staff``). Previews, pictures (``/web/image``) and
    ``HEAD`` requests are not downloads. The attachment itself
    (``/web/content/<attachment id>``) is not offered by any view: not logged.
    """

    @http.route(readonly=_pbd_content_readonly)
    # pylint: disable=redefined-builtin,invalid-name
    def content_common(
        self,
        xmlid=None,
        model="ir.attachment",
        id=None,
        field="raw",
        filename=None,
        filename_field="name",
        mimetype=None,
        unique=False,
        download=False,
        access_token=None,
        nocache=False,
    ):
        response = super().content_common(
            xmlid=xmlid,
            model=model,
            id=id,
            field=field,
            filename=filename,
            filename_field=filename_field,
            mimetype=mimetype,
            unique=unique,
            download=download,
            access_token=access_token,
            nocache=nocache,
        )
        file_kind = LOGGED_FIELDS.get((model, field))
        if (
            file_kind
            and not xmlid
            and id
            and response.status_code == 200
            and request.httprequest.method != "HEAD"
        ):
            record_sudo = request.env[model].sudo().browse(int(id))
            deliverable_sudo = record_sudo if model == "pbd.deliverable" else record_sudo.deliverable_id
            httprequest = request.httprequest
            deliverable_sudo._log_download(
                request.env.user, httprequest.remote_addr, httprequest.user_agent.string, file_kind=file_kind
            )
        return response
