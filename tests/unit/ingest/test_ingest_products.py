"""The products file (the price list) to Product values: good files, and hostile ones refused whole
with every problem named by row, column and value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ingest_helpers import codes, rejected, table_from, xlsx_bytes

from invoicing.domain.parties import VatRegime
from invoicing.domain.products import Product, product_from_dict, product_index, product_to_dict
from invoicing.domain.vat import VatTreatment
from invoicing.ingest.products import parse_products

HEADER = "Code produit;Désignation;Unité;Prix unitaire HT (€);TVA (%);Exonération"


def parse(*lines: str, header: str = HEADER, regime: VatRegime = VatRegime.NORMAL) -> tuple[Product, ...]:
    data = "\n".join((header, *lines)).encode("utf-8")
    return parse_products(table_from(data, "produits.csv"), vat_regime=regime)


def test_a_price_list_as_people_write_it() -> None:
    products = parse(
        "AUDIT-J;Audit de l'organisation – journée;jour;850,00;20 %;",
        "coach.h;Coaching individuel;h;120;20;",
        "LIVRE-HACCP;Livre « Hygiène alimentaire »;;24,90;5,5 %;",
        "EXPORT-1;Mission export;forfait;1 200,00;0;export",
    )
    assert products == (
        Product(
            "AUDIT-J",
            "Audit de l'organisation – journée",
            Decimal("850.00"),
            VatTreatment.standard("20"),
            "jour",
        ),
        Product("coach.h", "Coaching individuel", Decimal("120"), VatTreatment.standard("20"), "h"),
        Product(
            "LIVRE-HACCP", "Livre « Hygiène alimentaire »", Decimal("24.90"), VatTreatment.standard("5.5")
        ),
        Product("EXPORT-1", "Mission export", Decimal("1200.00"), VatTreatment.exempt("export"), "forfait"),
    )


@pytest.mark.parametrize(
    "header",
    [
        "code;libelle;unite;prix_unitaire_ht;tva",
        "Référence;Libellé;Unit;PU HT;Taux de TVA",
        "SKU;Label;Unit;Unit price;VAT rate",
        "ref;description;unité;prix;tva",
        "Article code;Designation;Unite;Prix;Vat",
    ],
)
def test_headers_in_french_and_english(header: str) -> None:
    (product,) = parse("P1;Pain;u;1,20;5,5", header=header)
    assert (product.code, product.label, product.unit_price) == ("P1", "Pain", Decimal("1.20"))


def test_required_columns_are_named() -> None:
    problems = rejected(lambda: parse("P1;Pain", header="code;libelle"))
    assert codes(problems) == ["missing_column", "missing_column"]
    assert [p.column for p in problems] == ["prix_unitaire_ht", "tva"]


def test_a_workbook_is_read_like_a_csv() -> None:
    data = xlsx_bytes(
        [["Code", "Libellé", "Unité", "Prix HT", "TVA"], ["P1", "Pain de campagne", "u", 2.4, 0.055]],
        formats={"E2": "0.0%"},
    )
    (product,) = parse_products(table_from(data, "produits.xlsx"))
    assert product.unit_price == Decimal("2.4")
    assert product.vat == VatTreatment.standard("5.5")


def test_under_the_franchise_products_carry_no_vat() -> None:
    (product,) = parse("P1;Pain;u;1,20;", regime=VatRegime.FRANCHISE)
    assert product.vat == VatTreatment.exempt("franchise")
    problems = rejected(lambda: parse("P1;Pain;u;1,20;20", regime=VatRegime.FRANCHISE))
    assert codes(problems) == ["franchise_with_vat"]


def test_every_problem_of_every_row_is_named_and_nothing_is_kept() -> None:
    problems = rejected(
        lambda: parse(
            "P1;Pain;u;1,20;5,5;",
            ";Sans code;u;1;20;",  # no code
            "P 2;Espace;u;1;20;",  # a space in a code
            "p1;Doublon;u;1;20;",  # the same code, in another case
            "P3;;u;abc;19,6;",  # no label, an unreadable price, a rate France does not have
            "P4;Gratuit;u;-5;20;",  # a negative price
            "P5;Sans TVA;u;10;0;",  # a zero rate without its reason
            "P6;Trop précis;u;1,1234567;20;",
        )
    )
    assert [(p.row, p.code, p.column) for p in problems] == [
        (3, "required", "Code produit"),
        (4, "bad_product_code", "Code produit"),
        (5, "duplicate_product", "Code produit"),
        (6, "required", "Désignation"),
        (6, "bad_number", "Prix unitaire HT (€)"),
        (6, "unknown_vat_rate", "TVA (%)"),
        (7, "negative", "Prix unitaire HT (€)"),
        (8, "zero_rate_needs_reason", "Exonération"),
        (9, "too_precise", "Prix unitaire HT (€)"),
    ]
    assert problems[2].params == {"first_row": 2}
    assert "ligne 2" in problems[2].reason_fr


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("Evil\u202eCorp", "forbidden_characters"),  # a bidirectional override
        ("Pain\u200bblanc", "forbidden_characters"),  # a zero-width space
        ("Pain\x0bblanc", "forbidden_characters"),  # a control character
        ("x" * 100_000, "text_too_long"),  # a huge cell (the CSV reader refuses beyond 128 KiB)
    ],
)
def test_hostile_labels_are_refused_naming_row_and_column(cell: str, code: str) -> None:
    (problem,) = rejected(lambda: parse(f"P1;{cell};u;1;20;"))
    assert (problem.row, problem.column, problem.code) == (2, "Désignation", code)
    assert len(problem.value or "") <= 121  # quoted back bounded, invisible characters shown
    assert "\u202e" not in (problem.value or "")


def test_a_formula_is_kept_as_text_and_never_a_number() -> None:
    """ "=1+1" as a label is text (escaped when a report quotes it); as a price it is no number."""
    (product,) = parse('P1;=HYPERLINK("http://x");u;1;20;')
    assert product.label == '=HYPERLINK("http://x")'
    (problem,) = rejected(lambda: parse("P1;Pain;u;=1+1;20;"))
    assert (problem.code, problem.column) == ("bad_number", "Prix unitaire HT (€)")
    (problem,) = rejected(lambda: parse("=cmd|' /C calc'!A0;Pain;u;1;20;"))
    assert problem.code == "bad_product_code"


def test_huge_numbers_are_refused_before_any_arithmetic() -> None:
    (problem,) = rejected(lambda: parse("P1;Pain;u;1e999999;20;"))
    assert problem.code == "bad_number"
    (problem,) = rejected(lambda: parse(f"P1;Pain;u;{'9' * 40};20;"))
    assert problem.code == "number_too_large"


def test_a_product_survives_its_storage_form() -> None:
    products = parse("AUDIT-J;Audit;jour;850,50;20;", "EX;Export;;10;0;export")
    for product in products:
        assert product_from_dict(product_to_dict(product)) == product
    assert set(product_index(products)) == {"audit-j", "ex"}


def test_the_sample_price_list_reads() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "samples" / "conseil-horizon" / "produits.csv"
    products = parse_products(table_from(path.read_bytes(), path.name))
    assert len(products) == 8
    assert {p.code: p.unit_price for p in products}["FORMATION-J"] == Decimal("1250.00")
