"""The straightforward fpdf2 renderer: the baseline, rendering the same invoice.

What one writes first with fpdf2, for every invoice: a new FPDF in PDF/A-3B mode, add_font for
both faces (parses the TrueType files), the same content as our invoice laid out with cell(),
multi_cell() and table() (lines and VAT summary), the SEPA QR code the usual way (segno PNG
into image()), a footer with the page number, then output() (which subsets the fonts with
fontTools). Same information on the page as invoicing.documents.pdf.render_pdf.
"""

from __future__ import annotations

import io

from invoicing.documents import format as fmt
from invoicing.documents.fonts import FACES, FONT_DIR
from invoicing.documents.qr import epc_payload
from invoicing.domain.invoice import Invoice


def render_baseline(invoice: Invoice) -> bytes:
    import segno
    from fpdf import FPDF

    seller, buyer, loc, totals = invoice.seller, invoice.buyer, "fr", invoice.totals
    identity = (
        f"{seller.legal_name} — {seller.legal_form} au capital de {fmt.money(seller.share_capital, loc)} — "
        f"SIRET {fmt.siret(seller.siret)} — RCS {seller.rcs_city} {seller.siren} — N° TVA {seller.vat_id}"
    )

    class Invoice(FPDF):
        def footer(self) -> None:
            self.set_y(-18)
            self.set_font("sans", "", 7)
            self.multi_cell(160, 3.5, identity, align="C")
            self.set_xy(-35, -18)
            self.cell(20, 3.5, f"Page {self.page_no()}/{{nb}}", align="R")

    pdf = Invoice(format="A4", enforce_compliance="PDF/A-3B")
    for style, name in FACES.items():
        pdf.add_font("sans", style, FONT_DIR / name)
    pdf.set_title(f"Facture {invoice.number}")
    pdf.set_author(seller.legal_name)
    pdf.add_page()
    pdf.set_font("sans", "B", 15)
    pdf.cell(110, 8, seller.legal_name)
    pdf.set_font("sans", "B", 22)
    pdf.cell(0, 8, "FACTURE", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", "", 9)
    address = [*seller.address.lines, f"{seller.address.postcode} {seller.address.city}"]
    pdf.multi_cell(110, 4.5, "\n".join([*address, f"{seller.email} · {seller.phone}"]))
    pdf.set_font("sans", "B", 11)
    pdf.cell(0, 6, f"N° {invoice.number}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", "", 9)
    y = pdf.get_y() + 4
    pdf.set_fill_color(241, 243, 246)
    pdf.set_xy(110, y)
    pdf.multi_cell(
        84,
        4.5,
        "\n".join(
            [
                "FACTURÉ À",
                buyer.name,
                *buyer.address.lines,
                f"{buyer.address.postcode} {buyer.address.city}",
                f"SIREN {buyer.siren}",
                f"N° TVA {buyer.vat_id}",
            ]
        ),
        fill=True,
    )
    pdf.set_xy(pdf.l_margin, y)
    period = f"{fmt.day(invoice.draft.period_start, loc)} – {fmt.day(invoice.draft.period_end, loc)}"
    for name, value in (
        ("Date d'émission", fmt.day(invoice.issue_date, loc)),
        ("Période de la vente / prestation", period),
        ("Échéance", fmt.day(invoice.due_date, loc)),
        ("Votre référence", invoice.draft.order_ref or ""),
        ("Réf. client", buyer.ref),
    ):
        pdf.cell(48, 5, name)
        pdf.cell(45, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), y + 36))
    with pdf.table(
        col_widths=(62, 18, 12, 14, 20, 14, 14, 22),
        text_align=("LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
    ) as table:
        table.row(("Désignation", "Date", "Qté", "Unité", "PU HT", "Remise", "TVA", "Total HT"))
        for line in invoice.lines:
            discount = (
                fmt.percent(line.discount.percent, loc) if line.discount and line.discount.percent else ""
            )
            table.row(
                (
                    line.description,
                    fmt.day(line.service_date, loc) if line.service_date else "",
                    fmt.quantity(line.quantity, loc),
                    line.unit,
                    fmt.unit_price(line.unit_price, loc),
                    discount,
                    fmt.percent(line.vat.rate, loc),
                    fmt.amount(line.net_amount, loc),
                )
            )
    pdf.ln(4)
    y = pdf.get_y()
    with pdf.table(
        width=90, col_widths=(26, 32, 32), align="LEFT", text_align=("LEFT", "RIGHT", "RIGHT")
    ) as table:
        table.row(("Taux", "Base HT", "Montant TVA"))
        for b in totals.breakdown:
            table.row((fmt.percent(b.vat.rate, loc), fmt.amount(b.basis, loc), fmt.amount(b.amount, loc)))
    pdf.set_y(y)
    for name, value in (
        ("Total HT", totals.tax_basis_total),
        *((f"TVA {fmt.percent(b.vat.rate, loc)}", b.amount) for b in totals.breakdown),
        ("Total TVA", totals.vat_total),
        ("Total TTC", totals.grand_total),
    ):
        pdf.set_x(120)
        pdf.cell(40, 6, name)
        pdf.cell(0, 6, fmt.money(value, loc), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    y = pdf.get_y()
    pdf.multi_cell(
        140,
        5,
        f"Paiement\nÉchéance : {fmt.long_day(invoice.due_date, loc)}\nConditions : "
        f"{invoice.payment_terms.describe(loc)}\nVirement bancaire : IBAN {seller.iban}   BIC {seller.bic}\n"
        f"Référence à rappeler : {invoice.number}",
    )
    qr = segno.make(
        epc_payload(
            name=seller.legal_name,
            iban=seller.iban,
            bic=seller.bic,
            amount=totals.grand_total,
            text=invoice.number,
        ),
        error="m",
    )
    image = io.BytesIO()
    qr.save(image, kind="png", scale=10, border=0)
    pdf.image(image, x=165, y=y, w=27, h=27)
    pdf.set_y(y + 32)
    pdf.set_font("sans", "", 7.3)
    pdf.multi_cell(
        0,
        3.4,
        "En cas de retard de paiement, des pénalités au taux de trois fois le taux d'intérêt légal sont "
        "exigibles de plein droit dès le lendemain de l'échéance, ainsi qu'une indemnité forfaitaire pour "
        "frais de recouvrement de 40 € (C. com. art. L441-10 et D441-5).\nPas d'escompte pour paiement "
        "anticipé.\nOpération : prestation de services.",
    )
    return bytes(pdf.output())
