"""Sales rows with a product code: the rest comes from the price list, a price of the row's own wins
and is flagged, an unknown code is a problem, and a row's identity does not follow the list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ingest_helpers import codes, rejected, table_from

from invoicing.domain.parties import Client, Seller, VatRegime
from invoicing.domain.products import Product
from invoicing.domain.rows import InvoicedRow
from invoicing.domain.vat import VatTreatment
from invoicing.ingest.sales import SkippedRows, parse_sales
from tests import factories

COLUMNS = ("client", "date", "produit", "description", "quantite", "unite", "prix_unitaire_ht", "tva")
AUDIT = Product(
    "AUDIT-J", "Audit de l'organisation – journée", Decimal("850.00"), VatTreatment.standard("20"), "jour"
)
BOOK = Product("LIVRE", "Livre « Hygiène alimentaire »", Decimal("24.90"), VatTreatment.standard("5.5"))
LIST = {p.code: p for p in (AUDIT, BOOK)}


def row(code: str = "AUDIT-J", qty: str = "2", **changes: str) -> dict[str, str]:
    """A row that gives a code and a quantity, and nothing the list gives unless told."""
    return {
        "produit": code,
        "quantite": qty,
        "description": "",
        "unite": "",
        "prix_unitaire_ht": "",
        "tva": "",
    } | changes


@pytest.fixture
def parse(clients: dict[str, Client], seller: Seller):
    def run(*rows, columns=COLUMNS, products=LIST, skipped=None, invoiced=None, seller_=seller):
        table = table_from(factories.sales_csv(*rows, columns=columns).encode())
        return parse_sales(
            table,
            clients=clients,
            seller=seller_,
            file_key="incoming/ventes.csv",
            file_sha256="ab" * 32,
            products=products,
            skipped=skipped,
            invoiced=invoiced,
        )

    return run


def ledger_of(drafts, number: str = "FA2026-00001"):
    found: dict[tuple[str, int], dict[str, InvoicedRow]] = {}
    for draft in drafts:
        for ref in draft.rows:
            found.setdefault((ref.client_ref, ref.period), {})[ref.row_id] = InvoicedRow(number, ref.billed)
    return lambda client_ref, period: found.get((client_ref, period), {})


def test_a_code_and_a_quantity_take_the_rest_from_the_list(parse) -> None:
    skipped = SkippedRows()
    (draft,) = parse(row(), row("livre", "3"), skipped=skipped)
    audit, book = draft.lines
    assert (audit.description, audit.unit, audit.unit_price, audit.vat, audit.quantity) == (
        AUDIT.label,
        "jour",
        Decimal("850.00"),
        VatTreatment.standard("20"),
        Decimal("2"),
    )
    # No unit on the product nor on the row: the default one.
    assert (book.description, book.unit, book.unit_price) == (BOOK.label, "u", Decimal("24.90"))
    assert draft.totals().tax_basis_total == Decimal("1774.70")
    assert skipped.price_overrides == []


def test_codes_match_whatever_their_case_and_spacing(parse) -> None:
    (draft,) = parse(row("  audit-j "), row("Livre"))
    assert [line.description for line in draft.lines] == [AUDIT.label, BOOK.label]


def test_what_the_row_writes_wins_and_a_price_of_its_own_is_flagged(parse) -> None:
    skipped = SkippedRows()
    (draft,) = parse(
        row(prix_unitaire_ht="800,00"),  # a negotiated price
        row(prix_unitaire_ht="850"),  # the list's price, written out: not flagged
        row(description="Audit – site de Lyon", unite="h", tva="10"),
        skipped=skipped,
    )
    first, second, third = draft.lines
    assert first.unit_price == Decimal("800.00")
    assert first.description == AUDIT.label
    assert second.unit_price == Decimal("850")
    assert (third.description, third.unit, third.vat, third.unit_price) == (
        "Audit – site de Lyon",
        "h",
        VatTreatment.standard("10"),
        Decimal("850.00"),
    )
    assert skipped.price_overrides == [(2, "AUDIT-J", Decimal("850.00"), Decimal("800.00"))]


def test_an_exemption_on_the_row_replaces_the_list_s_rate(parse) -> None:
    (draft,) = parse(row(exoneration="export"), columns=(*COLUMNS, "exoneration"))
    assert draft.lines[0].vat == VatTreatment.exempt("export")


def test_an_unknown_code_is_a_problem_and_only_that(parse) -> None:
    problems = rejected(lambda: parse(row(), row("AUDIT-X"), row("LIVRE")))
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [
        ("unknown_product", 3, "produit", "AUDIT-X")
    ]
    assert "incoming/products/" in problems[0].reason_en


def test_rows_with_and_without_codes_mix_and_without_a_code_every_value_is_required(parse) -> None:
    (draft,) = parse(
        row(),
        {
            "produit": "",
            "description": "Formation HACCP",
            "quantite": "1",
            "prix_unitaire_ht": "750",
            "tva": "20",
        },
    )
    assert [line.description for line in draft.lines] == [AUDIT.label, "Formation HACCP"]
    problems = rejected(lambda: parse(row(), row(""), row("", description="Sans prix")))
    assert [(p.row, p.code, p.column) for p in problems] == [
        (3, "required", "description"),
        (3, "required", "prix_unitaire_ht"),
        (3, "required", "tva"),
        (4, "required", "prix_unitaire_ht"),
        (4, "required", "tva"),
    ]


def test_with_a_product_column_description_price_and_vat_columns_may_be_absent(
    parse, clients, seller
) -> None:
    data = "Client;Date;Code article;Qté\nC001;03/11/2026;AUDIT-J;2\n".encode()
    (draft,) = parse_sales(
        table_from(data), clients=clients, seller=seller, file_key="k", file_sha256="0" * 64, products=LIST
    )
    assert draft.lines[0].unit_price == Decimal("850.00")
    # Without one, they are required columns as always.
    data = "Client;Date;Qté\nC001;03/11/2026;2\n".encode()
    problems = rejected(
        lambda: parse_sales(
            table_from(data),
            clients=clients,
            seller=seller,
            file_key="k",
            file_sha256="0" * 64,
            products=LIST,
        )
    )
    assert {(p.code, p.column) for p in problems} == {
        ("missing_column", "description"),
        ("missing_column", "prix_unitaire_ht"),
        ("missing_column", "tva"),
    }


def test_without_a_price_list_a_sku_column_of_complete_rows_is_ignored(parse) -> None:
    """An export's own SKU column needs no price list; a row that needs the list still does."""
    complete = row("SKU-991", description="Pain", prix_unitaire_ht="1,20", tva="5,5")
    (draft,) = parse(complete, products=None)
    assert draft.lines[0].description == "Pain"
    problems = rejected(lambda: parse(complete, row("SKU-992"), products=None))
    assert [(p.row, p.code) for p in problems] == [(3, "unknown_product")]
    # With a price list, a code it does not know is refused even on a complete row (a typo).
    problems = rejected(lambda: parse(complete))
    assert codes(problems) == ["unknown_product"]


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("AUDIT\u202e-J", "forbidden_characters"),
        ("A" * 101, "text_too_long"),
        ("=AUDIT-J", "unknown_product"),
    ],
)
def test_hostile_codes_are_named(parse, code: str, problem: str) -> None:
    (found,) = rejected(lambda: parse(row(code)))
    assert (found.row, found.column, found.code) == (2, "produit", problem)


def test_under_the_franchise_the_row_never_takes_vat_from_the_list(parse) -> None:
    franchise = factories.bare_seller(legal_form="EI", vat_id=None, vat_regime=VatRegime.FRANCHISE)
    exempt = Product("P1", "Pain", Decimal("1.20"), VatTreatment.exempt("franchise"))
    (draft,) = parse(row("P1"), products={"P1": exempt}, seller_=franchise)
    assert draft.lines[0].vat == VatTreatment.exempt("franchise")


# ------------------------------------------------------------------------------------ identity


def test_a_row_keeps_its_identity_when_the_list_price_changes(parse) -> None:
    """The decision: a value taken from the list counts as the product code in the row's identity.
    A new price list must not make the rows already invoiced new (billed again) nor changed."""
    (first,) = parse(row(), row("LIVRE"))
    dearer = {
        **LIST,
        "AUDIT-J": Product("AUDIT-J", "Audit (nouveau libellé)", Decimal("900"), AUDIT.vat, "j"),
    }
    skipped = SkippedRows()
    (second,) = parse(
        row(), row("LIVRE"), row("LIVRE", "7"), products=dearer, invoiced=ledger_of([first]), skipped=skipped
    )
    assert [line.source_row for line in second.lines] == [4]
    assert [r for r, _ in skipped.invoiced] == [2, 3]


def test_a_row_with_its_own_id_is_not_changed_by_a_new_list_price(parse) -> None:
    columns = ("id", *COLUMNS)
    (first,) = parse(row(id="L1"), columns=columns)
    dearer = {"AUDIT-J": Product("AUDIT-J", AUDIT.label, Decimal("900"), AUDIT.vat, "jour")}
    skipped = SkippedRows()
    assert (
        parse(row(id="L1"), columns=columns, products=dearer, invoiced=ledger_of([first]), skipped=skipped)
        == ()
    )
    assert skipped.invoiced == [(2, "FA2026-00001")]
    # Its quantity changed is a change, as for any row with an id.
    problems = rejected(lambda: parse(row(id="L1", qty="3"), columns=columns, invoiced=ledger_of([first])))
    assert codes(problems) == ["row_changed_after_invoicing"]


def test_a_row_writing_every_value_is_the_same_row_with_or_without_its_code(parse) -> None:
    full = {"description": "Audit", "unite": "jour", "prix_unitaire_ht": "850", "tva": "20"}
    (with_code,) = parse(row(**full))
    (without,) = parse(row("", **full))
    (no_column,) = parse(row("", **full), columns=tuple(c for c in COLUMNS if c != "produit"))
    assert with_code.rows[0].row_id == without.rows[0].row_id == no_column.rows[0].row_id
    assert with_code.rows[0].billed == without.rows[0].billed


def test_writing_out_the_list_s_values_makes_another_row(parse) -> None:
    """The other side of the decision: a row without an id of its own that later writes out what
    it took from the list is an edited row, as any edited row without an id (README)."""
    (taken,) = parse(row())
    (written,) = parse(row(description=AUDIT.label, unite="jour", prix_unitaire_ht="850,00", tva="20"))
    assert taken.lines[0] == written.lines[0]
    assert taken.rows[0].row_id != written.rows[0].row_id


def test_overrides_are_flagged_only_on_the_rows_this_file_invoices(parse) -> None:
    (first,) = parse(row(prix_unitaire_ht="800"))
    skipped = SkippedRows()
    (second,) = parse(
        row(prix_unitaire_ht="800"),
        row("LIVRE", prix_unitaire_ht="20"),
        invoiced=ledger_of([first]),
        skipped=skipped,
    )
    assert len(second.lines) == 1
    assert skipped.price_overrides == [(3, "LIVRE", Decimal("24.90"), Decimal("20"))]
