from lxml import html
from markupsafe import Markup

from odoo import api, models
from odoo.tools import safe_eval


class MailRenderMixin(models.AbstractModel):
    _inherit = "mail.render.mixin"

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """A follow-up run renders one email template for thousands of clients: compile it once.

        Odoo compiles a template's QWeb source again for each record. During
        a follow-up run (its statements in the context) the source is compiled
        once, then rendered for each client with the same values Odoo gives
        it. Anything else (other renderings, restricted rendering by a user
        who may not edit templates, plain placeholders) is Odoo's own path.
        """
        if (
            not self.env.context.get("pbd_followup_values")
            or not template_src
            or len(res_ids or ()) < 2
            or not self._has_unsafe_expression_template_qweb(template_src, model)
            or not (
                self._unrestricted_rendering
                or self.env.is_admin()
                or self.env.user.has_group("mail.group_mail_template_editor")
            )
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        qweb = self.env["ir.qweb"].with_context(**(options or {}))
        template = html.fragment_fromstring(template_src, create_parent="div")
        render = None
        results = {}
        for record in self.env[model].browse(res_ids):
            values = dict(variables, object=record)
            prepared = qweb._prepare_environment(values)
            safe_eval.check_values(values)
            if render is None:
                functions, def_name = prepared._compile(template)
                render = functions[def_name]
            # Without the <div> wrapping the template's nodes, as Odoo does.
            results[record.id] = Markup("".join(render(prepared, values)))[5:-6]
        return results
