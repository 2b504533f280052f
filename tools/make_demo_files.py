"""Regenerate the demo files shipped in payment_before_document/demo/files.

The firm's logo (PNG) and the deliverables of the demo invoices: reports
with a table of contents, a set of plans, a spreadsheet, each distinct.

Run with the project's venv (Pillow, reportlab and XlsxWriter come with
Odoo's requirements): .cache/venv/bin/python tools/make_demo_files.py
"""

import pathlib

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib import colors
from reportlab.lib.pagesizes import A3, A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
import xlsxwriter

OUT = pathlib.Path(__file__).resolve().parent.parent / "payment_before_document" / "demo" / "files"
FIRM = "Moreau Ingénierie"
FIRM_LINE = "Moreau Ingénierie – bureau d'études structure – 18 quai Saint-Antoine, 69002 Lyon"
BLUE = colors.HexColor("#1F4E79")
FONT_DIR = pathlib.Path("/usr/share/fonts/truetype/dejavu")


def _font(size, bold=False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:
        return ImageFont.load_default(size)


def make_logo(path):
    """A square-ish logo: a blue block with the initials, the firm's name beside."""
    image = Image.new("RGBA", (600, 180), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 10, 170, 170), radius=24, fill=(31, 78, 121, 255))
    draw.polygon([(40, 140), (90, 50), (140, 140)], outline=(255, 255, 255, 255), width=8)
    draw.line([(62, 105), (118, 105)], fill=(255, 255, 255, 255), width=8)
    draw.text((195, 30), "MOREAU", font=_font(64, bold=True), fill=(31, 78, 121, 255))
    draw.text((198, 108), "INGÉNIERIE", font=_font(40), fill=(90, 90, 90, 255))
    image.save(path)


def _header(pdf, width, height, title):
    pdf.setFillColor(BLUE)
    pdf.rect(0, height - 18 * mm, width, 18 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(20 * mm, height - 11 * mm, FIRM)
    pdf.setFont("Helvetica", 9)
    pdf.drawRightString(width - 20 * mm, height - 11 * mm, title)
    pdf.setFillColor(colors.black)


def _footer(pdf, width, number, total):
    pdf.setFont("Helvetica", 8)
    pdf.setFillColor(colors.grey)
    pdf.drawString(20 * mm, 12 * mm, FIRM_LINE)
    pdf.drawRightString(width - 20 * mm, 12 * mm, f"Page {number} / {total}")
    pdf.setFillColor(colors.black)


def _paragraph(pdf, text, x, y, width_chars=95, leading=15):
    words, line = text.split(), ""
    for word in words:
        if len(line) + len(word) + 1 > width_chars:
            pdf.drawString(x, y, line)
            y -= leading
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        pdf.drawString(x, y, line)
        y -= leading
    return y - 6


def make_report(path, title, subtitle, client, reference, sections, table=None):
    """A report: cover page, table of contents, one page per section."""
    width, height = A4
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(title)
    pdf.setAuthor(FIRM)
    total = len(sections) + 2
    # Cover
    pdf.setFillColor(BLUE)
    pdf.rect(0, height - 90 * mm, width, 90 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(20 * mm, height - 25 * mm, FIRM.upper())
    pdf.setFont("Helvetica-Bold", 26)
    pdf.drawString(20 * mm, height - 60 * mm, title)
    pdf.setFont("Helvetica", 14)
    pdf.drawString(20 * mm, height - 72 * mm, subtitle)
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 11)
    y = height - 115 * mm
    rows = (("Client", client), ("Référence", reference), ("Version", "Indice A – diffusion client"))
    for label, value in rows:
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(20 * mm, y, label)
        pdf.setFont("Helvetica", 11)
        pdf.drawString(55 * mm, y, value)
        y -= 8 * mm
    _footer(pdf, width, 1, total)
    pdf.showPage()
    # Table of contents
    _header(pdf, width, height, title)
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(20 * mm, height - 40 * mm, "Sommaire")
    y = height - 55 * mm
    for number, (heading, _text) in enumerate(sections, start=3):
        pdf.setFont("Helvetica", 12)
        pdf.drawString(25 * mm, y, heading)
        pdf.setDash(1, 3)
        pdf.line(25 * mm + pdf.stringWidth(heading, "Helvetica", 12) + 3, y, width - 32 * mm, y)
        pdf.setDash()
        pdf.drawRightString(width - 25 * mm, y, str(number))
        y -= 9 * mm
    _footer(pdf, width, 2, total)
    pdf.showPage()
    # Sections
    for number, (heading, paragraphs) in enumerate(sections, start=3):
        _header(pdf, width, height, title)
        pdf.setFont("Helvetica-Bold", 16)
        pdf.setFillColor(BLUE)
        pdf.drawString(20 * mm, height - 40 * mm, heading)
        pdf.setFillColor(colors.black)
        pdf.setFont("Helvetica", 11)
        y = height - 52 * mm
        for text in paragraphs:
            y = _paragraph(pdf, text, 20 * mm, y)
        if table and number == 3 + table["section"]:
            y -= 4 * mm
            col = [20 * mm, 95 * mm, 120 * mm, 145 * mm]
            pdf.setFillColor(colors.HexColor("#DDE7F0"))
            pdf.rect(18 * mm, y - 2 * mm, width - 36 * mm, 7 * mm, stroke=0, fill=1)
            pdf.setFillColor(colors.black)
            pdf.setFont("Helvetica-Bold", 10)
            for x, text in zip(col, table["header"], strict=True):
                pdf.drawString(x, y, text)
            pdf.setFont("Helvetica", 10)
            for row in table["rows"]:
                y -= 7 * mm
                for x, text in zip(col, row, strict=True):
                    pdf.drawString(x, y, text)
        _footer(pdf, width, number, total)
        pdf.showPage()
    pdf.save()


def make_plans(path):
    """A set of plans: a floor plan and a section, A3 landscape, with title blocks."""
    width, height = landscape(A3)
    pdf = canvas.Canvas(str(path), pagesize=landscape(A3))
    pdf.setTitle("Dossier APD – plans")
    pdf.setAuthor(FIRM)
    sheets = [("PLAN DU NIVEAU R+1", "APD-STR-101"), ("COUPE AA", "APD-STR-201")]
    for number, (name, code) in enumerate(sheets, start=1):
        pdf.setLineWidth(1.5)
        pdf.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
        ox, oy = 40 * mm, 75 * mm
        pdf.setLineWidth(0.6)
        if number == 1:
            # grid of axes and columns
            for i in range(7):
                x = ox + i * 45 * mm
                pdf.setDash(6, 3)
                pdf.line(x, oy - 10 * mm, x, oy + 190 * mm)
                pdf.setDash()
                pdf.circle(x, oy - 15 * mm, 5 * mm)
                pdf.drawCentredString(x, oy - 16.5 * mm, str(i + 1))
            for j in range(5):
                y = oy + j * 45 * mm
                pdf.setDash(6, 3)
                pdf.line(ox - 10 * mm, y, ox + 280 * mm, y)
                pdf.setDash()
                pdf.circle(ox - 15 * mm, y, 5 * mm)
                pdf.drawCentredString(ox - 15 * mm, y - 1.5 * mm, "ABCDE"[j])
                for i in range(7):
                    pdf.rect(ox + i * 45 * mm - 2 * mm, y - 2 * mm, 4 * mm, 4 * mm, fill=1)
            pdf.setLineWidth(3)
            pdf.rect(ox - 3 * mm, oy - 3 * mm, 276 * mm, 186 * mm)
            pdf.setLineWidth(0.6)
            pdf.setFont("Helvetica", 9)
            pdf.drawString(ox + 50 * mm, oy + 95 * mm, "Dalle BA ép. 22 cm – charge d'exploitation 2,5 kN/m²")
        else:
            pdf.setLineWidth(2)
            for level in range(4):
                y = oy + level * 45 * mm
                pdf.rect(ox, y, 270 * mm, 6 * mm)
                pdf.setFont("Helvetica", 9)
                label = f"R+{level}  niv. {level * 3.2:+.2f} m".replace(".", ",")
                pdf.drawString(ox + 275 * mm, y + 1 * mm, label)
            for i in range(7):
                pdf.line(ox + i * 45 * mm, oy, ox + i * 45 * mm, oy + 141 * mm)
            pdf.setLineWidth(0.6)
            pdf.line(ox - 10 * mm, oy - 8 * mm, ox + 280 * mm, oy - 8 * mm)
            pdf.drawString(ox, oy - 14 * mm, "Fondations superficielles – semelles filantes 60 × 40 cm")
        # title block
        bx, by, bw, bh = width - 150 * mm, 10 * mm, 140 * mm, 45 * mm
        pdf.setLineWidth(1)
        pdf.rect(bx, by, bw, bh)
        pdf.setFont("Helvetica-Bold", 12)
        pdf.drawString(bx + 4 * mm, by + bh - 8 * mm, FIRM)
        pdf.setFont("Helvetica", 9)
        pdf.drawString(bx + 4 * mm, by + bh - 14 * mm, "Réhabilitation immeuble de bureaux – Lyon 7e")
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(bx + 4 * mm, by + bh - 24 * mm, name)
        pdf.setFont("Helvetica", 9)
        pdf.drawString(bx + 4 * mm, by + 10 * mm, f"N° {code}   Échelle 1/100   Indice A")
        pdf.drawString(bx + 4 * mm, by + 4 * mm, f"Phase APD – planche {number} / {len(sheets)}")
        pdf.showPage()
    pdf.save()


def make_xlsx(path):
    book = xlsxwriter.Workbook(str(path))
    bold = book.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1})
    money = book.add_format({"num_format": "#,##0.00 €", "border": 1})
    cell = book.add_format({"border": 1})
    total = book.add_format({"bold": True, "num_format": "#,##0.00 €", "border": 1})
    sheet = book.add_worksheet("Métré")
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 4, 16)
    sheet.write(0, 0, "Métré estimatif – renforcement du bâtiment B", book.add_format({"bold": True}))
    sheet.write_row(2, 0, ["Poste", "Unité", "Quantité", "Prix unitaire HT", "Total HT"], bold)
    rows = [
        ("Installation de chantier", "forfait", 1, 4200),
        ("Échafaudage de façade", "m²", 380, 14.5),
        ("Renfort par tissus de fibres de carbone", "m²", 120, 210),
        ("Reprise d'enrobage des armatures", "m²", 45, 150),
        ("Injection de fissures à la résine", "ml", 85, 68),
        ("Contrôles et essais", "forfait", 1, 2800),
    ]
    for index, (item, unit, qty, price) in enumerate(rows, start=3):
        sheet.write(index, 0, item, cell)
        sheet.write(index, 1, unit, cell)
        sheet.write(index, 2, qty, cell)
        sheet.write(index, 3, price, money)
        sheet.write_formula(index, 4, f"=C{index + 1}*D{index + 1}", money)
    last = 3 + len(rows)
    sheet.write(last, 3, "Total HT", bold)
    sheet.write_formula(last, 4, f"=SUM(E4:E{last})", total)
    book.close()


DIAGNOSTIC = [
    (
        "1. Objet de la mission",
        [
            (
                "Le présent rapport rend compte du diagnostic structurel du bâtiment B, niveaux R+1 à R+3, "
                "réalisé à la demande du maître d'ouvrage avant travaux de réaménagement."
            ),
        ],
    ),
    (
        "2. Méthodologie",
        [
            (
                "Relevés géométriques sur site, sondages destructifs ponctuels, mesures de carbonatation "
                "et de profondeur d'enrobage, puis note de calcul selon l'Eurocode 2."
            ),
        ],
    ),
    (
        "3. Constats",
        [
            (
                "Fissuration des poutres du R+2 en travée, corrosion localisée des armatures en sous-face "
                "des balcons et enrobages insuffisants sur la façade nord."
            ),
        ],
    ),
    (
        "4. Recommandations",
        [
            (
                "Renforcement des poutres par tissus de fibres de carbone, reprise des enrobages, "
                "injection des fissures et traitement anticorrosion des armatures apparentes."
            ),
        ],
    ),
    (
        "5. Chiffrage indicatif",
        ["Les travaux sont estimés comme suit (valeurs hors taxes, à affiner en phase projet)."],
    ),
    ("6. Annexes", ["Plans de repérage des sondages, reportage photographique et procès-verbaux d'essais."]),
]
DIAGNOSTIC_TABLE = {
    "section": 4,
    "header": ["Poste", "Unité", "Quantité", "Montant HT"],
    "rows": [
        ["Renfort fibres de carbone", "m²", "120", "25 200 €"],
        ["Reprise d'enrobage", "m²", "45", "6 750 €"],
        ["Injection de fissures", "ml", "85", "5 780 €"],
        ["Installation, échafaudage", "forfait", "1", "9 710 €"],
    ],
}

FEASIBILITY = [
    (
        "1. Contexte et programme",
        ["Surélévation d'un niveau d'un immeuble R+3 en maçonnerie, rue Garibaldi."],
    ),
    (
        "2. Hypothèses de charges",
        ["Charges permanentes, d'exploitation et de neige selon les Eurocodes 0 et 1."],
    ),
    (
        "3. Capacité portante existante",
        ["Murs porteurs et fondations admettent la surcharge, sous réserve de sondages complémentaires."],
    ),
    ("4. Scénarios étudiés", ["Ossature bois légère, ossature métallique, structure mixte bois-béton."]),
    ("5. Conclusion", ["La surélévation est faisable en ossature bois, sans reprise en sous-œuvre."]),
]

INTERIM = [
    (
        "1. Avancement de la phase APS",
        ["Le parti structurel est arrêté : poteaux-poutres béton, planchers dalle."],
    ),
    (
        "2. Prédimensionnement",
        ["Portées de 7,20 m, dalles de 22 cm, poteaux de 30 × 30 cm aux niveaux courants."],
    ),
    ("3. Points à valider", ["Position des trémies techniques et charge des locaux d'archives au R+1."]),
]

AUDIT = [
    ("1. Périmètre de l'audit", ["Organisation du service études, circuits de validation, outils de suivi."]),
    ("2. Entretiens menés", ["Douze entretiens individuels et deux ateliers collectifs sur trois semaines."]),
    ("3. Constats", ["Délais de validation allongés par des circuits parallèles ; outils peu partagés."]),
    ("4. Plan d'action", ["Un circuit unique, un tableau de bord hebdomadaire, une revue mensuelle."]),
]

EXPERTISE = [
    ("1. Description du bien", ["Immeuble de bureaux de 1974, R+5 sur deux niveaux de sous-sol, 4 200 m²."]),
    ("2. État de la structure", ["Structure saine ; désordres localisés sur les dalles du parking."]),
    ("3. Risques identifiés", ["Étanchéité de la toiture-terrasse en fin de vie ; joints de dilatation."]),
    ("4. Budget de remise en état", ["Travaux estimés à 310 000 € HT, dont 180 000 € pour le parking."]),
    ("5. Avis", ["Avis favorable à l'acquisition, sous réserve de la provision indiquée."]),
]


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in ("note_intermediaire.pdf",):
        (OUT / stale).unlink(missing_ok=True)
    make_logo(OUT / "logo_moreau_ingenierie.png")
    make_report(
        OUT / "rapport_diagnostic_structurel.pdf",
        "Rapport de diagnostic structurel",
        "Bâtiment B – niveaux R+1 à R+3",
        "Lefèvre Architectes SARL",
        "MI-2026-041",
        DIAGNOSTIC,
        DIAGNOSTIC_TABLE,
    )
    make_xlsx(OUT / "metre_travaux.xlsx")
    make_report(
        OUT / "etude_faisabilite.pdf",
        "Étude de faisabilité",
        "Surélévation d'un immeuble – rue Garibaldi",
        "Lefèvre Architectes SARL",
        "MI-2026-032",
        FEASIBILITY,
    )
    make_report(
        OUT / "note_intermediaire_aps.pdf",
        "Note intermédiaire – phase APS",
        "Réhabilitation immeuble de bureaux – Lyon 7e",
        "Lefèvre Architectes SARL",
        "MI-2026-047",
        INTERIM,
    )
    make_plans(OUT / "plans_apd.pdf")
    make_report(
        OUT / "rapport_audit_organisationnel.pdf",
        "Rapport d'audit organisationnel",
        "Service études – Martin Conseil",
        "Martin Conseil",
        "MI-2026-050",
        AUDIT,
    )
    make_report(
        OUT / "expertise_avant_acquisition.pdf",
        "Expertise avant acquisition",
        "Immeuble de bureaux – Lyon 3e",
        "Groupe Durand Immobilier",
        "MI-2026-052",
        EXPERTISE,
    )
    print("written to", OUT)
