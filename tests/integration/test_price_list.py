"""The price list through the stack: a products file dropped under incoming/products/ is upserted
into the products table, then a sales file giving codes and quantities is invoiced at the list's
prices, a row's own price flagged in the file's summary; a code the list does not know refuses the
file with its report. Everything goes through S3 -> SQS -> the generate handler, as in AWS."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.products import ProductRepository
from invoicing.domain.vat import VatTreatment

PRODUCTS = (
    "Code;Désignation;Unité;Prix unitaire HT;TVA\n"
    "AUDIT-J;Audit de l'organisation – journée;jour;850,00;20\n"
    "LIVRE;Livre « Hygiène alimentaire »;;24,90;5,5\n"
)
SALES = (
    "Client;Date;Produit;Quantité;Prix unitaire HT;Description;TVA\n"
    "C001;03/11/2026;AUDIT-J;2;;;\n"
    "C001;04/11/2026;audit-j;1;800,00;;\n"  # a negotiated price: invoiced, and flagged
    "C001;05/11/2026;LIVRE;3;;;\n"
    "C001;06/11/2026;;1;95;Suivi téléphonique;20\n"  # a row without a code, as always
)


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_a_price_list_then_sales_by_code(runtime, bucket, resources, with_clients, operator_inbox):
    bucket.put("incoming/products/produits.csv", PRODUCTS)
    runtime.run_until_idle()
    assert bucket.keys("processed/products/") == ["processed/products/produits.csv"]
    stored = ProductRepository(resources).all()
    assert set(stored) == {"AUDIT-J", "LIVRE"}
    assert stored["LIVRE"].vat == VatTreatment.standard("5.5")

    # Upserted like clients: a later file changes what it lists and keeps the rest.
    bucket.put("incoming/products/maj.csv", "code;libelle;prix;tva\nCOACH;Coaching;120;20\n")
    runtime.run_until_idle()
    assert set(ProductRepository(resources).all()) == {"AUDIT-J", "LIVRE", "COACH"}

    bucket.put("incoming/ventes-codes.csv", SALES)
    runtime.run_until_idle()
    (invoice,) = [s.invoice for s in InvoiceRepository(resources).all()]
    lines = [(ln.description, ln.quantity, ln.unit, ln.unit_price) for ln in invoice.lines]
    assert lines == [
        ("Audit de l'organisation – journée", Decimal("2"), "jour", Decimal("850.00")),
        ("Audit de l'organisation – journée", Decimal("1"), "jour", Decimal("800.00")),
        ("Livre « Hygiène alimentaire »", Decimal("3"), "u", Decimal("24.90")),
        ("Suivi téléphonique", Decimal("1"), "u", Decimal("95")),
    ]
    # 1700 + 800 + 95 at 20 % (519.00) and 74.70 at 5.5 % (4.11).
    assert invoice.totals.tax_basis_total == Decimal("2669.70")
    assert invoice.totals.vat_total == Decimal("523.11")
    summary = rows(bucket.get("reports/ventes-codes.csv.invoices.csv"))
    assert [r["numero"] for r in summary][:1] == [invoice.number]
    (flag,) = [r for r in summary if r["remarque"]]
    assert flag["ligne"] == "3"
    assert flag["remarque"] == (
        "AUDIT-J : prix de la ligne (800,00) au lieu du tarif (850,00) / row price instead of the list price"
    )
    assert flag["non facturée"] == ""
    assert operator_inbox.messages() == []

    # A code the list does not know: the whole file is refused, with its report, nothing issued.
    bucket.put(
        "incoming/ventes-inconnu.csv",
        "Client;Date;Produit;Quantité\nC002;07/11/2026;LIVRE;1\nC002;08/11/2026;AUDIT-X;1\n",
    )
    runtime.run_until_idle()
    assert len(list(InvoiceRepository(resources).all())) == 1
    assert bucket.keys("rejected/") == ["rejected/ventes-inconnu.csv"]
    (problem,) = rows(bucket.get("reports/ventes-inconnu.csv.errors.csv"))
    assert (problem["ligne"], problem["colonne"], problem["valeur"]) == ("3", "Produit", "AUDIT-X")
    assert problem["reason"].startswith("Unknown product code")
    (alert,) = operator_inbox.messages()
    assert "ventes-inconnu.csv" in alert["Subject"]


def test_a_bad_products_file_is_refused_whole(runtime, bucket, resources, operator_inbox):
    bucket.put(
        "incoming/products/produits.csv",
        "code;libelle;prix;tva\nP1;Pain;1,20;5,5\np1;Doublon;1;20\nP2;Evil\u202eCorp;1;20\n",
    )
    runtime.run_until_idle()
    assert ProductRepository(resources).all() == {}
    assert bucket.keys("rejected/") == ["rejected/products/produits.csv"]
    report = rows(bucket.get("reports/products/produits.csv.errors.csv"))
    assert [(r["ligne"], r["colonne"]) for r in report] == [("3", "code"), ("4", "libelle")]
    (alert,) = operator_inbox.messages()
    assert "produits.csv" in alert["Subject"]


def test_check_reads_the_price_list_offline_as_generate_does(tmp_path, business):
    """`invoicing check --products` gives generate's verdict (the lines and the flag of the first
    test, the refusal of a file whose codes nobody can read)."""
    from invoicing.domain.problems import InputRejected
    from invoicing.ingest.sales import SkippedRows
    from invoicing.services.clock import today
    from invoicing_tools.cli import check_files
    from tests.conftest import CLIENTS_CSV

    (tmp_path / "clients.csv").write_text(CLIENTS_CSV, encoding="utf-8")
    (tmp_path / "produits.csv").write_text(PRODUCTS, encoding="utf-8")
    (tmp_path / "ventes.csv").write_text(SALES, encoding="utf-8")
    day = today(business.time_zone)
    skipped = SkippedRows()
    (draft,) = check_files(
        tmp_path / "ventes.csv", tmp_path / "clients.csv", business, day, tmp_path / "produits.csv", skipped
    )
    assert skipped.price_overrides == [(3, "AUDIT-J", Decimal("850.00"), Decimal("800.00"))]

    assert [line.unit_price for line in draft.lines] == [
        Decimal("850.00"),
        Decimal("800.00"),
        Decimal("24.90"),
        Decimal("95"),
    ]

    # Without the price list, rows that need it are refused, offline as in the stack.
    with pytest.raises(InputRejected) as refused:
        check_files(tmp_path / "ventes.csv", tmp_path / "clients.csv", business, day)
    assert {p.code for p in refused.value.problems} == {"unknown_product"}
    assert [p.row for p in refused.value.problems] == [2, 3, 4]
