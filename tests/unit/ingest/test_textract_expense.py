"""Textract AnalyzeExpense responses to the supplier invoice record: the real recorded responses of
../shared/fixtures/textract (see its SOURCES.md; values asserted are what each document says),
then French invoices as Textract returns them, then responses built to hurt, then the SNS notice
of an asynchronous job."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from invoicing.domain.supplier_invoice import Engine, SupplierInvoice, SupplierLine, VatAmount
from invoicing.ingest.textract_expense import (
    DESCRIPTION_LIMIT,
    TEXT_LIMIT,
    TextractCompletion,
    expense_to_invoice,
    textract_completion,
)
from tests.conftest import fixture_path

HASH = "a" * 64
D = Decimal


def load(*parts: str) -> dict[str, Any]:
    path: Path = fixture_path("textract", *parts)
    return json.loads(path.read_text(encoding="utf-8"))


def parser_fixture(name: str) -> dict[str, Any]:
    return load("textract-response-parser", name)


def field(
    kind: str,
    value: Any,
    label: Any = None,
    *,
    confidence: Any = 99.0,
    currency: str | None = None,
    groups: tuple[str, ...] = (),
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Type": {"Text": kind, "Confidence": 99.0},
        "ValueDetection": {"Text": value, "Confidence": confidence},
        "PageNumber": 1,
    }
    if label is not None:
        out["LabelDetection"] = {"Text": label, "Confidence": 99.0}
    if currency:
        out["Currency"] = {"Code": currency, "Confidence": 99.0}
    if groups:
        out["GroupProperties"] = [{"Types": list(groups), "Id": "g1"}]
    return out


def response(summary: list[dict[str, Any]], lines: list[list[dict[str, Any]]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "DocumentMetadata": {"Pages": 1},
        "ExpenseDocuments": [
            {
                "ExpenseIndex": 1,
                "SummaryFields": summary,
                "LineItemGroups": [
                    {"LineItemGroupIndex": 1, "LineItems": [{"LineItemExpenseFields": row} for row in lines]}
                ],
            }
        ],
    }


def read(*summary: dict[str, Any], lines: list[list[dict[str, Any]]] = ()) -> SupplierInvoice:  # type: ignore[assignment]
    return expense_to_invoice([response(list(summary), list(lines))], document_hash=HASH)


# ---------------------------------------------------------------------- real recorded responses


def test_default_invoice_1_reads_what_the_image_says() -> None:
    """default_invoice_1.png: Amazon.com's invoice 123PQR456 to XZY Company, in dollars."""
    invoice = expense_to_invoice([parser_fixture("invoice-expense-response.json")], document_hash=HASH)
    assert invoice.engine is Engine.TEXTRACT
    assert invoice.document_hash == HASH
    assert invoice.invoice_number == "123PQR456"
    assert invoice.issue_date == date(2021, 1, 1)  # "01-Jan-2021"
    assert invoice.due_date == date(2021, 1, 31)  # "01/31/2021"
    assert invoice.currency == "USD"  # only "$" in the amounts
    # "Total" came back as SUBTOTAL and "Grand Total" as TOTAL: they add up with "Tax".
    assert (invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax) == (
        D("6169.40"),
        D("61.69"),
        D("6231.09"),
    )
    assert invoice.amount_due is None
    assert invoice.vat == ()  # "Tax" gives no rate
    assert invoice.buyer_name == "XZY Company"  # RECEIVER_NAME (the "SHIP TO" block)
    # "Amazon.com" is a logo-like heading Textract typed as VENDOR_URL (34 %), not VENDOR_NAME.
    assert invoice.supplier_name is None
    # "VAT ID: 12-3456789" is a US employer number, no EU VAT number: not kept.
    assert invoice.supplier_vat_id is None
    assert invoice.supplier_siren is None
    assert invoice.supplier_iban is None
    assert invoice.credit_note is False
    assert invoice.pages == 1
    assert invoice.lines == (
        SupplierLine("Product 1", D("1"), D("1000"), D("1000")),
        SupplierLine("Service 3", None, D("2789"), D("2789")),  # its quantity cell is empty
        SupplierLine("Product 2", D("2"), D("106.04"), D("212.08")),
        SupplierLine("Product 3", D("1"), D("2168.32"), D("2168.32")),
    )
    assert sum(line.amount or 0 for line in invoice.lines) == invoice.total_excl_tax
    assert invoice.confidence["total_incl_tax"] == pytest.approx(0.9997, abs=1e-3)
    assert invoice.confidence["buyer_name"] == pytest.approx(0.984, abs=1e-3)
    assert set(invoice.confidence) == {
        "buyer_name",
        "invoice_number",
        "issue_date",
        "due_date",
        "currency",
        "total_excl_tax",
        "total_tax",
        "total_incl_tax",
    }
    assert all(0 <= value <= 1 for value in invoice.confidence.values())
    assert SupplierInvoice.from_json(invoice.as_json()) == invoice


MULTIPAGE_LINES = (
    ("ACP101 Accounting Package Annual Subscription to Premier Version with Tax, Inventory and Payroll "
     "Plugins", "3", "1350.00"),
    ("ACP101T Online Training Hours of Training in Premier Version Interactive - Demos with Q&A Sessions",
     "4.5", "495.00"),
    ("ACP101S Standard Support Initial Hours allocated for access to email and phone support for Premier "
     "Version", "10", "1100.00"),
    ("ACP101C Screen Customization Hours spent customizing screens in Premier Version for client "
     "requirements", "6", "660.00"),
    ("ACP101R Report Customization Hours spent customizing reports in Premier Version for client "
     "requirements", "4.5", "495.00"),
    ("ACP101I System Imports Hours spent importing customer records into Premier Version", "2", "220.00"),
    ("ACP100 Accounting Package Annual Subscription to Standard Version of Accounts System", "3", "900.00"),
    ("ACP100T Online Training Hours of Training in Standard Version Interactive - Demos with Q&A Sessions",
     "4.5", "495.00"),
)  # fmt: skip


def multipage_as_pages() -> list[dict[str, Any]]:
    """The two-page job as GetExpenseAnalysis gives it with a small page size: one ExpenseDocument each."""
    whole = parser_fixture("analyzeExpenseResponse-multipage.json")
    first, second = whole["ExpenseDocuments"]
    common = {k: v for k, v in whole.items() if k != "ExpenseDocuments"}
    return [
        {**common, "ExpenseDocuments": [first], "NextToken": "page-2"},
        {**common, "ExpenseDocuments": [second]},
    ]


@pytest.mark.parametrize("shape", ["one response", "two result pages"])
def test_multipage_invoice_is_one_record(shape: str) -> None:
    responses = (
        [parser_fixture("analyzeExpenseResponse-multipage.json")]
        if shape == "one response"
        else multipage_as_pages()
    )
    invoice = expense_to_invoice(responses, document_hash=HASH)
    assert invoice.pages == 2
    assert invoice.invoice_number == "00000135"  # on both pages: one invoice
    assert invoice.issue_date == date(2020, 3, 12)  # "12 March 2020"
    assert invoice.due_date == date(2020, 3, 26)  # "Thursday, 26 March 2020", on page 2
    assert invoice.currency == "USD"  # Currency.Code of the total
    assert invoice.total_incl_tax == D("5715.00")
    assert invoice.total_excl_tax is None
    assert invoice.total_tax is None
    # "META\n-" (the logo), best read on page 2 (72 %): the dash is not part of the name.
    assert invoice.supplier_name == "META"
    assert invoice.confidence["supplier_name"] == 0.72
    # The company, not the "Attn:" contact person of the same receiver block.
    assert invoice.buyer_name == "Abstractors and Design Co."
    assert [(line.description, line.quantity, line.amount) for line in invoice.lines] == [
        (text, D(qty), D(amount)) for text, qty, amount in MULTIPAGE_LINES
    ]
    assert sum(line.amount or 0 for line in invoice.lines) == invoice.total_incl_tax


def test_missing_geometry_and_empty_values() -> None:
    """expense-missing-geoms-response.json: one CITY field, an empty value and no geometry."""
    invoice = expense_to_invoice([parser_fixture("expense-missing-geoms-response.json")], document_hash=HASH)
    assert invoice == SupplierInvoice(engine=Engine.TEXTRACT, document_hash=HASH, confidence={}, pages=1)


def test_hospital_statement_sample1() -> None:
    invoice = expense_to_invoice([parser_fixture("test_trp2_expense_sample1.json")], document_hash=HASH)
    # "TOTAL DUE: $50.00" is the statement's total and what is due.
    assert (invoice.total_incl_tax, invoice.amount_due, invoice.currency) == (D("50.00"), D("50.00"), "USD")
    assert invoice.total_excl_tax is None
    assert invoice.total_tax is None
    assert invoice.supplier_name is None
    assert invoice.invoice_number is None
    assert invoice.issue_date is None
    assert len(invoice.lines) == 21
    assert invoice.lines[1] == SupplierLine("PHARMACY GENERAL", amount=D("379.50"))
    # "300-00" (an OCR'd "300.00") is two numbers: not read rather than misread.
    assert invoice.lines[13] == SupplierLine("PHYSICAL THERAPY EVALUATE", amount=None)
    assert invoice.lines[-1] == SupplierLine("ADJUSTMENT MISCPPO", amount=D("-242.00"))
    assert invoice.lines[8].description == "LAB ÜROLOGY"


def test_costco_receipt_sample2() -> None:
    invoice = expense_to_invoice([parser_fixture("test_trp2_expense_sample2.json")], document_hash=HASH)
    assert invoice.supplier_name == "costco"
    assert invoice.confidence["supplier_name"] == pytest.approx(0.243, abs=1e-3)
    assert (invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax) == (
        D("38.48"),
        D("0.00"),
        D("38.48"),
    )
    assert invoice.currency == "USD"  # "$38.48"
    assert invoice.lines == (
        SupplierLine("BNLS/SL BRST", amount=D("22.10")),
        SupplierLine("GRAPE TOMATO", amount=D("5.99")),
        SupplierLine("KS BUTTER", amount=D("10.39")),
    )


def test_clinic_receipt_sample3() -> None:
    invoice = expense_to_invoice([parser_fixture("test_trp2_expense_sample3.json")], document_hash=HASH)
    assert invoice.supplier_name == "Demo Clinic"
    assert invoice.invoice_number == "1258"  # the value repeats its label: "Invoice #1258"
    # Five TOTAL fields: "Total Charges" is the total, "Balance" what is due, "Total Paid" paid.
    assert (invoice.total_incl_tax, invoice.amount_due) == (D("60.00"), D("0.00"))
    assert invoice.total_excl_tax is None  # a bare "Total" with nothing adding up is not taken as excl.
    assert invoice.issue_date is None  # "Date of Visit" and "Date of Birth" are not the invoice's date
    assert invoice.lines == (
        SupplierLine(
            "Chiropractic manipulative treatment (CMT); spinal, three to four regions",
            quantity=D("1.00"),
            amount=D("60.00"),
        ),
    )


def test_hospital_statement_sample4() -> None:
    invoice = expense_to_invoice([parser_fixture("test_trp2_expense_sample4.json")], document_hash=HASH)
    assert invoice.issue_date == date(2017, 1, 13)  # "01/13/17"
    assert invoice.due_date == date(2017, 1, 28)  # "01/28/2017"
    assert (invoice.total_incl_tax, invoice.amount_due) == (D("5680.81"), D("4544.65"))  # charges, amount due
    assert [(line.description, line.quantity, line.amount) for line in invoice.lines] == [
        ("Pharmacy", D("3"), D("264.50")),
        ("Med/Surg Supplies and Devices", D("2"), D("87.50")),
        ("Laboratory", D("12"), D("1316.00")),
        ("CT Scan", D("1"), D("1700.00")),
        ("Emergency Room", D("4"), D("2147.00")),
        ("Pharmacy (Extended)", D("2"), D("165.81")),
    ]


@pytest.mark.parametrize(
    "name", ["test_analyze_expense_from_path.json", "test_analyze_expense_from_image.json"]
)
def test_mega_market_receipt(name: str) -> None:
    """receipt.jpg: MEGA MARKET PLUS, Chicago, transaction 21772 of 12/07/2019, paid in full."""
    invoice = expense_to_invoice([load("textractor", name)], document_hash=HASH)
    assert invoice.supplier_name == "MEGA MARKET PLUS"  # the first of two equally sure VENDOR_NAMEs
    assert invoice.invoice_number == "21772"
    assert invoice.issue_date == date(2019, 12, 7)  # a US receipt: month first
    assert invoice.currency == "USD"
    assert (invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax) == (
        D("1699.96"),
        D("110.50"),
        D("1810.46"),
    )
    assert invoice.amount_due == D("0.00")  # "TEND $1810.46"; "CHANGE DUE 0.00" is not what is due
    assert invoice.lines == (
        SupplierLine("LG FLATSCREEN 65", amount=D("899.99")),  # "$899.99 S": the tax flag is noise
        SupplierLine("SONY VIAO I7 6938", amount=D("689.99")),
        SupplierLine("6FT HDMI CABLE BB", amount=D("19.99")),
        SupplierLine("APPLE TV V4", amount=D("89.99")),
    )


def test_receipt_without_summary_fields() -> None:
    """receipt_no_summary.png: a long till receipt, only line items (in pesos, written "P")."""
    invoice = expense_to_invoice(
        [load("textractor", "test_analyze_expense_no_summary_fields.json")], document_hash=HASH
    )
    assert invoice.total_incl_tax is None
    assert invoice.currency is None
    assert invoice.confidence == {}
    assert len(invoice.lines) == 29
    assert invoice.lines[0] == SupplierLine("GIL VNS HR CMEGI CRT", amount=D("659.00"))
    assert invoice.lines[3] == SupplierLine(
        "J&JCHIZ CURLS 55G", D("2"), D("21.50"), D("43.00")
    )  # "P21.50/Unit"
    assert invoice.lines[9] == SupplierLine("MRMUSCLEINTANKTBC", D("2"), D("164.50"), D("329.00"))
    # "6 X P14. 50/Unit": the unit price is split by OCR, not guessed.
    assert invoice.lines[13] == SupplierLine("NSSNRMNGRPRKINKTS600", D("6"), None, D("87.00"))
    # The image says 76.50; Textract read "/6.50" and "to" for the quantity 5: neither is taken.
    assert invoice.lines[27] == SupplierLine("SWISSMISS DRKCHC03TG 04000007526462", None, D("15.30"), None)
    assert invoice.lines[28] == SupplierLine("LOR BBQ 1606", amount=D("41.25"))


# ----------------------------------------------------------------------------- French invoices


def french_invoice(**changes: Any) -> list[dict[str, Any]]:
    fields = {
        "name": field("VENDOR_NAME", "Plomberie Martin SARL", groups=("VENDOR",)),
        "siret": field("OTHER", "732 829 320 00074", "SIRET :"),
        "vat": field("VENDOR_VAT_NUMBER", "FR 44 732 829 320", "N° TVA intracommunautaire"),
        "iban": field("OTHER", "FR14 2004 1010 0505 0001 3M02 606", "IBAN"),
        "buyer": field("NAME", "Boulangerie Dupont", groups=("RECEIVER_BILL_TO",)),
        "buyer_vat": field("OTHER", "FR40 303 265 045", "N° TVA client"),
        "number": field("INVOICE_RECEIPT_ID", "F-2024-0042", "Facture n°"),
        "date": field("INVOICE_RECEIPT_DATE", "05/02/2024", "Date"),
        "terms": field("PAYMENT_TERMS", "30 jours fin de mois", "Conditions de paiement"),
        "excl": field("SUBTOTAL", "1 100,00 €", "Total HT"),
        "tax20": field("TAX", "200,00 €", "TVA 20 %"),
        "tax55": field("TAX", "5,50 €", "TVA 5,5 %"),
        "base20": field("OTHER", "1 000,00 €", "Base HT TVA 20 %"),
        "incl": field("TOTAL", "1 305,50 €", "Total TTC"),
        "deposit": field("OTHER", "305,50 €", "Acompte versé"),
        "due": field("OTHER", "1 000,00 €", "Net à payer"),
    }
    for key, value in changes.items():
        if value is None:
            del fields[key]
        else:
            fields[key] = value
    rows = [
        [field("ITEM", "Remplacement chauffe-eau 200 L", "Désignation"), field("QUANTITY", "1", "Qté"),
         field("UNIT_PRICE", "1 000,00", "PU HT"), field("PRICE", "1 000,00", "Montant HT"),
         field("OTHER", "20 %", "TVA")],
        [field("ITEM", "Déplacement", "Désignation"), field("QUANTITY", "2,5", "Qté"),
         field("UNIT_PRICE", "40,00", "PU HT"), field("PRICE", "100,00", "Montant HT"),
         field("OTHER", "5,5", "TVA %"), field("EXPENSE_ROW", "Déplacement 2,5 40,00 100,00 5,5")],
    ]  # fmt: skip
    return [response(list(fields.values()), rows)]


def test_french_invoice_every_field() -> None:
    invoice = expense_to_invoice(french_invoice(), document_hash=HASH)
    assert invoice.supplier_name == "Plomberie Martin SARL"
    assert (invoice.supplier_siren, invoice.supplier_siret) == ("732829320", "73282932000074")
    assert invoice.supplier_vat_id == "FR44732829320"
    assert invoice.supplier_iban == "FR1420041010050500013M02606"
    assert (invoice.buyer_name, invoice.buyer_vat_id) == ("Boulangerie Dupont", "FR40303265045")
    assert invoice.invoice_number == "F-2024-0042"
    assert invoice.issue_date == date(2024, 2, 5)  # a euro invoice: day first
    assert invoice.due_date == date(2024, 3, 31)  # 30 days from 5 February, then end of month
    assert invoice.currency == "EUR"
    assert (invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax) == (
        D("1100.00"),
        D("205.50"),  # the two rates' taxes: no "total TVA" line on this invoice
        D("1305.50"),
    )
    assert invoice.amount_due == D("1000.00")
    assert invoice.vat == (
        VatAmount(D("20"), D("1000.00"), D("200.00")),
        VatAmount(D("5.5"), None, D("5.50")),
    )
    assert invoice.lines == (
        SupplierLine("Remplacement chauffe-eau 200 L", D("1"), D("1000.00"), D("1000.00"), D("20")),
        SupplierLine("Déplacement", D("2.5"), D("40.00"), D("100.00"), D("5.5")),
    )
    assert invoice.credit_note is False
    assert invoice.confidence["due_date"] == pytest.approx(0.99)
    assert SupplierInvoice.from_json(invoice.as_json()) == invoice


def test_single_rate_gives_its_base_and_the_deposit_gives_what_is_due() -> None:
    invoice = expense_to_invoice(
        french_invoice(
            tax55=None,
            base20=None,
            due=None,
            excl=field("SUBTOTAL", "1 000,00 €", "Total HT"),
            incl=field("TOTAL", "1 200,00 €", "Total TTC"),
            deposit=field("OTHER", "300,00 €", "Acompte versé"),
        ),
        document_hash=HASH,
    )
    assert invoice.vat == (VatAmount(D("20"), D("1000.00"), D("200.00")),)
    assert invoice.amount_due == D("900.00")


def test_labels_win_over_textract_types() -> None:
    """Textract typed "Total TTC" as SUBTOTAL and "Total HT" as TOTAL: the words are right."""
    invoice = read(
        field("SUBTOTAL", "1 200,00 €", "Total TTC"),
        field("TOTAL", "1 000,00 €", "Total HT"),
        field("TAX", "200,00 €", "Montant TVA"),
    )
    assert (invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax) == (
        D("1000.00"),
        D("200.00"),
        D("1200.00"),
    )


def test_the_totals_that_add_up_are_chosen() -> None:
    """Several "Total" candidates (a carried-forward page total among them): the consistent triple."""
    invoice = read(
        field("TOTAL", "150,00", "Total", confidence=99.9),
        field("SUBTOTAL", "100,00", "Total"),
        field("TAX", "20,00", "TVA"),
        field("TOTAL", "120,00", "Total"),
        field("TOTAL", "100,00", "Total"),
    )
    assert (invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax) == (
        D("100.00"),
        D("20.00"),
        D("120.00"),
    )


def test_bare_total_is_the_excl_when_the_grand_total_follows() -> None:
    invoice = read(
        field("TOTAL", "$500.00", "Total"),
        field("TAX", "$100.00", "Tax"),
        field("TOTAL", "$600.00", "Grand Total"),
    )
    assert (invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax) == (
        D("500.00"),
        D("100.00"),
        D("600.00"),
    )


def test_a_total_that_adds_up_with_nothing_is_the_total() -> None:
    invoice = read(field("SUBTOTAL", "100,00 €", "Sous-total"), field("TOTAL", "130,00 €", "Total"))
    assert (invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax) == (
        D("100.00"),
        None,
        D("130.00"),
    )


def test_identifier_fields_are_not_money() -> None:
    invoice = read(
        field("OTHER", "123456789", "N° TVA"),
        field("OTHER", "FR44732829320", "VAT ID"),
        field("TOTAL", "120,00 €", "Total TTC"),
    )
    assert invoice.total_tax is None
    assert invoice.supplier_vat_id == "FR44732829320"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1 234,56 €", "1234.56"),
        ("1\u202f234,56\u00a0€", "1234.56"),  # Excel's narrow no-break space
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("$120.00", "120.00"),
        ("EUR 1 000", "1000"),
        ("1 000 EUR", "1000"),
        ("1000 euros", "1000"),
        ("£75.5", "75.5"),
        ("CHF 1'234.50", "1234.50"),
        ("$1,350", "1350"),  # a single separator and three digits: thousands, in an amount
        ("1.350 €", "1350"),
        ("12,5", "12.5"),
        ("(12.50)", "-12.50"),
        ("-5,00 €", "-5.00"),
        ("$-19172.54", "-19172.54"),
        ("42,00 EUR TTC", "42.00"),
        ("300-00", None),
        ("20 %", None),
        ("12 34", None),
        ("2 x 3,00", None),
        ("see attached document 42 for the amount", None),
        ("9" * 30, None),
        ("", None),
        ("€", None),
    ],
)
def test_amounts_as_invoices_write_them(written: str, expected: str | None) -> None:
    line = read(lines=[[field("ITEM", "x"), field("PRICE", written, "Montant")]]).lines[0]
    assert line.amount == (D(expected) if expected else None)


@pytest.mark.parametrize(
    ("written", "currency", "expected"),
    [
        ("31/12/2024", "EUR", date(2024, 12, 31)),
        ("02/03/2024", "EUR", date(2024, 3, 2)),  # day first in euros
        ("02/03/2024", "USD", date(2024, 2, 3)),  # month first in dollars
        ("02/03/2024", "GBP", date(2024, 3, 2)),
        ("12/31/2024", "EUR", date(2024, 12, 31)),  # only month first can be read
        ("31.12.2024", "EUR", date(2024, 12, 31)),
        ("31-12-24", "EUR", date(2024, 12, 31)),
        ("2024-12-31", "USD", date(2024, 12, 31)),
        ("31 décembre 2024", "EUR", date(2024, 12, 31)),
        ("1er janvier 2025", "EUR", date(2025, 1, 1)),
        ("15 févr. 2024", "EUR", date(2024, 2, 15)),
        ("31. Dezember 2024", "EUR", date(2024, 12, 31)),
        ("3 März 2024", "EUR", date(2024, 3, 3)),
        ("Dec 31, 2024", "USD", date(2024, 12, 31)),
        ("December 1st, 2024", "USD", date(2024, 12, 1)),
        ("01-Jan-2021", "USD", date(2021, 1, 1)),
        ("Thursday, 26 March 2020", "USD", date(2020, 3, 26)),
        ("Le 5 mai 2024 à Paris", "EUR", date(2024, 5, 5)),
        ("12/07/2019 12:22 PM", "USD", date(2019, 12, 7)),
        ("31/02/2024", "EUR", None),
        ("1999-12-31", "EUR", None),
        ("13/13/2024", "EUR", None),
        ("5 jui 2024", "EUR", None),  # juin or juillet
        ("soon", "EUR", None),
    ],
)
def test_dates_as_invoices_write_them(written: str, currency: str, expected: date | None) -> None:
    invoice = read(
        field("INVOICE_RECEIPT_DATE", written, "Date"), field("TOTAL", "10.00", "Total", currency=currency)
    )
    assert invoice.issue_date == expected


def test_one_unambiguous_date_settles_the_document_order() -> None:
    """No currency: the due date 01/31/2021 can only be month first, so 02/03/2021 is 3 February."""
    invoice = read(field("INVOICE_RECEIPT_DATE", "02/03/2021"), field("DUE_DATE", "01/31/2021"))
    assert (invoice.issue_date, invoice.due_date) == (date(2021, 2, 3), date(2021, 1, 31))
    french = read(field("INVOICE_RECEIPT_DATE", "02/03/2021"), field("DUE_DATE", "31/03/2021"))
    assert french.issue_date == date(2021, 3, 2)


def test_english_without_currency_is_month_first_and_french_day_first() -> None:
    english = read(field("INVOICE_RECEIPT_DATE", "02/03/2021", "Invoice date"))
    assert english.issue_date == date(2021, 2, 3)
    french = read(field("INVOICE_RECEIPT_DATE", "02/03/2021", "Date de facture"))
    assert french.issue_date == date(2021, 3, 2)


def test_french_labels_find_dates_textract_has_no_type_for() -> None:
    invoice = read(
        field("OTHER", "15/01/2024", "Date de facture"),
        field("OTHER", "14/02/2024", "Date d'échéance"),
        field("OTHER", "01/01/1990", "Date de naissance"),
    )
    assert (invoice.issue_date, invoice.due_date) == (date(2024, 1, 15), date(2024, 2, 14))


def test_currency_code_then_symbols() -> None:
    assert read(field("TOTAL", "10,00", currency="EUR"), field("TAX", "$1.00")).currency == "EUR"
    assert (
        read(field("TOTAL", "10,00 €"), field("SUBTOTAL", "9,00 €"), field("TAX", "$1.00")).currency == "EUR"
    )
    assert read(field("TOTAL", "£10.00")).currency == "GBP"
    assert read(field("TOTAL", "10.00")).currency is None


def test_invalid_identifiers_are_left_out_not_fixed() -> None:
    invoice = read(
        field("VENDOR_NAME", "ACME"),
        field("OTHER", "732 829 320 00075", "SIRET"),  # last digit changed
        field("VENDOR_VAT_NUMBER", "FR45732829320"),  # wrong key
        field("OTHER", "FR14 2004 1010 0505 0001 3M02 607", "IBAN"),
        field("OTHER", "732 829 321", "SIREN"),
    )
    assert invoice.supplier_name == "ACME"
    assert (
        invoice.supplier_siren,
        invoice.supplier_siret,
        invoice.supplier_vat_id,
        invoice.supplier_iban,
    ) == (
        None,
        None,
        None,
        None,
    )


def test_identifiers_inside_a_footer_and_from_rcs() -> None:
    invoice = read(
        field("OTHER", "SAS au capital de 10 000 € – RCS Paris 732 829 320 – TVA FR44732829320", "Mentions"),
        field("OTHER", "IBAN : FR14 2004 1010 0505 0001 3M02 606 BIC : PSSTFRPPXXX"),
    )
    assert (invoice.supplier_siren, invoice.supplier_siret) == ("732829320", None)
    assert invoice.supplier_vat_id == "FR44732829320"
    assert invoice.supplier_iban == "FR1420041010050500013M02606"


def test_buyer_identifiers_do_not_become_the_suppliers() -> None:
    invoice = read(
        field("OTHER", "FR44732829320", "N° TVA client"),
        field("OTHER", "732 829 320 00074", "SIRET client"),
        field("RECEIVER_VAT_NUMBER", "DE136695976"),
    )
    assert invoice.supplier_vat_id is None
    assert invoice.supplier_siret is None
    assert invoice.supplier_siren is None
    assert invoice.buyer_vat_id == "DE136695976"


def test_credit_notes() -> None:
    by_label = read(
        field("INVOICE_RECEIPT_ID", "A-2024-007", "Avoir n°"), field("TOTAL", "120,00 €", "Total TTC")
    )
    assert by_label.credit_note is True
    assert by_label.invoice_number == "A-2024-007"
    assert by_label.total_incl_tax == D("120.00")
    title = read(field("OTHER", "AVOIR"), field("TOTAL", "120,00 €", "Total TTC"))
    assert title.credit_note is True
    mention = read(field("OTHER", "-50,00 €", "Avoir à déduire"), field("TOTAL", "70,00 €", "Net à payer"))
    assert mention.credit_note is False
    negative = read(
        field("SUBTOTAL", "-100,00 €", "Total HT"),
        field("TAX", "-20,00 €", "TVA 20 %"),
        field("TOTAL", "-120,00 €", "Total TTC"),
        lines=[[field("ITEM", "Retour"), field("PRICE", "-100,00")]],
    )
    assert negative.credit_note is True
    assert (negative.total_excl_tax, negative.total_tax, negative.total_incl_tax) == (
        D("100.00"),
        D("20.00"),
        D("120.00"),
    )
    assert negative.vat == (VatAmount(D("20"), D("100.00"), D("20.00")),)
    assert negative.lines == (SupplierLine("Retour", amount=D("100.00")),)


def test_invoice_number_loses_its_label_echo() -> None:
    assert read(field("INVOICE_RECEIPT_ID", "Facture N° FA-12", "Facture")).invoice_number == "FA-12"
    assert read(field("INVOICE_RECEIPT_ID", "N° 2024-001")).invoice_number == "2024-001"
    assert read(field("INVOICE_RECEIPT_ID", "NOV-2024-01")).invoice_number == "NOV-2024-01"


# ---------------------------------------------------------------------------- hostile responses


def test_invisible_and_control_characters_are_removed() -> None:
    invoice = read(
        field("VENDOR_NAME", "Evil\u202eCorp\u200b\x00 \u2066SA\u2069"),
        field("INVOICE_RECEIPT_ID", "F\x1b[31m-1"),
        lines=[[field("ITEM", "Line\u202e one\n\ttwo"), field("PRICE", "1,00")]],
    )
    assert invoice.supplier_name == "EvilCorp SA"
    assert invoice.invoice_number == "F[31m-1"
    assert invoice.lines[0].description == "Line one two"


def test_gigantic_texts_are_cut_and_stay_fast() -> None:
    huge = "A" * 5_000_000
    started = time.perf_counter()
    invoice = read(
        field("VENDOR_NAME", huge),
        field("TOTAL", "1" * 5_000_000),
        field("OTHER", huge, huge),
        lines=[[field("ITEM", huge), field("PRICE", huge)]],
    )
    assert time.perf_counter() - started < 1.0
    assert invoice.supplier_name == "A" * TEXT_LIMIT
    assert invoice.total_incl_tax is None
    assert invoice.lines == (SupplierLine("A" * DESCRIPTION_LIMIT),)


def test_many_fields_stay_fast() -> None:
    summary = [field("TOTAL", f"{n},00 €", "Total") for n in range(6_000)]
    summary += [field("TAX", f"{n},00 €", "TVA") for n in range(500)]
    lines = [[field("ITEM", f"line {n}"), field("PRICE", "1,00")] for n in range(10_000)]
    started = time.perf_counter()
    invoice = read(*summary, lines=lines)
    assert time.perf_counter() - started < 2.0
    assert len(invoice.lines) == 2000
    assert invoice.total_incl_tax is not None


@pytest.mark.parametrize(
    "responses",
    [
        [],
        [{}],
        [{"ExpenseDocuments": None}],
        [{"ExpenseDocuments": []}],
        [{"ExpenseDocuments": [None, 3, "x", {"SummaryFields": "nope", "LineItemGroups": {"a": 1}}]}],
        [{"ExpenseDocuments": [{"SummaryFields": [None, {}, {"Type": None}, {"Type": {"Text": 5}}]}]}],
        [
            {
                "ExpenseDocuments": [
                    {"LineItemGroups": [None, {"LineItems": [None, {}, {"LineItemExpenseFields": 7}]}]}
                ]
            }
        ],
        [
            {
                "DocumentMetadata": {"Pages": "2"},
                "ExpenseDocuments": [{"SummaryFields": [{"Type": {"Text": "TOTAL"}}]}],
            }
        ],
        [None, "x", 5],
        "not a list",
        None,
    ],
)
def test_malformed_responses_give_an_empty_record(responses: Any) -> None:
    invoice = expense_to_invoice(responses, document_hash=HASH)
    assert invoice == SupplierInvoice(engine=Engine.TEXTRACT, document_hash=HASH, confidence={}, pages=1)


@pytest.mark.parametrize(
    ("given", "kept"), [(float("nan"), 0.0), ("99", 0.0), (-5, 0.0), (1e9, 1.0), (True, 0.0)]
)
def test_confidence_is_always_between_0_and_1(given: Any, kept: float) -> None:
    invoice = read(field("TOTAL", "10,00 €", "Total", confidence=given))
    assert invoice.total_incl_tax == D("10.00")
    assert invoice.confidence["total_incl_tax"] == kept


def test_wrong_types_inside_fields() -> None:
    invoice = read(
        {"Type": {"Text": "VENDOR_NAME"}, "ValueDetection": {"Text": ["x"]}},
        {
            "Type": {"Text": "TOTAL"},
            "ValueDetection": {"Text": "10,00"},
            "LabelDetection": 5,
            "Currency": "EUR",
        },
        {
            "Type": {"Text": "NAME"},
            "ValueDetection": {"Text": "Vendor"},
            "GroupProperties": [None, {"Types": "V"}],
        },
        {"Type": {"Text": "INVOICE_RECEIPT_DATE"}, "ValueDetection": {"Text": "99/99/9999"}},
    )
    assert invoice.supplier_name is None
    assert invoice.total_incl_tax == D("10.00")
    assert invoice.issue_date is None


# ---------------------------------------------------------------------------- completion notice

NOTICE = {
    "JobId": "8e5b3f2f4c1d4d2b9a0e7c6b5a4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d",
    "Status": "SUCCEEDED",
    "API": "StartExpenseAnalysis",
    "JobTag": "inbox-0123abcd",
    "Timestamp": 1706700000000,
    "DocumentLocation": {"S3ObjectName": "inbox/mail/facture été.pdf", "S3Bucket": "documents-bucket"},
}
EXPECTED = TextractCompletion(
    job_id=NOTICE["JobId"],
    status="SUCCEEDED",
    job_tag="inbox-0123abcd",
    bucket="documents-bucket",
    key="inbox/mail/facture été.pdf",
)


EMPTY_ENVELOPE = {"Type": "Notification", "Message": "{}"}


def sqs_body() -> str:
    """A real SNS-over-SQS envelope (an SES notification's) carrying Textract's notice instead."""
    envelope = load_ses_envelope()
    envelope["Message"] = json.dumps(NOTICE)
    return json.dumps(envelope)


def load_ses_envelope() -> dict[str, Any]:
    path = fixture_path("ses", "notifications", "laravel-ses", "SnsDeliveryExample.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_completion_from_the_sns_message() -> None:
    assert textract_completion(json.dumps(NOTICE)) == EXPECTED
    assert textract_completion(json.dumps(NOTICE).encode()) == EXPECTED
    assert textract_completion(NOTICE) == EXPECTED
    assert EXPECTED.succeeded


def test_completion_from_an_sqs_body_and_a_lambda_sns_record() -> None:
    assert textract_completion(sqs_body()) == EXPECTED
    assert textract_completion({"Sns": {"Type": "Notification", "Message": json.dumps(NOTICE)}}) == EXPECTED


@pytest.mark.parametrize("status", ["FAILED", "ERROR"])
def test_failed_completion(status: str) -> None:
    completion = textract_completion({**NOTICE, "Status": status, "JobTag": None, "DocumentLocation": None})
    assert (completion.status, completion.succeeded, completion.job_tag, completion.key) == (
        status,
        False,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ("Hello from SNS!", "not JSON"),
        ("[1, 2]", "not an object"),
        ("{}", "not a Textract completion notice"),
        (json.dumps({**NOTICE, "Status": "DONE"}), "unknown Status 'DONE'"),
        (json.dumps({**NOTICE, "Status": None}), "unknown Status"),
        (json.dumps({**NOTICE, "JobId": "../../etc"}), "invalid JobId"),
        (json.dumps({**NOTICE, "JobId": 5}), "invalid JobId"),
        (json.dumps({**NOTICE, "API": "StartDocumentAnalysis"}), "not of StartExpenseAnalysis"),
        (json.dumps({**NOTICE, "DocumentLocation": "s3://x"}), "DocumentLocation is not an object"),
        (json.dumps({**NOTICE, "JobTag": ["x"]}), "invalid JobTag"),
        (json.dumps({"Type": "Notification", "Message": "not json"}), "SNS envelope's Message is not JSON"),
        (json.dumps({"Type": "Notification", "Message": json.dumps(EMPTY_ENVELOPE)}), "not a Textract"),
        ("x" * 300_000, "larger than"),
        ("[" * 100_000 + "]" * 100_000, "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (42, "not JSON text or an object"),
    ],
)  # fmt: skip
def test_unknown_messages_are_refused_clearly(message: Any, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("(", r"\(")):
        textract_completion(message)


def test_a_real_ses_notification_is_not_a_textract_notice() -> None:
    with pytest.raises(ValueError, match="not a Textract completion notice"):
        textract_completion(json.dumps(load_ses_envelope()))
