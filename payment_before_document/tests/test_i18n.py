"""French first: every term of the module has a French translation."""

import os

from odoo.tests import TransactionCase, tagged
from odoo.tools import file_path
from odoo.tools.translate import PoFileReader, TranslationModuleReader

MODULE = "payment_before_document"


@tagged("post_install", "-at_install")
class TestFrenchTranslation(TransactionCase):
    def test_fr_po_is_complete(self):
        path = file_path(os.path.join(MODULE, "i18n", "fr.po"))
        with open(path, "rb") as handle:
            translated = {row["src"] for row in PoFileReader(handle) if row["value"]}
        terms = {row[4] for row in TranslationModuleReader(self.env.cr, modules=[MODULE])}
        self.assertTrue(terms, "the module has translatable terms")
        missing = sorted(term for term in terms if term not in translated)
        self.assertFalse(
            missing,
            "i18n/fr.po lacks French for these terms (export with --i18n-export, then translate):\n"
            + "\n".join(repr(term[:120]) for term in missing),
        )
