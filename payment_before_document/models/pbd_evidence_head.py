from odoo import fields, models


class PbdEvidenceHead(models.Model):
    """The last row of a company's evidence chain.

    Every append locks this row (``FOR UPDATE``) and updates it: two appends
    at the same moment cannot both chain to the same row; under Odoo's
    REPEATABLE READ the later one gets a serialization failure and Odoo
    retries it on a fresh snapshot. Written with SQL only.
    """

    _name = "pbd.evidence.head"
    _description = "Signature Evidence Chain Head"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    row_id = fields.Integer(readonly=True)
    row_hash = fields.Char(readonly=True)

    _sql_constraints = [("company_unique", "unique(company_id)", "One chain head per company.")]
