"""Cell text to values: each parser returns the value, or a Problem naming row, column and value."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest

from invoicing.domain.invoice import Discount, DocumentType
from invoicing.domain.parties import Locale, VatRegime
from invoicing.domain.problems import Problem
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatCategory, VatTreatment
from invoicing.ingest.columns import normalise
from invoicing.ingest.values import (
    Cell,
    parse_country,
    parse_date,
    parse_discount,
    parse_document_type,
    parse_locale,
    parse_quantity,
    parse_terms,
    parse_text,
    parse_unit_price,
    parse_vat,
    to_decimal,
)


def cell(raw: str, column: str = "Colonne") -> Cell:
    return Cell(raw, 7, column)


def problem_code(result: object) -> str:
    assert isinstance(result, Problem), f"expected a problem, got {result!r}"
    return result.code


# ---------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", "12"),
        ("1,5", "1.5"),
        ("1.5", "1.5"),
        ("1234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56 €", "1234.56"),
        ("1\u202f234,56\u00a0€", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        ("1.234", "1.234"),  # a single point is a decimal point
        ("1,234", "1.234"),  # a single comma is a decimal comma
        ("12 EUR", "12"),
        ("12€", "12"),
        (",5", "0.5"),
        ("-3,25", "-3.25"),
        ("+7", "7"),
        ("0,000001", "0.000001"),
    ],
)
def test_numbers_in_french_and_english_spellings(text: str, expected: str) -> None:
    value = to_decimal(text)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    ["abc", "1,2,3", "1.2.3,4", "12,345.6.7", "1,23,456.00", "12-3", "1e5", "€", "--1", "1 2x", "0x10"],
)
def test_unreadable_numbers(text: str) -> None:
    assert to_decimal(text) is None


def test_bad_number_problem_names_row_column_and_value() -> None:
    result = parse_quantity(Cell("abc", 4, "Quantité"))
    assert result == Problem("bad_number", row=4, column="Quantité", value="abc")


def test_quantity_must_be_positive_with_at_most_four_decimals() -> None:
    assert parse_quantity(cell("3,5")) == Decimal("3.5")
    assert parse_quantity(cell("0,0001")) == Decimal("0.0001")
    assert parse_quantity(cell("2,50000")) == Decimal("2.5")  # trailing zeros are not precision
    assert problem_code(parse_quantity(cell("0"))) == "not_positive"
    assert problem_code(parse_quantity(cell("-2"))) == "not_positive"
    too_precise = parse_quantity(cell("1,00001"))
    assert problem_code(too_precise) == "too_precise"
    assert isinstance(too_precise, Problem)
    assert too_precise.params == {"places": 4}
    assert problem_code(parse_quantity(cell(""))) == "required"


def test_unit_price_may_be_zero_never_negative_at_most_six_decimals() -> None:
    assert parse_unit_price(cell("0")) == Decimal("0")
    assert parse_unit_price(cell("1 250,00 €")) == Decimal("1250.00")
    assert parse_unit_price(cell("0,123456")) == Decimal("0.123456")
    assert problem_code(parse_unit_price(cell("-1"))) == "negative"
    result = parse_unit_price(cell("0,1234567"))
    assert isinstance(result, Problem)
    assert result.code == "too_precise"
    assert result.params == {"places": 6}


# ------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    "text",
    [
        "03/11/2026",
        "3/11/2026",
        "03-11-2026",
        "03.11.2026",
        "2026-11-03",
        "3/11/2026 00:00",
        "2026-11-03 08:15:00",
    ],
)
def test_accepted_date_formats(text: str) -> None:
    assert parse_date(cell(text)) == date(2026, 11, 3)


def test_day_first_is_the_french_reading() -> None:
    assert parse_date(cell("01/02/2026")) == date(2026, 2, 1)


@pytest.mark.parametrize(
    "text", ["31/02/2026", "2026/11/03", "03/11/26", "03-11.2026", "3 novembre 2026", "13/13/2026"]
)
def test_unreadable_dates(text: str) -> None:
    result = parse_date(Cell(text, 9, "Date"))
    assert result == Problem("bad_date", row=9, column="Date", value=text)


def test_dates_outside_2000_2099_are_out_of_range() -> None:
    result = parse_date(cell("03/11/1999"))
    assert isinstance(result, Problem)
    assert result.code == "date_out_of_range"
    assert result.params == {"earliest": "01/01/2000", "latest": "31/12/2099"}
    assert "01/01/2000" in result.reason_fr
    assert problem_code(parse_date(cell("2100-01-01"))) == "date_out_of_range"
    assert parse_date(cell("01/01/2000")) == date(2000, 1, 1)


# -------------------------------------------------------------------------------------- VAT

BLANK = Cell("", 7, "Exonération")


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("20", "20"),
        ("20%", "20"),
        ("20 %", "20"),
        ("20,0 %", "20"),
        ("5,5", "5.5"),
        ("5.5", "5.5"),
        ("5.5 %", "5.5"),
        ("2,1", "2.1"),
        ("10", "10"),
    ],
)
def test_french_rates_in_every_spelling(text: str, rate: str) -> None:
    assert parse_vat(cell(text, "TVA"), BLANK) == VatTreatment.standard(Decimal(rate))


@pytest.mark.parametrize("text", ["19,6 %", "7", "abc", "0,2", "-20"])
def test_unknown_vat_rates(text: str) -> None:
    result = parse_vat(Cell(text, 5, "TVA"), BLANK)
    assert result == Problem("unknown_vat_rate", row=5, column="TVA", value=text)


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("autoliquidation", VatCategory.REVERSE_CHARGE),
        ("Auto-liquidation", VatCategory.REVERSE_CHARGE),
        ("reverse charge", VatCategory.REVERSE_CHARGE),
        ("AE", VatCategory.REVERSE_CHARGE),
        ("intracom", VatCategory.INTRA_EU),
        ("Intracommunautaire", VatCategory.INTRA_EU),
        ("intra-EU", VatCategory.INTRA_EU),
        ("K", VatCategory.INTRA_EU),
        ("export", VatCategory.EXPORT),
        ("Exportation", VatCategory.EXPORT),
        ("g", VatCategory.EXPORT),
    ],
)
def test_zero_rate_with_an_exemption_reason(reason: str, category: VatCategory) -> None:
    result = parse_vat(cell("0", "TVA"), cell(reason, "Exonération"))
    assert isinstance(result, VatTreatment)
    assert result.category is category
    assert result.rate == 0
    assert result.exemption is not None


def test_zero_rate_problems_point_at_the_exemption_column() -> None:
    assert parse_vat(cell("0 %", "TVA"), Cell("", 7, "Exonération")) == Problem(
        "zero_rate_needs_reason", row=7, column="Exonération", value=""
    )
    assert parse_vat(cell("0", "TVA"), Cell("franchise", 7, "Exonération")) == Problem(
        "unknown_exemption", row=7, column="Exonération", value="franchise"
    )
    assert parse_vat(cell("20", "TVA"), Cell("export", 7, "Exonération")) == Problem(
        "exemption_with_rate", row=7, column="Exonération", value="export"
    )


def test_blank_rate_needs_a_value_unless_an_exemption_says_zero() -> None:
    assert problem_code(parse_vat(cell("", "TVA"), BLANK)) == "required"
    exempt = parse_vat(cell("", "TVA"), cell("export"))
    assert isinstance(exempt, VatTreatment)
    assert exempt.category is VatCategory.EXPORT


def test_franchise_every_line_exempt_and_no_rate_accepted() -> None:
    franchise = VatTreatment.exempt("franchise")
    assert parse_vat(cell("", "TVA"), BLANK, VatRegime.FRANCHISE) == franchise
    assert parse_vat(cell("0 %", "TVA"), BLANK, VatRegime.FRANCHISE) == franchise
    assert parse_vat(Cell("20", 3, "TVA"), BLANK, VatRegime.FRANCHISE) == Problem(
        "franchise_with_vat", row=3, column="TVA", value="20"
    )


# -------------------------------------------------------------------------------- discounts


def test_discounts() -> None:
    assert parse_discount(cell("")) is None
    assert parse_discount(cell("10 %")) == Discount(percent=Decimal("10"))
    assert parse_discount(cell("10%")) == Discount(percent=Decimal("10"))
    assert parse_discount(cell("12,5 %")) == Discount(percent=Decimal("12.5"))
    assert parse_discount(cell("100 %")) == Discount(percent=Decimal("100"))
    assert parse_discount(cell("25,00")) == Discount(amount=Decimal("25.00"))
    assert parse_discount(cell("1 250 €")) == Discount(amount=Decimal("1250"))
    assert parse_discount(cell("0")) is None
    assert parse_discount(cell("0 %")) is None


@pytest.mark.parametrize("text", ["150 %", "-5", "-5 %", "abc", "12,345", "dix %"])
def test_bad_discounts(text: str) -> None:
    assert parse_discount(Cell(text, 2, "Remise")) == Problem(
        "bad_discount", row=2, column="Remise", value=text
    )


# ------------------------------------------------------------------------------ other texts


def test_text_required_and_length_limit() -> None:
    assert parse_text(cell("  Audit  "), limit=10) == "Audit"
    assert parse_text(cell("   "), limit=10) is None
    assert problem_code(parse_text(cell(""), limit=10, required=True)) == "required"
    too_long = parse_text(cell("x" * 11), limit=10)
    assert isinstance(too_long, Problem)
    assert too_long.code == "text_too_long"
    assert too_long.params == {"limit": 10}


def test_document_types() -> None:
    assert parse_document_type(cell("")) is DocumentType.INVOICE
    assert parse_document_type(cell("Facture")) is DocumentType.INVOICE
    assert parse_document_type(cell("invoice")) is DocumentType.INVOICE
    assert parse_document_type(cell("Avoir")) is DocumentType.CREDIT_NOTE
    assert parse_document_type(cell("credit")) is DocumentType.CREDIT_NOTE
    assert parse_document_type(cell("Credit note")) is DocumentType.CREDIT_NOTE
    assert problem_code(parse_document_type(cell("devis"))) == "bad_document_type"


def test_terms_locale_country() -> None:
    assert parse_terms(cell("")) is None
    assert parse_terms(cell("45 jours fin de mois")) == PaymentTerms(45, end_of_month=True)
    assert parse_terms(cell("comptant")) == PaymentTerms(0)
    assert problem_code(parse_terms(cell("à la saint-glinglin"))) == "bad_terms"
    assert parse_locale(cell(""), Locale.EN) is Locale.EN
    assert parse_locale(cell("FR"), Locale.EN) is Locale.FR
    assert parse_locale(cell("English"), Locale.FR) is Locale.EN
    assert problem_code(parse_locale(cell("de"), Locale.FR)) == "bad_locale"
    assert parse_country(cell("")) == "FR"
    assert parse_country(cell("be")) == "BE"
    assert parse_country(cell("États-Unis")) == "US"
    assert parse_country(cell("Pays-Bas")) == "NL"
    assert parse_country(cell("Royaume-Uni")) == "GB"
    assert parse_country(cell("Suisse")) == "CH"
    assert problem_code(parse_country(cell("XX"))) == "bad_country"
    assert problem_code(parse_country(cell("Groland"))) == "bad_country"


def test_header_normalisation() -> None:
    assert normalise(" Prix unitaire HT (€) ") == "prix_unitaire_ht"
    assert normalise("Taux de TVA (%)") == "taux_de_tva"
    assert normalise("Quantité") == "quantite"
    assert normalise("Réf. client") == "ref_client"
    assert normalise("N° TVA") == "n_tva"
    assert normalise("E-mail") == "e_mail"
    assert normalise("ÉCHÉANCE") == "echeance"


# --- magnitudes (issue: generation under attack) ------------------------------------------------


@pytest.mark.parametrize(
    ("parser", "text", "limit"),
    [
        ("parse_quantity", "100000000000000000000", "1 000 000 000 000 000"),
        ("parse_unit_price", "10000000000", "1 000 000 000"),
        ("parse_quantity", "1 000 000 000", "1 000 000 000"),
        ("parse_number", "1" + "0" * 40, "1 000 000 000 000 000"),
    ],
)
def test_magnitudes_beyond_the_limits_are_refused_by_name(parser: str, text: str, limit: str) -> None:
    from invoicing.ingest import values

    problem = getattr(values, parser)(Cell(text, 2, "qte"))
    assert isinstance(problem, Problem)
    assert problem.code == "number_too_large"
    assert problem.reason_fr == f"Nombre trop grand (au plus {limit})."


def test_the_largest_quantity_and_price_still_multiply_exactly() -> None:
    from invoicing.domain.money import round_money
    from invoicing.ingest.values import parse_quantity, parse_unit_price

    quantity = parse_quantity(Cell("999999999,9999", 2, "qte"))
    price = parse_unit_price(Cell("999999999,999999", 2, "pu"))
    with localcontext() as wide:
        wide.prec = 80
        exact = (quantity * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert round_money(quantity * price) == exact
