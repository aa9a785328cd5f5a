"""Header matching: aliases, missing and duplicated columns, unknown extra columns."""

from __future__ import annotations

import pytest
from ingest_helpers import codes, rejected

from invoicing.ingest.columns import CLIENT_FIELDS, SALES_FIELDS, match_columns, normalise


@pytest.mark.parametrize("fields", [SALES_FIELDS, CLIENT_FIELDS], ids=["sales", "clients"])
def test_aliases_are_normalised_and_never_shared_between_fields(fields) -> None:
    seen: dict[str, str] = {}
    for field in fields:
        assert field.aliases[0] == field.name
        for alias in field.aliases:
            assert normalise(alias) == alias
            assert seen.setdefault(alias, field.name) == field.name, f"{alias} used by two fields"


def test_headers_as_people_write_them_are_matched() -> None:
    headers = (
        "Réf. client",
        "Date de prestation",
        "Désignation",
        "Qté",
        "Unité",
        "Prix unitaire HT (€)",
        "Taux de TVA (%)",
        "Bon de commande",
        "Rabais",
        "Consultant",
    )
    columns = match_columns(headers, SALES_FIELDS)
    assert columns.index == {
        "client": 0,
        "date": 1,
        "description": 2,
        "quantite": 3,
        "unite": 4,
        "prix_unitaire_ht": 5,
        "tva": 6,
        "reference_commande": 7,
        "remise": 8,
    }
    assert columns.unknown == ("Consultant",)
    assert columns.header("prix_unitaire_ht") == "Prix unitaire HT (€)"
    assert columns.header("motif") == "motif"  # absent: the canonical name
    assert columns.get(("C001", "x", "y", "1", "h", "2", "20", "", "", "", "Jean"), "client") == "C001"
    assert columns.get(("C001",) * 10, "motif") == ""


def test_english_headers() -> None:
    headers = ("Customer", "Service date", "Description", "Quantity", "Unit price", "VAT rate")
    assert set(match_columns(headers, SALES_FIELDS).index) == {
        "client",
        "date",
        "description",
        "quantite",
        "prix_unitaire_ht",
        "tva",
    }


def test_every_missing_required_column_is_reported_with_its_aliases() -> None:
    problems = rejected(lambda: match_columns(("client", "date", "libellé", "pu"), SALES_FIELDS))
    assert codes(problems) == ["missing_column", "missing_column"]
    assert [p.column for p in problems] == ["quantite", "tva"]
    assert problems[1].params["aliases"] == "tva, taux_tva, taux_de_tva, vat, vat_rate"
    assert "tva" in problems[1].reason_fr
    assert "taux_de_tva" in problems[1].reason_en


def test_two_headers_for_one_field_is_a_duplicate_column() -> None:
    headers = ("client", "Code client", "date", "description", "quantite", "pu", "tva")
    problems = rejected(lambda: match_columns(headers, SALES_FIELDS))
    assert codes(problems) == ["duplicate_column"]
    assert problems[0].column == "client"
    assert problems[0].value == "Code client"
    assert "client" in problems[0].reason_fr


def test_column_problems_are_reported_together() -> None:
    problems = rejected(lambda: match_columns(("reference", "ref", "nom"), CLIENT_FIELDS))
    assert codes(problems) == ["duplicate_column", "missing_column", "missing_column", "missing_column"]
    assert [p.column for p in problems[1:]] == ["adresse", "code_postal", "ville"]
