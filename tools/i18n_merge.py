"""Merge a fresh .pot into i18n/fr.po, keeping existing translations.

    python i18n_merge.py NEW.pot MODULE_DIR

Writes MODULE_DIR/i18n/<module>.pot and fr.po (entries gone from the code
are dropped) and lists the terms that still need French.
"""

import pathlib
import sys

import polib


def main(pot_path, module_dir):
    module_dir = pathlib.Path(module_dir)
    pot = polib.pofile(pot_path)
    fr_path = module_dir / "i18n" / "fr.po"
    old = {entry.msgid: entry.msgstr for entry in polib.pofile(str(fr_path))} if fr_path.exists() else {}
    pot.save(str(module_dir / "i18n" / f"{module_dir.name}.pot"))
    fr = polib.pofile(pot_path)
    fr.metadata["Language"] = "fr"
    fr.metadata["Plural-Forms"] = "nplurals=2; plural=(n > 1);"
    missing = []
    for entry in fr:
        entry.msgstr = old.get(entry.msgid, "")
        if not entry.msgstr:
            missing.append(entry.msgid)
    fr.save(str(fr_path))
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"fr.po: {len(fr) - len(missing)} translated, {len(missing)} to translate")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
