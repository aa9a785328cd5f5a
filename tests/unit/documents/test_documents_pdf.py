"""The invoice PDF, rendered for real and read back with pdfplumber and pypdf."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pdfplumber
import pypdf
import pytest
from documents_helpers import (
    COMPANY,
    SELLER,
    en_money,
    fr_amount,
    fr_money,
    half_up,
    line,
    make_invoice,
    norm,
    page_texts,
    qr_images,
    spaced,
)

from invoicing.documents import format as fmt
from invoicing.documents.fonts import CHARSET, InvoicePDF, attach_prepared_fonts
from invoicing.documents.labels import _LABELS
from invoicing.documents.mentions import WORDING
from invoicing.documents.pdf import render_pdf
from invoicing.domain.invoice import Invoice, Line
from invoicing.domain.vat import EXEMPTIONS, VatCategory

# --- what we expect, computed from the rules ---------------------------------------------------


def expected_net(ln: Line) -> Decimal:
    gross = half_up(ln.quantity * ln.unit_price)
    if ln.discount is None:
        return gross
    if ln.discount.percent is not None:
        return gross - half_up(gross * ln.discount.percent / 100)
    assert ln.discount.amount is not None
    return gross - half_up(ln.discount.amount)


def expected_vat(invoice: Invoice) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Standard rate -> (base, VAT), from the lines and adjustments, VAT rounded once per rate."""
    bases: dict[Decimal, Decimal] = {}
    for ln in invoice.lines:
        if ln.vat.category is VatCategory.STANDARD:
            bases[ln.vat.rate] = bases.get(ln.vat.rate, Decimal(0)) + expected_net(ln)
    for adj in invoice.draft.adjustments:
        if adj.vat.category is VatCategory.STANDARD:
            bases[adj.vat.rate] = bases.get(adj.vat.rate, Decimal(0)) + (
                adj.amount if adj.is_charge else -adj.amount
            )
    return {rate: (base, half_up(base * rate / 100)) for rate, base in bases.items()}


def expected_totals(invoice: Invoice) -> tuple[Decimal, Decimal, Decimal]:
    ht = sum((expected_net(ln) for ln in invoice.lines), Decimal(0)) + sum(
        (a.amount if a.is_charge else -a.amount for a in invoice.draft.adjustments), Decimal(0)
    )
    tva = sum((vat for _, vat in expected_vat(invoice).values()), Decimal(0))
    return ht, tva, ht + tva


#: The 40 EUR recovery fee, not the end of an amount such as "1 481,40 €".
RECOVERY_FEE = re.compile(r"(?<![\d,.])40 €")


def text_of(pdf: bytes) -> str:
    return norm("\n".join(page_texts(pdf)))


def lines_of(pdf: bytes) -> list[str]:
    return [norm(ln) for page in page_texts(pdf) for ln in page.splitlines()]


# --- French mandatory mentions ------------------------------------------------------------------


def test_one_page_business_invoice_has_every_mandatory_mention(
    business_invoice: Invoice, business_pdf: bytes
) -> None:
    pages = page_texts(business_pdf)
    assert len(pages) == 1
    text = norm(pages[0])
    invoice, seller, buyer = business_invoice, SELLER, COMPANY

    # Seller identity.
    for mention in (
        seller.legal_name,
        f"{seller.legal_form} au capital de {norm(fr_money(Decimal(10000)))}",
        f"RCS {seller.rcs_city}",
        f"N° TVA {seller.vat_id}",
        "14 rue de la République",
        "69002 Lyon",
    ):
        assert mention in text, mention
    assert re.search("SIRET " + spaced(seller.siret).pattern, text)
    assert re.search(f"RCS {seller.rcs_city} " + spaced(seller.siren).pattern, text)

    # Buyer identity.
    for mention in (buyer.name, *buyer.address.lines, "38000 Grenoble", f"N° TVA {buyer.vat_id}"):
        assert mention in text, mention
    assert re.search("SIREN " + spaced(buyer.siren or "").pattern, text)

    # Number, dates, order reference.
    assert f"N° {invoice.number}" in text
    assert "Date d'émission 30/11/2026" in text
    assert "Période de la vente / prestation 01/11/2026 – 30/11/2026" in text
    assert "Échéance 30/12/2026" in text
    assert "PO-2026/118" in text

    # Each line: quantity, unit price, (discount), VAT rate and total, as its own row of the table.
    rows = lines_of(business_pdf)
    for ln in invoice.lines:
        standard = ln.vat.category is VatCategory.STANDARD
        cells = [
            ln.description,
            fmt.quantity(ln.quantity, "fr"),
            ln.unit,
            fmt.unit_price(ln.unit_price, "fr"),
            fmt.percent(ln.discount.percent, "fr") if ln.discount and ln.discount.percent else "",
            fmt.percent(ln.vat.rate, "fr") if standard else ln.vat.category.value,
            fr_amount(expected_net(ln)),
        ]
        assert norm(" ".join(cells)) in rows, cells
    assert "Audit organisationnel 2,5 jour 1 234,50 10 % 20 % 2 777,62" in rows  # one row written out

    # VAT per rate: the summary table and the totals block.
    for rate, (base, vat) in expected_vat(invoice).items():
        summary = norm(f"{fmt.percent(rate, 'fr')} {fr_amount(base)} {fr_amount(vat)}")
        assert any(r.startswith(summary) for r in rows), summary
        assert norm(f"TVA {fmt.percent(rate, 'fr')} {fr_money(vat)}") in text
    assert any(r.startswith("0 % (G) 100,00 0,00") for r in rows)

    ht, _tva, ttc = expected_totals(invoice)
    assert norm(f"Total HT {fr_money(ht)}") in text
    assert norm(f"Total TTC {fr_money(ttc)}") in text

    # Payment: due date, terms, bank details.
    assert "Échéance 30 décembre 2026" in text
    assert "Conditions 30 jours" in text
    assert re.search("IBAN " + spaced(seller.iban or "").pattern + " BIC AGRIFRPP", text)
    assert f"Référence à rappeler {invoice.number}" in text

    # Legal mentions for a business buyer.
    assert "pénalités au taux de 12,5 % par an sont exigibles" in text
    assert "indemnité forfaitaire pour frais de recouvrement de 40 €" in text
    assert RECOVERY_FEE.search(text)
    assert "Pas d'escompte pour paiement anticipé." in text
    assert "Opération : prestation de services." in text
    assert EXEMPTIONS["export"].text_fr in text


def test_total_vat_amount_is_printed_when_there_are_several_rates(
    business_invoice: Invoice, business_pdf: bytes
) -> None:
    _, tva, _ = expected_totals(business_invoice)
    assert norm(f"Total TVA {fr_money(tva)}") in text_of(business_pdf)


def test_consumer_invoice_has_no_recovery_fee_mention(consumer_invoice: Invoice, consumer_pdf: bytes) -> None:
    text = text_of(consumer_pdf)
    assert consumer_invoice.buyer.name in text
    assert not RECOVERY_FEE.search(text)
    assert "recouvrement" not in text
    assert "pénalités" not in text
    assert "SIREN" not in text  # the buyer has none; the seller's SIREN is printed after RCS
    assert "Pas d'escompte pour paiement anticipé." in text
    assert "Date de la vente / prestation 12/11/2026" in text
    _, _, ttc = expected_totals(consumer_invoice)
    assert norm(f"Total TTC {fr_money(ttc)}") in text
    assert not consumer_invoice.exemptions
    assert "Exonération" not in text


# --- PDF/A-3B, fonts, text layer ------------------------------------------------------------------


def _reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


@pytest.mark.parametrize("which", ["business_pdf", "foreign_script_pdf"])
def test_pdf_declares_pdfa_3b(which: str, request: pytest.FixtureRequest) -> None:
    pdf: bytes = request.getfixturevalue(which)
    assert pdf.startswith(b"%PDF-")
    root = _reader(pdf).trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(?:>|=\")\s*3\b", xmp)
    assert re.search(r"pdfaid:conformance(?:>|=\")\s*B\b", xmp)
    intents = [i.get_object() for i in root["/OutputIntents"]]
    assert any(i["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents)


@pytest.mark.parametrize("which", ["business_pdf", "long_pdf", "foreign_script_pdf"])
def test_every_font_is_embedded_with_a_unicode_map(which: str, request: pytest.FixtureRequest) -> None:
    reader = _reader(request.getfixturevalue(which))
    seen = 0
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            seen += 1
            assert "/ToUnicode" in font, font
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])]
            descriptors = [d["/FontDescriptor"].get_object() for d in descendants] or [
                font["/FontDescriptor"]
            ]
            assert all("/FontFile2" in d for d in descriptors), descriptors
    assert seen >= 2  # regular and bold


def test_accented_text_and_euro_sign_come_back_exactly(business_pdf: bytes) -> None:
    raw = "\n".join(page_texts(business_pdf))
    assert "Société Dauphinoise de Transports" in raw
    assert "Date d'émission" in raw
    assert "Matériel livré hors UE" in raw
    assert "Bâtiment B" in raw
    assert "€" in raw
    assert "\ufffd" not in raw
    assert "(cid:" not in raw


def test_rendering_is_deterministic(business_invoice: Invoice, business_pdf: bytes) -> None:
    assert render_pdf(business_invoice) == business_pdf


def test_fallback_rendering_is_deterministic(
    foreign_script_invoice: Invoice, foreign_script_pdf: bytes
) -> None:
    assert render_pdf(foreign_script_invoice) == foreign_script_pdf


# --- long documents -------------------------------------------------------------------------------


def test_sixty_lines_flow_onto_several_pages(long_invoice: Invoice, long_pdf: bytes) -> None:
    pages = [norm(p) for p in page_texts(long_pdf)]
    count = len(pages)
    assert count >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number}/{count}" in text, number
        assert re.findall(r"Page \d+/\d+", text) == [f"Page {number}/{count}"]
        if "Article " in text:
            assert "Désignation" in text, f"table header missing on page {number}"
    for number, text in enumerate(pages[1:], start=2):
        assert f"FACTURE {long_invoice.number} (suite)" in text, number
    # Every line exactly once, in order.
    found = [int(n) for text in pages for n in re.findall(r"Article (\d{3})", text)]
    assert found == list(range(1, 61))
    # Totals once, on the last page that has them.
    all_text = " ".join(pages)
    _, _, ttc = expected_totals(long_invoice)
    assert all_text.count("Total TTC") == 1
    assert all_text.count(norm(fr_money(ttc))) == 1
    assert all_text.count("Récapitulatif TVA") == 1


MM = 72 / 25.4
#: From pdf.py's layout: the body stops at 273 mm, the footer rule is at 280 mm (A4 is 297 mm high).
BODY_BOTTOM_MM, FOOTER_TOP_MM = 273.0, 280.0


@pytest.mark.parametrize("count", [21, 22, 47])
def test_page_breaks_keep_the_body_above_the_footer_and_blocks_whole(count: int) -> None:
    """Line counts where the payment box, the totals, or the table reach the bottom of a page."""
    lines = tuple(
        line(f"Article {n:03d}", "1", "10", rate=("20", "10", "5.5")[n % 3]) for n in range(1, count + 1)
    )
    pdf = render_pdf(make_invoice(COMPANY, lines, number="FA2026-00100"))
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            body = [c for c in page.chars if c["top"] < FOOTER_TOP_MM * MM]
            assert max(c["bottom"] for c in body) <= BODY_BOTTOM_MM * MM
        texts = [norm(page.extract_text()) for page in document.pages]
    assert [int(n) for t in texts for n in re.findall(r"Article (\d{3})", t)] == list(range(1, count + 1))
    assert sum(t.count("Total TTC") for t in texts) == 1
    payment_page = next(t for t in texts if "Paiement" in t)
    assert "Pas d'escompte pour paiement anticipé." in payment_page  # legal lines stay with the payment box
    assert "Scannez pour payer par virement" in payment_page


# --- characters outside the prepared fonts --------------------------------------------------------


def test_names_outside_the_prepared_charset_are_rendered_exactly(
    foreign_script_invoice: Invoice, foreign_script_pdf: bytes
) -> None:
    assert not CHARSET.issuperset(foreign_script_invoice.buyer.name)
    raw = "\n".join(page_texts(foreign_script_pdf))
    assert "Αθηνά Nguyễn" in raw
    assert "Traduction ελληνικά / tiếng Việt" in raw
    # The rest of the document is as readable as on the fast path.
    text = norm(raw)
    for mention in ("FACTURE", "Désignation", SELLER.legal_name, "Pas d'escompte pour paiement anticipé."):
        assert mention in text
    _, _, ttc = expected_totals(foreign_script_invoice)
    assert norm(f"Total TTC {fr_money(ttc)}") in text


def test_prepared_pdf_notes_characters_it_cannot_draw() -> None:
    pdf = InvoicePDF(unit="mm", format="A4")
    attach_prepared_fonts(pdf)
    pdf.add_page()
    pdf.set_font("LiberationSans", "", 10)
    pdf.text(10, 10, "Société — 1\u202f234,50\u00a0€")
    assert pdf.outside_charset == set()
    pdf.text(10, 20, "Αθηνά Nguyễn")
    assert pdf.outside_charset == set("Αθηνά Nguyễn") - CHARSET == {"Α", "θ", "η", "ν", "ά", "ễ"}


def test_every_printed_wording_fits_the_prepared_charset() -> None:
    """Ordinary French and English invoices never need the slow fallback path."""
    wordings = [text for pair in (*_LABELS.values(), *WORDING.values()) for text in pair]
    wordings += [e.text_fr for e in EXEMPTIONS.values()] + [e.text_en for e in EXEMPTIONS.values()]
    wordings += [fmt.money(Decimal("-1234567.89"), loc) for loc in ("fr", "en")]
    wordings += [fmt.percent(Decimal("5.5"), loc) for loc in ("fr", "en")]
    wordings += [fmt.long_day(date(2026, month, 1), loc) for month in range(1, 13) for loc in ("fr", "en")]
    for text in wordings:
        assert CHARSET.issuperset(text), set(text) - CHARSET


# --- English --------------------------------------------------------------------------------------


def test_english_invoice_uses_english_labels_and_numbers(
    english_invoice: Invoice, english_pdf: bytes
) -> None:
    text = text_of(english_pdf)
    assert "INVOICE" in text
    assert "FACTURE" not in text
    assert "BILL TO" in text
    assert "Due date 31/01/2027" in text  # 30/11/2026 + 45 days, end of that month
    assert "Due date 31 January 2027" in text
    assert "Terms 45 days end of month" in text
    assert "Issue date 30/11/2026" in text
    ht, _, ttc = expected_totals(english_invoice)
    assert ttc >= 1000  # so that grouping shows
    assert f"Total excl. VAT {en_money(ht)}" in text
    assert f"Total incl. VAT {en_money(ttc)}" in text
    assert f"Charge: Shipping {en_money(Decimal('35.00'))}" in text
    for rate, (base, vat) in expected_vat(english_invoice).items():
        assert f"VAT {rate.normalize():f}% {en_money(vat)}" in text
        assert f"{rate.normalize():f}% {base:,.2f} {vat:,.2f}" in text
    rows = lines_of(english_pdf)
    consulting = next(r for r in rows if r.startswith("Consulting"))
    assert consulting.endswith("3 u 950.00 20% 2,850.00")
    assert EXEMPTIONS["intracom"].text_en in text
    assert "plus a fixed compensation of €40 for recovery costs" in text
    assert "No discount for early payment." in text
    assert "Liège — BE" in text
    assert not re.search(r"\d,\d{2}(?!\d)", text)  # no French decimal comma anywhere


# --- credit notes ---------------------------------------------------------------------------------


def test_credit_note_names_what_it_corrects_and_has_no_payment_code(
    credit_note: Invoice, credit_note_pdf: bytes
) -> None:
    text = text_of(credit_note_pdf)
    assert "AVOIR" in text
    assert "FACTURE" not in text
    assert "Avoir sur la facture FA2026-00007 du 15/10/2026" in text
    assert "Motif Journée d'audit du 14/10 annulée" in text
    assert "AVOIR AU PROFIT DE" in text
    _, _, ttc = expected_totals(credit_note)
    assert norm(f"Montant de l'avoir TTC {fr_money(ttc)}") in text
    assert "Montant à déduire de vos prochains règlements" in text
    assert qr_images(credit_note_pdf) == []  # no QR code
    assert "Scannez pour payer" not in text
    assert not RECOVERY_FEE.search(text)
