"""The offline supplier-invoice reader (text layer, Tesseract): label knowledge, totals arithmetic,
identifiers, hostile documents, and its accuracy on documents from elsewhere (Factur-X PDFs scored
against their own XML, invoice2data's samples) and on our own rendered invoices."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from invoicing.domain.supplier_invoice import Engine
from invoicing.ingest import supplier_text
from invoicing.ingest.supplier_text import (
    MAX_PAGES,
    UnreadableDocument,
    read_pdf_text,
    read_scan,
    read_text,
)
from tests.conftest import fixture_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "documents"))
import documents_helpers as dh

FACTURX_PDFS = (
    ("facturx", "akretion", "pdf", "invoice_EN16931.pdf"),
    ("facturx", "mustang", "pdf-fr", "Facture_F20180027.pdf"),
    ("facturx", "mustang", "pdf-fr", "validAvoir_FR_type380_BASICWL.pdf"),
)
SCORED = (
    "invoice_number",
    "issue_date",
    "due_date",
    "supplier_name",
    "supplier_vat_id",
    "total_excl_tax",
    "total_tax",
    "total_incl_tax",
    "currency",
)


def _text(text: str) -> Any:
    return read_text(text, document_hash="0" * 64)


def _pdf(lines: list[tuple[float, float, str]], *, size: int = 10, pages: int = 1) -> bytes:
    """A small PDF with text at (x, y) millimetres: enough to cover a layout's label tables."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=size)
    for _ in range(pages):
        pdf.add_page()
        for x, y, text in lines:
            pdf.text(x, y, text)
    return bytes(pdf.output())


# --- documents from elsewhere: Factur-X PDFs scored against their embedded XML ------------------


def _truth(data: bytes) -> dict[str, Any]:
    import facturx

    from invoicing.documents.cii_read import read_cii

    _, xml = facturx.get_xml_from_pdf(data, check_xsd=False)
    doc = read_cii(xml)
    assert doc.seller is not None
    return {
        "invoice_number": doc.number,
        "issue_date": doc.issue_date,
        "due_date": doc.due_date,
        "supplier_name": doc.seller.name,
        "supplier_vat_id": doc.seller.vat_id,
        "total_excl_tax": doc.totals.tax_basis_total,
        "total_tax": doc.totals.tax_total,
        "total_incl_tax": doc.totals.grand_total,
        "currency": doc.currency,
    }


def same(field: str, got: Any, want: Any) -> bool:
    """A field read equals the truth; a name without its legal form and case ("Au bon moulin
    SARL" is "Au bon moulin")."""
    if field == "supplier_name":
        return bool(got) and supplier_text._name_key(got) == supplier_text._name_key(want or "")
    return got == want


@pytest.mark.parametrize("parts", FACTURX_PDFS, ids=lambda p: p[-1])
def test_facturx_pdfs_read_without_their_xml_match_the_xml(parts: tuple[str, ...]) -> None:
    data = fixture_path(*parts).read_bytes()
    got = read_pdf_text(data)
    truth = _truth(data)
    misses = {f: (getattr(got, f), truth[f]) for f in SCORED if not same(f, getattr(got, f), truth[f])}
    # Known misses: none on these three today (27 of 27 fields). The credit note's amount due is
    # not labelled on its page (its "Total TTC" is), so amount_due stays None there: not scored.
    assert misses == {}
    assert got.engine is Engine.TEXT
    assert got.document_hash == hashlib.sha256(data).hexdigest()
    assert all(0 < got.confidence[f] <= 1 for f in SCORED)


def test_the_credit_note_is_one_and_its_vat_takes_the_sign_of_its_totals() -> None:
    got = read_pdf_text(fixture_path(*FACTURX_PDFS[2]).read_bytes())
    assert got.credit_note
    # the page prints "Taxes 14,99 €" beside -218,48 and -233,47: the arithmetic gives the sign
    assert (got.total_excl_tax, got.total_tax, got.total_incl_tax) == (
        Decimal("-218.48"),
        Decimal("-14.99"),
        Decimal("-233.47"),
    )
    assert {(v.rate, v.tax) for v in got.vat} == {
        (Decimal("20"), Decimal("-4.10")),
        (Decimal("5.5"), Decimal("-10.89")),
    }
    assert got.buyer_vat_id == "FR19787878784"


def test_the_buyer_and_the_fiscal_representative_are_not_the_supplier() -> None:
    got = read_pdf_text(fixture_path(*FACTURX_PDFS[0]).read_bytes())
    assert got.supplier_vat_id == "FR11123456782"  # not the tax representative's, not the buyer's
    assert got.buyer_vat_id == "FR05987654321"
    assert got.supplier_siren == "123456782"
    assert got.amount_due == Decimal("104.90")
    assert got.supplier_iban == "FR2012542547256985425874698"


# --- invoice2data's samples -----------------------------------------------------------------------

I2D = {
    "issuer": "supplier_name",
    "amount": "total_incl_tax",
    "amount_untaxed": "total_excl_tax",
    "amount_tax": "total_tax",
    "date": "issue_date",
    "date_due": "due_date",
    "invoice_number": "invoice_number",
    "currency": "currency",
}
#: What is not read, and why (each one a document property, not a rule to tune):
I2D_KNOWN_MISSES = {
    # no "excl. VAT" figure printed: only charges and a 0.00 tax, or a total without VAT
    ("AmazonWebServices", "total_excl_tax"),
    ("QualityHosting", "total_excl_tax"),
    # invoice2data's issuer is the brand; the document's seller is the legal entity
    ("FlipkartInvoice", "supplier_name"),  # WS Retail Services Pvt. Ltd.
    ("oyo", "supplier_name"),  # Oravel Stays Pvt. Ltd.
    # the issuer is only in an image (saeco) or not on the page at all (Sammy's test label)
    ("saeco", "supplier_name"),
    ("SammyMaystoneLinesTest", "supplier_name"),
    # invoice2data's own template reads "F" out of "F 1234K20/1234/12"
    ("Orlen", "invoice_number"),
}


def _i2d_same(field: str, got: Any, want: Any) -> bool:
    if got is None:
        return False
    if field.startswith("total"):
        return got == Decimal(str(want)).quantize(Decimal("0.01"))
    if field.endswith("date"):
        return got.isoformat() == want
    if field == "invoice_number":
        return got.lstrip("#") == str(want).lstrip("#")
    return same(field, got, want)


def test_invoice2data_samples() -> None:
    folder = fixture_path("extraction", "invoice2data", "compare")
    misses = set()
    total = 0
    for expected_file in sorted(folder.glob("*.json")):
        expected = json.loads(expected_file.read_text())[0]
        pdf, txt = expected_file.with_suffix(".pdf"), expected_file.with_suffix(".txt")
        got = read_pdf_text(pdf.read_bytes()) if pdf.exists() else _text(txt.read_text())
        for key, field in I2D.items():
            if key in expected:
                total += 1
                if not _i2d_same(field, getattr(got, field), expected[key]):
                    misses.add((expected_file.stem, field))
    assert misses == I2D_KNOWN_MISSES, sorted(misses ^ I2D_KNOWN_MISSES)
    assert total - len(misses) >= 65  # 65 of 72 fields


# --- our own invoices, rendered by the project ------------------------------------------------------


@pytest.mark.parametrize("client", [dh.COMPANY, dh.ENGLISH], ids=["fr", "en"])
def test_our_rendered_invoices_read_back(client: Any) -> None:
    from invoicing.documents.pdf import render_pdf

    invoice = dh.make_invoice(
        client,
        (dh.line("Conseil", "2", "450"), dh.line("Formation sur site", "1", "1234.5", rate="10")),
        number="FA2026-00107",
    )
    got = read_pdf_text(render_pdf(invoice))
    totals = invoice.totals
    assert got.invoice_number == "FA2026-00107"
    assert (got.issue_date, got.due_date) == (invoice.issue_date, invoice.due_date)
    assert got.supplier_name == invoice.seller.legal_name
    assert got.supplier_vat_id == invoice.seller.vat_id
    assert got.supplier_siret == invoice.seller.siret
    assert got.supplier_iban == invoice.seller.iban
    assert (got.total_excl_tax, got.total_tax, got.total_incl_tax) == (
        totals.tax_basis_total,
        totals.vat_total,
        totals.grand_total,
    )
    assert got.currency == "EUR"
    assert got.buyer_vat_id == client.vat_id
    assert {v.rate for v in got.vat} == {Decimal("20"), Decimal("10")}
    assert got.confidence["total_incl_tax"] >= 0.9


# --- pdfium's characters laid out as pdfplumber lays them out -------------------------------------------


def _layout_cases() -> list[tuple[str, bytes]]:
    from invoicing.documents.pdf import render_pdf

    cases = [(parts[-1], fixture_path(*parts).read_bytes()) for parts in FACTURX_PDFS]
    folder = fixture_path("extraction", "invoice2data", "compare")
    cases += [(path.name, path.read_bytes()) for path in sorted(folder.glob("*.pdf"))]
    for name, client in (("ours-fr", dh.COMPANY), ("ours-en", dh.ENGLISH)):
        invoice = dh.make_invoice(client, (dh.line("Conseil", "2", "450"),), number="FA2026-00107")
        cases.append((name, render_pdf(invoice)))
    return cases


def test_pdfium_pages_read_as_pdfplumber_reads_them() -> None:
    """The fast reading (pdfium's characters, pdfplumber's layout rebuilt) gives the very text
    pdfplumber gives, character for character, on every document from elsewhere and on ours:
    ligatures and emoji glyphs that stand for several characters, spaces pdfium drops or adds,
    standard fonts' metrics, inherited MediaBoxes, two-page documents."""
    started = time.monotonic()
    for name, data in _layout_cases():
        fast = supplier_text._pdfium_page_texts(data, MAX_PAGES, started)
        slow = list(supplier_text._pdfplumber_page_texts(data, MAX_PAGES, started))
        assert fast == slow, name


def test_rotated_text_is_left_to_pdfplumber() -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    pdf.add_page()
    pdf.text(20, 20, "Facture n° F-2024-001")
    pdf.text(20, 30, "Total TTC 120,00 EUR")
    with pdf.rotation(90, x=10, y=200):
        pdf.text(10, 200, "Document printed sideways")
    data = bytes(pdf.output())
    assert supplier_text._pdfium_page_texts(data, MAX_PAGES, time.monotonic()) is None
    assert supplier_text.pdf_page_texts(data) == list(
        supplier_text._pdfplumber_page_texts(data, MAX_PAGES, time.monotonic())
    )
    got = read_pdf_text(data)
    assert (got.invoice_number, got.total_incl_tax) == ("F-2024-001", Decimal("120.00"))


def test_a_pdf_pdfium_cannot_open_gets_pdfminers_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdfium2

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise pypdfium2.PdfiumError("Failed to load document (PDFium: Data format error).")

    monkeypatch.setattr(pypdfium2, "PdfDocument", refuse)
    got = read_pdf_text(_pdf([(20, 20, "Facture n° 12"), (20, 30, "Total TTC 12,00")]))
    assert (got.invoice_number, got.total_incl_tax) == ("12", Decimal("12.00"))


# --- synthetic layouts: German and English label tables ----------------------------------------------


def test_a_german_invoice() -> None:
    data = _pdf(
        [
            (15, 20, "Muster Technik GmbH - Hauptstraße 5 - 10115 Berlin"),
            (15, 40, "Rechnungsempfänger:"),
            (15, 45, "Kunde AG"),
            (15, 50, "Bahnhofstraße 12"),
            (15, 55, "80331 München"),
            (120, 40, "Rechnungsnummer: RE-2024-0815"),
            (120, 45, "Rechnungsdatum: 31. Dezember 2024"),
            (120, 50, "Zahlbar bis: 30.01.2025"),
            (15, 80, "Pos. Beschreibung Menge Einzelpreis Gesamt"),
            (15, 86, "1 Wartung 2 1.000,00 2.000,00"),
            (110, 110, "Nettobetrag"),
            (160, 110, "2.000,00 EUR"),
            (110, 116, "MwSt. 19 %"),
            (160, 116, "380,00 EUR"),
            (110, 122, "Gesamtbetrag"),
            (160, 122, "2.380,00 EUR"),
            (15, 270, "Muster Technik GmbH, Geschäftsführer: Max Muster, USt-IdNr.: DE136695976"),
            (15, 275, "IBAN: DE89 3704 0044 0532 0130 00"),
        ]
    )
    got = read_pdf_text(data)
    assert got.invoice_number == "RE-2024-0815"
    assert got.issue_date == date(2024, 12, 31)
    assert got.due_date == date(2025, 1, 30)
    assert got.supplier_name == "Muster Technik GmbH"
    assert got.supplier_vat_id == "DE136695976"
    assert got.supplier_iban == "DE89370400440532013000"
    assert (got.total_excl_tax, got.total_tax, got.total_incl_tax) == (
        Decimal("2000.00"),
        Decimal("380.00"),
        Decimal("2380.00"),
    )
    assert got.currency == "EUR"
    assert got.buyer_name == "Kunde AG"


def test_an_english_invoice_with_a_table_of_totals() -> None:
    data = _pdf(
        [
            (15, 20, "Northwind Supplies Ltd"),
            (15, 25, "12 Harbour Road"),
            (15, 30, "Bristol BS1 4DJ"),
            (120, 20, "INVOICE"),
            (120, 30, "Invoice No: NW-7731"),
            (120, 35, "Invoice date: Dec 31 2024"),
            (120, 40, "Payment due: January 30, 2025"),
            (15, 50, "Bill to:"),
            (15, 55, "Contoso SARL"),
            (15, 60, "VAT: FR45831479258"),
            (15, 90, "Consulting services"),
            (150, 90, "1,250.00"),
            (100, 120, "Subtotal"),
            (150, 120, "GBP 1,250.00"),
            (100, 126, "VAT 20%"),
            (150, 126, "GBP 250.00"),
            (100, 132, "Total"),
            (150, 132, "GBP 1,500.00"),
            (15, 270, "Northwind Supplies Ltd - VAT Reg No GB 123 4567 90"),
        ]
    )
    got = read_pdf_text(data)
    assert got.invoice_number == "NW-7731"
    assert got.issue_date == date(2024, 12, 31)
    assert got.due_date == date(2025, 1, 30)
    assert got.supplier_name == "Northwind Supplies Ltd"
    assert got.buyer_name == "Contoso SARL"
    assert got.buyer_vat_id == "FR45831479258"
    assert got.supplier_vat_id != "FR45831479258"
    assert (got.total_excl_tax, got.total_tax, got.total_incl_tax) == (
        Decimal("1250.00"),
        Decimal("250.00"),
        Decimal("1500.00"),
    )
    assert got.currency == "GBP"


# --- plain text: amounts, dates, labels -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("1 234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1234.56", "1234.56"),
        ("1 234,56 €", "1234.56"),
        ("EUR 12.00", "12.00"),
        ("-12,50", "-12.50"),
        ("(12.50)", "-12.50"),
        ("1\u202f234,56\u00a0€", "1234.56"),
    ],
)
def test_amount_formats(written: str, value: str) -> None:
    got = _text(f"Total TTC : {written}")
    assert got.total_incl_tax == Decimal(value)


@pytest.mark.parametrize(
    "written",
    [
        "31/12/2024",
        "31.12.2024",
        "2024-12-31",
        "31 décembre 2024",
        "December 31, 2024",
        "31. Dezember 2024",
        "Dec 31 2024",
        "31.12.24",
    ],
)
def test_date_formats(written: str) -> None:
    assert _text(f"Invoice date: {written}").issue_date == date(2024, 12, 31)


def test_month_first_dates_when_the_document_says_so() -> None:
    got = _text("Invoice date: 03/04/2024\nDue date: 04/20/2024")
    assert (got.issue_date, got.due_date) == (date(2024, 3, 4), date(2024, 4, 20))
    assert _text("Date de facture : 03/04/2024").issue_date == date(2024, 4, 3)


@pytest.mark.parametrize(
    "line",
    [
        "Facture n° F-2024-001",
        "N° de facture : F-2024-001",
        "Invoice #F-2024-001",
        "Rechnung Nr. F-2024-001",
        "Belegnummer: F-2024-001",
    ],
)
def test_invoice_number_labels(line: str) -> None:
    assert _text(line).invoice_number == "F-2024-001"


def test_order_and_delivery_dates_are_not_the_issue_date() -> None:
    got = _text("Order date: 01/02/2024\nDelivery date: 03/02/2024\nDate: 05/02/2024")
    assert got.issue_date == date(2024, 2, 5)


def test_totals_are_chosen_by_their_arithmetic() -> None:
    text = "\n".join(
        [
            "Total HT           100,00",
            "TVA 20 %            20,00",
            "Remise               5,00",
            "Total               120,00",
        ]
    )
    got = _text(text)
    assert (got.total_excl_tax, got.total_tax, got.total_incl_tax) == (
        Decimal("100.00"),
        Decimal("20.00"),
        Decimal("120.00"),
    )
    assert got.confidence["total_tax"] >= 0.9
    # without the arithmetic the same labels give low confidence
    lone = _text("Total   120,00")
    assert lone.total_incl_tax == Decimal("120.00")
    assert lone.confidence["total_incl_tax"] < 0.8
    assert lone.total_excl_tax is None


def test_nothing_found_is_none_not_a_guess() -> None:
    got = _text("Bonjour,\nmerci pour votre commande.")
    assert got.invoice_number is None
    assert got.total_incl_tax is None
    assert got.currency is None
    assert got.supplier_vat_id is None
    assert got.issue_date is None
    assert got.confidence == {}


@pytest.mark.parametrize("title", ["AVOIR N° AV-12", "Credit note CN-12", "Gutschrift Nr. G-12"])
def test_credit_notes(title: str) -> None:
    assert _text(f"{title}\nTotal 12,00").credit_note
    assert not _text("Facture F-12\nVous pouvez avoir une remise").credit_note


def test_vat_ids_need_a_valid_check_unless_labelled() -> None:
    assert _text("Ref FR12345678901 X").supplier_vat_id is None  # not a VAT id: no label, bad check
    assert _text("USt-IdNr.: DE123456789").supplier_vat_id == "DE123456789"  # sample-style id
    assert _text("TVA intracommunautaire FR 45 831 479 258").supplier_vat_id == "FR45831479258"


# --- hostile input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"PK\x03\x04 not a pdf", "not_pdf"),
        (b"%PDF-1.7\n garbage garbage", "not_pdf"),
    ],
)
def test_refused_documents(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf_text(data)
    assert caught.value.reason == reason


def test_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supplier_text, "MAX_BYTES", 100)
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf_text(b"%PDF-" + b"0" * 200)
    assert caught.value.reason == "too_large"


def test_an_encrypted_pdf() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.text(20, 20, "Facture n° 1  Total TTC 12,00")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf_text(bytes(pdf.output()))
    assert caught.value.reason == "encrypted"


def test_a_scan_has_no_text() -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf_text(_pdf([]))
    assert caught.value.reason == "no_text"


def test_500_pages_are_refused_after_counting_only_the_first_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _pdf([(20, 20, "Facture n° 1")], pages=500)
    extracted: list[int] = []
    from pdfplumber.page import Page

    original = Page.extract_text
    monkeypatch.setattr(Page, "extract_text", lambda self, **kw: extracted.append(1) or original(self, **kw))
    laid_out = supplier_text._pdfium_page_text
    monkeypatch.setattr(
        supplier_text, "_pdfium_page_text", lambda *args: extracted.append(2) or laid_out(*args)
    )
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf_text(data)
    assert caught.value.reason == "too_many_pages"
    assert extracted == []
    assert str(MAX_PAGES) in str(caught.value)


def test_a_page_of_too_many_characters_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page of 100k characters costs pdfminer ~4 s to interpret (bounded by TIME_LIMIT); what
    is kept of a page is cut at PAGE_TEXT_LIMIT characters (made small here to stay fast)."""
    monkeypatch.setattr(supplier_text, "PAGE_TEXT_LIMIT", 2_000)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=4)
    pdf.text(10, 10, "Facture n° 77")
    for row in range(60):
        pdf.text(10, 20 + row * 2, "x" * 100)
    texts = supplier_text.pdf_page_texts(bytes(pdf.output()))
    assert len(texts[0]) <= 2_000
    assert read_pdf_text(bytes(pdf.output())).invoice_number == "77"


def test_reading_stops_at_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supplier_text, "TIME_LIMIT", -1.0)
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf_text(_pdf([(20, 20, "Facture n° 1 Total TTC 12,00")]))
    assert caught.value.reason == "timeout"


def test_control_and_bidi_characters_are_removed_from_values() -> None:
    got = _text("Evil\u202eCorp\u200b SARL\nFacture n° F\u200b-12\u0007\nTotal TTC 12,00")
    assert got.supplier_name == "EvilCorp SARL"
    assert got.invoice_number == "F-12"
    for value in (got.supplier_name, got.invoice_number):
        assert value is not None
        assert value.isprintable()


def test_amounts_beyond_decimal_range_are_not_amounts() -> None:
    got = _text("Total HT " + "9" * 5000 + ",00\nTVA " + "9" * 400 + "\nTotal TTC 1" + "0" * 30 + ",00")
    assert got.total_excl_tax is None
    assert got.total_incl_tax is None
    assert _text("Total 1e999999").total_incl_tax is None


# --- scans ----------------------------------------------------------------------------------------


def test_read_scan_without_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supplier_text.shutil, "which", lambda name: None)
    with pytest.raises(UnreadableDocument) as caught:
        read_scan(b"\x89PNG\r\n\x1a\n", content_type="image/png")
    assert caught.value.reason == "no_ocr"
    assert "tesseract" in str(caught.value)


def test_read_scan_refuses_other_types() -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_scan(b"hello", content_type="text/plain")
    assert caught.value.reason == "unsupported_type"


def test_read_scan_with_tesseract() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed here")
    image = fixture_path("extraction", "invoice2data", "compare", "AmazonWebServices.png").read_bytes()
    got = read_scan(image, content_type="image/png")
    assert got.engine is Engine.TESSERACT
    assert got.total_incl_tax == Decimal("4.11")


def test_a_broken_page_tree_is_a_refusal_not_a_crash_when_the_pdf_closes() -> None:
    """Found by fuzzing: pdfplumber's close() walks the pages again and raised on a page tree
    whose Kids point back to the Pages node, turning the reader's refusal into a crash."""
    data = fixture_path("facturx", "mustang", "pdf-fr", "validAvoir_FR_type380_BASICWL.pdf").read_bytes()
    broken = data.replace(b"/Kids [ 3 0 R ]", b"/Kids [ 3/Kids [1 0 R] 0 R ]", 1)
    assert broken != data
    with pytest.raises(UnreadableDocument) as refused:
        read_pdf_text(broken)
    assert refused.value.reason == "not_pdf"
