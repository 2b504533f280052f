"""Write payment_before_document/README.rst from its readme/ fragments.

OCA's generator is not on PyPI; this small one handles the Markdown the
fragments use (paragraphs, "-" and "1." lists, *emphasis*, **strong** and
`code`). ``--check`` exits 1 when README.rst is not up to date.
"""

import ast
import pathlib
import re
import sys

MODULE = pathlib.Path(__file__).resolve().parent.parent / "payment_before_document"
SECTIONS = [
    ("DESCRIPTION.md", None),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("ROADMAP.md", "Known issues / Roadmap"),
    ("HISTORY.md", "Changelog"),
    ("CONTRIBUTORS.md", "Contributors"),
]


def md_to_rst(text):
    text = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", text)
    return text.strip() + "\n"


def title(text, char):
    return f"{text}\n{char * len(text)}\n"


def render():
    manifest = ast.literal_eval((MODULE / "__manifest__.py").read_text())
    name = manifest["name"]
    out = ["=" * len(name), name, "=" * len(name), ""]
    out.append(f"**{manifest['summary']}**")
    out.append("")
    out.append(f"*Version {manifest['version']} — licence {manifest['license']}*")
    out.append("")
    out.append(".. contents::\n   :local:\n")
    for filename, heading in SECTIONS:
        path = MODULE / "readme" / filename
        if not path.exists():
            continue
        if heading:
            out.append(title(heading, "="))
        out.append(md_to_rst(path.read_text()))
    out.append(title("Authors", "="))
    out.append(f"- {manifest['author']}\n")
    return "\n".join(out)


def main():
    target = MODULE / "README.rst"
    content = render()
    if "--check" in sys.argv:
        if not target.exists() or target.read_text() != content:
            print("README.rst is out of date: run `make readme`.")
            return 1
        return 0
    target.write_text(content)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
