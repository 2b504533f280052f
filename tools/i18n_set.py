"""Set French translations in i18n/fr.po from a small Python dict file.

    python i18n_set.py MODULE_DIR TRANSLATIONS.py

TRANSLATIONS.py defines ``FR = {"English source": "Texte français", ...}``.
"""

import pathlib
import runpy
import sys

import polib


def main(module_dir, translations):
    fr_path = pathlib.Path(module_dir) / "i18n" / "fr.po"
    table = runpy.run_path(translations)["FR"]
    po = polib.pofile(str(fr_path))
    done = 0
    for entry in po:
        if entry.msgid in table:
            entry.msgstr = table[entry.msgid]
            done += 1
    po.save(str(fr_path))
    print(f"{done} translation(s) set; {len(po.untranslated_entries())} still untranslated")


if __name__ == "__main__":
    main(*sys.argv[1:3])
