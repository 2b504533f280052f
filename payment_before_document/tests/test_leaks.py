"""The smaller ways out: each test attacks a locked file the way a client, a
stranger or a careless employee would, over real HTTP and JSON-RPC.

1. the signed copy (the whole document plus its certificate);
2. discuss channels (and livechat, the same ``discuss.channel`` model and
   routes), URL attachments and attachments moved out from under the guard;
3. internal notes on the client and the invoice, read over JSON-RPC;
4. an image pasted in a deliverable's own chatter;
5. HEAD and cross-site requests, IP and browser behind a proxy, staff
   downloads from the back office.
"""

import base64
import io
from unittest.mock import patch
import zipfile

from odoo import fields, http
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import config, mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import PbdHttpTestCommon

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

MUTED = (
    "odoo.http",
    "odoo.addons.base.models.ir_attachment",
    "odoo.addons.base.models.ir_rule",
    "odoo.addons.base.models.ir_model",
    "odoo.models",
)


class LeakMixin:
    def _get(self, url, **kw):
        return self.url_open(url, allow_redirects=False, **kw)

    def assertNoContent(self, response, content, msg=None):
        """``content`` is not in the response, nor in a zip the response may be."""
        self.assertNotIn(content, response.content, msg)
        if response.content[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                for name in archive.namelist():
                    self.assertNotIn(content, archive.read(name), f"{msg}: in the zip, {name}")

    @classmethod
    def _pbd_sign(cls, deliverable, partner):
        """The signature the portal produces after the SMS code (the code itself is tested elsewhere)."""
        request = (
            cls.env["pbd.signature.request"]
            .sudo()
            .create({"deliverable_id": deliverable.id, "partner_id": partner.id})
        )
        now = fields.Datetime.now()
        request.write(
            {
                "signer_name": partner.name,
                "phone_masked": "+33 *******78",
                "document_sha256": deliverable.checksum,
                "code_sent_at": now,
                "code_verified_at": now,
            }
        )
        request._sign("198.51.100.4", "Signing browser")
        return request


# ----------------------------------------------------------------------
# 1. The signed copy holds the whole document
# ----------------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestSignedCopyLeaks(LeakMixin, PbdHttpTestCommon, MockEmail):
    def _signed_invoice(self, timing="before_payment"):
        invoice = self._pbd_invoice(
            deliverables=[{"name": "Report", "signature_requirement": "approve", "signature_timing": timing}]
        )
        deliverable = invoice.pbd_deliverable_ids
        sign_request = self._pbd_sign(deliverable, self.client_contact)
        signed = base64.b64decode(sign_request.signed_file)
        self.assertTrue(signed.startswith(self.pdf_bytes))
        return invoice, deliverable, sign_request, signed

    def test_signed_copy_download_is_logged_as_signed(self):
        invoice, deliverable, _request, signed = self._signed_invoice(timing="after_payment")
        self._pbd_pay(invoice)
        self.authenticate("pbd_client", "pbd_client")
        response = self._get(f"/my/documents/{deliverable.id}/signature/signed")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, signed)
        log = deliverable.download_ids
        self.assertEqual(len(log), 1, "the signed copy's download is logged like the original's")
        self.assertEqual(log.file_kind, "signed")
        self.assertEqual(log.user_id, self.portal_user)
        # The certificate alone is not the document: not a download of it.
        response = self._get(f"/my/documents/{deliverable.id}/signature/certificate")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(deliverable.download_ids), 1)
        # The original is logged as such.
        self.assertEqual(self._get(deliverable._get_download_url()).content, self.pdf_bytes)
        self.assertEqual(
            sorted(deliverable.download_ids.mapped("file_kind")),
            ["original", "signed"],
        )

    @mute_logger(*MUTED)
    def test_signed_copy_posted_in_chatter_is_locked_until_payment(self):
        invoice, deliverable, _request, signed = self._signed_invoice()
        self.assertEqual(deliverable.state, "locked")
        # The accountant forwards the client's signed copy in the invoice's chatter.
        message = invoice.message_post(
            body="Signed copy", attachments=[("report - signed.pdf", signed)], message_type="comment"
        )
        copy = message.attachment_ids
        token = copy.generate_access_token()[0]
        urls = (
            f"/web/content/{copy.id}?access_token={token}&download=true",
            f"/web/content/{copy.id}",
            f"/web/image/{copy.id}?access_token={token}",
        )
        for login in ("pbd_client", None):
            self.authenticate(login, login)
            for url in urls:
                with self.subTest(login=login, url=url):
                    self.assertNoContent(self._get(url), self.pdf_bytes)
        self._pbd_pay(invoice)
        self.authenticate(None, None)
        response = self._get(urls[0])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, signed)

    def test_signed_copy_is_removed_from_outgoing_email(self):
        invoice, _deliverable, _request, signed = self._signed_invoice()
        copy = self.env["ir.attachment"].create(
            {"name": "signed.pdf", "raw": signed, "res_model": "account.move", "res_id": invoice.id}
        )
        other = self.env["ir.attachment"].create(
            {
                "name": "invoice.pdf",
                "raw": b"%PDF-1.4 invoice",
                "res_model": "account.move",
                "res_id": invoice.id,
            }
        )
        mail = self.env["mail.mail"].create(
            {
                "subject": "Your signed document",
                "body_html": "<p>Attached</p>",
                "email_to": "claire@lefevre.example.com",
                "attachment_ids": [(6, 0, (copy + other).ids)],
            }
        )
        with self.mock_mail_gateway():
            mail.send()
        self.assertEqual([name for name, _raw, _mime in self._mails[0]["attachments"]], ["invoice.pdf"])

    @mute_logger(*MUTED)
    def test_signed_file_is_never_shared_by_link(self):
        _invoice, _deliverable, sign_request, _signed = self._signed_invoice()
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "pbd.signature.request"),
                    ("res_id", "=", sign_request.id),
                    ("res_field", "=", "signed_file"),
                ]
            )
        )
        self.assertEqual(len(attachment), 1)
        with self.assertRaises(AccessError):
            attachment.generate_access_token()
        self.env.cr.execute(
            "UPDATE ir_attachment SET access_token = 'forced-token', public = true WHERE id = %s",
            [attachment.id],
        )
        attachment.invalidate_recordset()
        for login in ("pbd_client", None):
            self.authenticate(login, login)
            for url in (
                f"/web/content/{attachment.id}?access_token=forced-token",
                f"/web/content/{attachment.id}",
                f"/web/content/pbd.signature.request/{sign_request.id}/signed_file",
            ):
                with self.subTest(login=login, url=url):
                    self.assertNoContent(self._get(url), self.pdf_bytes)


# ----------------------------------------------------------------------
# 2. Discuss channels, livechat, URL attachments, moved attachments
# ----------------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestChannelLeaks(LeakMixin, PbdHttpTestCommon):
    """A locked file shared in a discussion with the client.

    Livechat (``im_livechat``, not a dependency) is a ``discuss.channel`` of
    type ``livechat`` whose visitor is a ``mail.guest``, served by the same
    routes: the guest channel below stands for it.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._pbd_invoice(amount=1200.0)
        cls.deliverable = cls.invoice.pbd_deliverable_ids
        cls.file_attachment = (
            cls.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "pbd.deliverable"),
                    ("res_id", "=", cls.deliverable.id),
                    ("res_field", "=", "file"),
                ]
            )
        )
        cls.employee = cls.env.user
        cls.group = cls.env["discuss.channel"].create_group(
            partners_to=(cls.portal_user.partner_id | cls.employee.partner_id).ids, name="Lefèvre project"
        )
        cls.guest = cls.env["mail.guest"].create({"name": "Website visitor"})
        cls.support = cls.env["discuss.channel"].channel_create(name="Support", group_id=None)
        cls.support.add_members(guest_ids=cls.guest.ids)

    def setUp(self):
        super().setUp()
        self.assertEqual(self.deliverable.state, "locked")

    def _as_guest(self):
        self.authenticate(None, None)
        self.opener.cookies[self.guest._cookie_name] = self.guest._format_auth_cookie()

    def _post_in(self, channel):
        message = channel.message_post(
            body="Here is the report",
            attachments=[("report.pdf", self.pdf_bytes)],
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return message.attachment_ids

    def _member_urls(self, channel, attachment, token):
        cid, aid = channel.id, attachment.id
        return [
            f"/discuss/channel/{cid}/attachment/{aid}",
            f"/discuss/channel/{cid}/attachment/{aid}?download=true",
            f"/discuss/channel/{cid}/image/{aid}",
            f"/discuss/channel/{cid}/image/{aid}/100x100",
            f"/web/content/{aid}",
            f"/web/content/{aid}?download=true",
            f"/web/content/{aid}?access_token={token}",
            f"/web/image/{aid}",
            f"/web/image/{aid}?access_token={token}",
        ]

    def _attack_as_member(self, channel, attachment, login_as):
        token = attachment.sudo().generate_access_token()[0]
        login_as()
        for url in self._member_urls(channel, attachment, token):
            with self.subTest(url=url):
                self.assertNoContent(self._get(url), self.pdf_bytes, url)
        response = self.url_open(
            "/mail/attachment/zip",
            data={
                "file_ids": str(attachment.id),
                "zip_name": "all.zip",
                "csrf_token": http.Request.csrf_token(self),
            },
        )
        self.assertNoContent(response, self.pdf_bytes, "zip")

    @mute_logger(*MUTED)
    def test_locked_file_posted_in_a_channel_stays_locked_for_its_members(self):
        copy = self._post_in(self.group)
        self.assertEqual(copy.res_model, "discuss.channel")
        self._attack_as_member(self.group, copy, lambda: self.authenticate("pbd_client", "pbd_client"))
        # Once paid, the member gets it from the channel: we lock the content, not the link.
        self._pbd_pay(self.invoice)
        self.authenticate("pbd_client", "pbd_client")
        response = self._get(f"/discuss/channel/{self.group.id}/attachment/{copy.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.pdf_bytes)

    @mute_logger(*MUTED)
    def test_locked_file_in_a_guest_channel_stays_locked_for_the_visitor(self):
        copy = self._post_in(self.support)
        self._attack_as_member(self.support, copy, self._as_guest)

    @mute_logger(*MUTED)
    def test_copy_of_the_deliverable_attachment_on_a_channel_stays_locked(self):
        copy = self.file_attachment.sudo(False).copy(
            {
                "res_model": "discuss.channel",
                "res_id": self.group.id,
                "res_field": False,
                "name": "report.pdf",
            }
        )
        self._attack_as_member(self.group, copy, lambda: self.authenticate("pbd_client", "pbd_client"))

    @mute_logger(*MUTED)
    def test_deliverable_attachment_cannot_be_moved_out(self):
        attachment = self.file_attachment.sudo(False)
        other = self._pbd_invoice(amount=10.0).pbd_deliverable_ids
        attempts = [
            {"res_model": "discuss.channel", "res_id": self.group.id, "res_field": False},
            {"res_model": "discuss.channel", "res_id": self.group.id},
            {"res_id": other.id},
            {"res_field": False},
            {"res_field": "preview"},
            {"type": "url", "url": "/web/content/report.pdf"},
            {"url": "/pbd-leak/report.pdf"},
        ]
        for env_name, records in (("employee", attachment), ("superuser", attachment.sudo())):
            for vals in attempts:
                with (
                    self.subTest(env=env_name, vals=vals),
                    self.assertRaises(AccessError),
                    self.env.cr.savepoint(),
                ):
                    records.write(vals)
        self.assertEqual(
            (attachment.res_model, attachment.res_id, attachment.res_field),
            ("pbd.deliverable", self.deliverable.id, "file"),
        )
        # The same write, as the client over JSON-RPC.
        self.authenticate("pbd_client", "pbd_client")
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {
                    "model": "ir.attachment",
                    "method": "write",
                    "args": [attachment.ids, {"res_model": "discuss.channel", "res_id": self.group.id}],
                    "kwargs": {},
                },
            )
        response = self._get(f"/discuss/channel/{self.group.id}/attachment/{attachment.id}")
        self.assertNoContent(response, self.pdf_bytes)

    @mute_logger(*MUTED)
    def test_url_and_stored_name_attachments_lead_nowhere(self):
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": name,
                    "type": "url",
                    "url": url,
                    "res_model": "discuss.channel",
                    "res_id": self.group.id,
                }
                for name, url in (
                    ("by id", f"/web/content/{self.file_attachment.id}?download=true"),
                    ("by field", f"/web/content/pbd.deliverable/{self.deliverable.id}/file"),
                    ("portal", self.deliverable._get_download_url()),
                )
            ]
        )
        # Same stored file, same checksum: the ORM recomputes both from the content (none here).
        attachments |= self.env["ir.attachment"].create(
            {
                "name": "same store",
                "type": "binary",
                "store_fname": self.file_attachment.store_fname,
                "checksum": self.file_attachment.checksum,
                "mimetype": "application/pdf",
                "res_model": "discuss.channel",
                "res_id": self.group.id,
            }
        )
        self.group.message_post(body="Links", attachment_ids=attachments.ids, message_type="comment")
        self.authenticate("pbd_client", "pbd_client")
        for attachment in attachments:
            for url in (
                f"/discuss/channel/{self.group.id}/attachment/{attachment.id}",
                f"/web/content/{attachment.id}",
            ):
                with self.subTest(name=attachment.name, url=url):
                    # Follow the redirects, as the browser would.
                    self.assertNoContent(self.url_open(url), self.pdf_bytes, url)

    @mute_logger(*MUTED)
    def test_binary_attachment_served_at_its_url(self):
        # An administrator (who alone may give a binary attachment a URL) publishes a copy at a path.
        self.env["ir.attachment"].sudo().create(
            {
                "name": "report.pdf",
                "raw": self.pdf_bytes,
                "url": "/pbd-leak/report.pdf",
                "public": True,
                "res_model": "discuss.channel",
                "res_id": self.group.id,
            }
        )
        for login in ("pbd_client", None):
            self.authenticate(login, login)
            with self.subTest(login=login):
                self.assertNoContent(self._get("/pbd-leak/report.pdf"), self.pdf_bytes)


# ----------------------------------------------------------------------
# 3. Internal notes stay internal
# ----------------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestInternalNotesOverRpc(PbdHttpTestCommon):
    SECRET = "SECRET-NOTE-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        level = cls.env["pbd.followup.level"].create(
            {"name": "Firm reminder", "delay": 15, "company_id": cls.company.id}
        )
        partner_values = {
            "pbd_access_policy": "trusted",
            "pbd_trusted_until": "2099-12-31",
            "pbd_trust_reason": cls.SECRET + "trust",
            "pbd_promise_date": "2099-06-30",
            "pbd_followup_responsible_id": cls.env.user.id,
            "pbd_followup_excluded": True,
        }
        (cls.client_company | cls.client_contact | cls.other_partner).write(partner_values)
        cls.invoice = cls._pbd_invoice(invoice_date_due="2026-11-02")
        cls.invoice._pbd_bookkeeping_env().write(
            {
                "pbd_dispute": True,
                "pbd_dispute_note": cls.SECRET + "dispute",
                "pbd_followup_level_id": level.id,
                "pbd_followup_date": "2026-11-20",
            }
        )
        cls.other_invoice = cls._pbd_invoice(partner=cls.other_partner)

    @staticmethod
    def _module_fields(model):
        return sorted(
            name
            for name, field in model._fields.items()
            if "payment_before_document" in (field._modules or ()) and name.startswith("pbd_")
        )

    def _rpc(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def _attempts(self, model, ids, fname):
        attempts = [
            ("read", [ids, [fname]], {}),
            ("search_read", [[("id", "in", ids)]], {"fields": [fname]}),
            ("web_read", [ids], {"specification": {fname: {}}}),
            ("web_search_read", [[("id", "in", ids)]], {"specification": {fname: {}}}),
        ]
        field = self.env[model]._fields[fname]
        while field.related and field.related_field:  # res.users shows res.partner's
            field = field.related_field
        # Searching as an oracle ("which of my invoices have a dispute note?"), where a
        # search can read the value: stored columns and computed fields with a search method.
        # (Odoo ignores a search on other computed fields; on x2many it checks the comodel.)
        if (field.store and field.type not in ("one2many", "many2many")) or field.search:
            attempts.append(("search_count", [[("id", "in", ids), (fname, "!=", False)]], {}))
        return attempts

    @mute_logger(*MUTED)
    def test_client_reads_no_internal_note_over_json_rpc(self):
        targets = {
            "res.partner": (self.client_contact | self.client_company | self.other_partner).ids,
            # res.users shows its partner's fields (delegation): the client's own user.
            "res.users": self.portal_user.ids,
            "account.move": self.invoice.ids,
        }
        self.authenticate("pbd_client", "pbd_client")
        for model, ids in targets.items():
            module_fields = self._module_fields(self.env[model])
            self.assertTrue(module_fields)
            for fname in module_fields:
                for method, args, kwargs in self._attempts(model, ids, fname):
                    with self.subTest(model=model, field=fname, method=method):
                        try:
                            result = self._rpc(model, method, args, kwargs)
                        except JsonRpcException:
                            continue
                        if method == "search_count":
                            self.fail(f"{model}.{fname} can be searched by the client (count {result})")
                        rows = result["records"] if method == "web_search_read" else result
                        for row in rows:
                            self.assertNotIn(fname, row, f"{model}.{fname} read by the client: {row}")
            # The client does not even see them in the model's description.
            with self.subTest(model=model, method="fields_get"):
                described = self._rpc(model, "fields_get", [], {"attributes": ["type"]})
                self.assertFalse(set(described) & set(module_fields), f"{model}: fields_get")

    def test_portal_pages_still_work(self):
        self.authenticate("pbd_client", "pbd_client")
        for url in (self.invoice.get_portal_url(), "/my", "/my/invoices", "/my/documents", "/my/account"):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200)
                self.assertNotIn(self.SECRET, response.text)
        page = self.url_open(self.invoice.get_portal_url()).text
        self.assertIn(self.invoice.pbd_deliverable_ids.name, page)
        self.assertIn("o_pbd_deliverables", page)


# ----------------------------------------------------------------------
# 4. An image pasted in a deliverable's chatter
# ----------------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestDeliverableChatter(PbdHttpTestCommon):
    def test_image_posted_in_a_deliverables_chatter(self):
        deliverable = self._pbd_invoice().pbd_deliverable_ids
        self.authenticate("accountman", "accountman")
        response = self.url_open(
            "/mail/attachment/upload",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "thread_id": deliverable.id,
                "thread_model": "pbd.deliverable",
                "is_pending": "true",
            },
            files={"ufile": ("markup.png", PNG, "image/png")},
        )
        self.assertEqual(response.status_code, 200)
        uploaded_id = response.json()["data"]["ir.attachment"][0]["id"]
        pasted = "data:image/png;base64," + base64.b64encode(PNG).decode()
        self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "pbd.deliverable",
                "thread_id": deliverable.id,
                "post_data": {
                    "body": f'<p>See the marked-up page <img src="{pasted}"></p>',
                    "attachment_ids": [uploaded_id],
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
            },
        )
        message = deliverable.message_ids.filtered(lambda m: m.message_type == "comment")[:1]
        self.assertTrue(message, "the message is posted")
        attachments = message.attachment_ids.sudo()
        self.assertEqual(len(attachments), 2)
        self.assertEqual(set(attachments.mapped("res_model")), {"pbd.deliverable"})
        self.assertEqual(set(attachments.mapped("res_id")), {deliverable.id})
        self.assertFalse(any(attachments.mapped("res_field")))
        image = attachments.filtered(lambda a: a.id != uploaded_id)
        self.assertTrue(image.access_token, "the pasted image gets its token, as Odoo expects")
        self.assertIn(f"/web/image/{image.id}?access_token={image.access_token}", str(message.body))
        response = self.url_open(f"/web/image/{image.id}?access_token={image.access_token}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/png")
        # The uploaded one may get a token too (portal chatter, big emails): allowed.
        uploaded = attachments.browse(uploaded_id)
        self.assertTrue(uploaded.generate_access_token()[0])


# ----------------------------------------------------------------------
# 5. What a download is, and what the log records
# ----------------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestDownloadLog(LeakMixin, PbdHttpTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice_paid = cls._pbd_invoice(amount=800.0)
        cls._pbd_pay(cls.invoice_paid)
        cls.released = cls.invoice_paid.pbd_deliverable_ids
        cls.invoice_locked = cls._pbd_invoice(amount=1200.0)
        cls.locked = cls.invoice_locked.pbd_deliverable_ids

    def setUp(self):
        super().setUp()
        self.assertEqual(self.released.state, "released")

    def _downloads(self):
        return self.env["pbd.deliverable.download"].search([], order="id")

    def test_head_request_is_not_a_download(self):
        self.authenticate("pbd_client", "pbd_client")
        binary = type(self.env["ir.binary"])
        streamed = []
        original = binary._get_stream_from

        def spy(this, record, *args, **kwargs):
            streamed.append((record._name, args[:1]))
            return original(this, record, *args, **kwargs)

        with patch.object(binary, "_get_stream_from", spy):
            response = self.url_open(self.released._get_download_url(), head=True)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self._downloads(), "a HEAD request is not a download")
        self.assertFalse(streamed, "a HEAD request does not open the file")
        self.assertIn("attachment", response.headers.get("Content-Disposition", ""))

    def test_cross_site_requests_are_not_downloads(self):
        self.authenticate("pbd_client", "pbd_client")
        url = self.released._get_download_url()
        evil = "https://evil.example/page.html"
        not_downloads = {
            "img src on another site": {
                "Sec-Fetch-Site": "cross-site",
                "Sec-Fetch-Mode": "no-cors",
                "Sec-Fetch-Dest": "image",
                "Referer": evil,
            },
            "link on another site (webmail)": {
                "Sec-Fetch-Site": "cross-site",
                "Sec-Fetch-Mode": "navigate",
                "Sec-Fetch-Dest": "document",
                "Sec-Fetch-User": "?1",
            },
            "link on a sibling site": {
                "Sec-Fetch-Site": "same-site",
                "Sec-Fetch-Mode": "navigate",
                "Sec-Fetch-Dest": "document",
            },
            "link prefetch": {
                "Sec-Fetch-Site": "same-origin",
                "Sec-Fetch-Mode": "no-cors",
                "Sec-Fetch-Dest": "empty",
                "Sec-Purpose": "prefetch",
            },
            "img src on our own pages": {
                "Sec-Fetch-Site": "same-origin",
                "Sec-Fetch-Mode": "no-cors",
                "Sec-Fetch-Dest": "image",
            },
            "old browser, Referer of another site": {"Referer": evil},
            "old browser, Origin of another site": {"Origin": "https://evil.example"},
        }
        for name, headers in not_downloads.items():
            with self.subTest(name):
                response = self._get(url, headers=headers)
                self.assertEqual(response.status_code, 303)
                self.assertIn(f"/my/invoices/{self.invoice_paid.id}", response.headers["Location"])
                self.assertIn("#pbd_deliverables", response.headers["Location"])
                self.assertNoContent(response, self.pdf_bytes)
                self.assertFalse(self._downloads(), f"{name}: logged as a download")
        downloads = {
            "click on the invoice page": {
                "Sec-Fetch-Site": "same-origin",
                "Sec-Fetch-Mode": "navigate",
                "Sec-Fetch-Dest": "document",
                "Referer": self.base_url() + self.invoice_paid.get_portal_url(),
            },
            "fetch by the portal page": {
                "Sec-Fetch-Site": "same-origin",
                "Sec-Fetch-Mode": "cors",
                "Sec-Fetch-Dest": "empty",
            },
            "typed or bookmarked": {
                "Sec-Fetch-Site": "none",
                "Sec-Fetch-Mode": "navigate",
                "Sec-Fetch-Dest": "document",
            },
            "old browser, our own page": {"Referer": self.base_url() + "/my/documents"},
            "no browser at all": {},
        }
        for count, (name, headers) in enumerate(downloads.items(), start=1):
            with self.subTest(name):
                response = self._get(url, headers=headers)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.content, self.pdf_bytes)
                self.assertEqual(len(self._downloads()), count, f"{name}: not logged")

    def test_log_records_ip_and_browser_behind_a_proxy(self):
        self.authenticate("pbd_client", "pbd_client")
        url = self.released._get_download_url()
        host = self.base_url().split("://", 1)[1]
        browser = "Mozilla/5.0 (PbdTest) Firefox/140.0"
        forwarded = {"User-Agent": browser, "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": host}
        # Without proxy mode, a client's X-Forwarded-For is not believed.
        with patch.dict(config.options, {"proxy_mode": False}):
            self.assertEqual(self._get(url, headers=forwarded).status_code, 200)
        # Behind Odoo's proxy mode, the proxy's header gives the client's address.
        with patch.dict(config.options, {"proxy_mode": True}):
            self.assertEqual(self._get(url, headers=forwarded).status_code, 200)
        direct, proxied = self._downloads()
        self.assertEqual(direct.ip_address, "127.0.0.1")
        self.assertEqual(proxied.ip_address, "203.0.113.9")
        self.assertEqual((direct + proxied).mapped("user_agent"), [browser, browser])
        self.assertFalse(direct.by_staff or proxied.by_staff)
        self.assertEqual(direct.file_kind, "original")

    def test_staff_downloads_from_the_back_office_are_logged(self):
        self.authenticate("accountman", "accountman")
        deliverable = self.locked
        with self.assertNoLogs("odoo.http", level="WARNING"):
            # The binary widget of the form view posts to /web/content; the link form is a GET.
            response = self.url_open(
                "/web/content",
                data={
                    "model": "pbd.deliverable",
                    "id": deliverable.id,
                    "field": "file",
                    "filename_field": "file_name",
                    "download": "true",
                    "csrf_token": http.Request.csrf_token(self),
                },
            )
            self.assertEqual(response.content, self.pdf_bytes)
            response = self._get(f"/web/content/pbd.deliverable/{deliverable.id}/file?download=true")
            self.assertEqual(response.content, self.pdf_bytes)
        log = self._downloads()
        self.assertEqual(len(log), 2, "each staff download is logged")
        self.assertEqual(set(log.mapped("by_staff")), {True})
        self.assertEqual(log.user_id, self.env.user)
        self.assertEqual(log.deliverable_id, deliverable)
        self.assertEqual(set(log.mapped("file_kind")), {"original"})
        # Neither the preview, nor pictures, nor a HEAD request are downloads.
        for url in (
            f"/web/content/pbd.deliverable/{deliverable.id}/preview",
            f"/web/image/pbd.deliverable/{deliverable.id}/file",
            f"/web/image/pbd.deliverable/{deliverable.id}/preview",
        ):
            with self.subTest(url=url):
                self.assertEqual(self._get(url).status_code, 200)
        self.url_open(f"/web/content/pbd.deliverable/{deliverable.id}/file", head=True)
        self.assertEqual(len(self._downloads()), 2)
        # The portal route used by a member of staff is marked too; the client's is not.
        self._get(self.released._get_download_url())
        self.authenticate("pbd_client", "pbd_client")
        self._get(self.released._get_download_url())
        staff, client = self._downloads()[2:]
        self.assertTrue(staff.by_staff)
        self.assertFalse(client.by_staff)
