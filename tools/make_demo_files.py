"""Regenerate the demo deliverables shipped in payment_before_document/demo/files.

Run with the project's venv (reportlab and XlsxWriter come with Odoo's
requirements): .cache/venv/bin/python tools/make_demo_files.py
"""

import pathlib

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
import xlsxwriter

OUT = pathlib.Path(__file__).resolve().parent.parent / "payment_before_document" / "demo" / "files"

SECTIONS = [
    ("1. Objet de la mission", "Diagnostic structurel du bâtiment B, niveaux R+1 à R+3."),
    ("2. Méthodologie", "Relevés sur site, sondages destructifs ponctuels et note de calcul."),
    ("3. Constats", "Fissuration des poutres du R+2, corrosion localisée des armatures."),
    ("4. Recommandations", "Renforcement par tissus de fibres de carbone et reprise des enrobages."),
    ("5. Chiffrage indicatif", "Travaux estimés entre 48 000 et 55 000 euros HT."),
    ("6. Annexes", "Plans de repérage, photographies et résultats d'essais."),
]


def make_pdf(path):
    pdf = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    pdf.setTitle("Rapport de diagnostic structurel")
    for number, (title, text) in enumerate(SECTIONS, start=1):
        pdf.setFont("Helvetica-Bold", 18)
        pdf.drawString(60, height - 90, "Rapport de diagnostic structurel")
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(60, height - 140, title)
        pdf.setFont("Helvetica", 11)
        y = height - 170
        for _ in range(20):
            pdf.drawString(60, y, text)
            y -= 18
        pdf.setFont("Helvetica", 9)
        pdf.drawRightString(width - 60, 40, f"Page {number} / {len(SECTIONS)}")
        pdf.showPage()
    pdf.save()


def make_xlsx(path):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Métré")
    sheet.write_row(0, 0, ["Poste", "Unité", "Quantité", "Prix unitaire HT", "Total HT"])
    rows = [
        ("Renfort fibres de carbone", "m²", 120, 210),
        ("Reprise d'enrobage", "m²", 45, 150),
        ("Échafaudage", "forfait", 1, 6500),
    ]
    for index, (item, unit, qty, price) in enumerate(rows, start=1):
        sheet.write_row(index, 0, [item, unit, qty, price])
        sheet.write_formula(index, 4, f"=C{index + 1}*D{index + 1}")
    book.close()


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    make_pdf(OUT / "rapport_diagnostic_structurel.pdf")
    make_xlsx(OUT / "metre_travaux.xlsx")
    make_pdf(OUT / "note_intermediaire.pdf")
    print("written to", OUT)
