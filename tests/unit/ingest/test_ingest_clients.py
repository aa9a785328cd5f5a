"""Clients rows to Client values: identifiers, addresses, languages, terms, duplicates."""

from __future__ import annotations

import pytest
from ingest_helpers import codes, rejected, table_from, xlsx_bytes

from invoicing.domain.parties import Address, Client, Locale
from invoicing.domain.problems import Problem
from invoicing.domain.terms import PaymentTerms
from invoicing.ingest.clients import parse_clients

HEADER = "reference;nom;adresse;complement;code_postal;ville;pays;siren;tva;email;langue;conditions_paiement"
GOOD = (
    "C001;Société Dauphinoise;8 avenue Alsace-Lorraine;Bâtiment B;38000;Grenoble;;"
    "428716302;FR19428716302;compta@sdt.example;;30 jours"
)


def parse(*lines: str, header: str = HEADER, default_locale: Locale = Locale.FR) -> tuple[Client, ...]:
    data = "\n".join((header, *lines)).encode("utf-8")
    return parse_clients(table_from(data, "clients.csv"), default_locale=default_locale)


def test_a_complete_row() -> None:
    (client,) = parse(GOOD)
    assert client == Client(
        ref="C001",
        name="Société Dauphinoise",
        address=Address(("8 avenue Alsace-Lorraine", "Bâtiment B"), "38000", "Grenoble", "FR"),
        email="compta@sdt.example",
        siren="428716302",
        vat_id="FR19428716302",
        locale=Locale.FR,
        payment_terms=PaymentTerms(30),
    )


def test_private_person_with_only_the_required_columns_and_an_email() -> None:
    (client,) = parse(
        "P-17;Mme Hélène Garnier;3 chemin des Frênes;74000;Annecy;helene@courriel.example",
        header="ref;nom;adresse;cp;ville;email",
    )
    assert client.siren is None
    assert client.vat_id is None
    assert client.email == "helene@courriel.example"
    assert client.address == Address(("3 chemin des Frênes",), "74000", "Annecy")
    assert not client.is_business
    assert client.payment_terms is None


@pytest.mark.parametrize("header", ["ref;nom;adresse;cp;ville", "ref;nom;adresse;cp;ville;email"])
def test_private_person_needs_an_email(header: str) -> None:
    """No SIREN, no VAT number: the email is where invoices go and the buyer's electronic address."""
    row = "P-17;Mme Hélène Garnier;3 chemin des Frênes;74000;Annecy" + (
        ";" if header.endswith("email") else ""
    )
    (problem,) = rejected(lambda: parse(row, header=header))
    assert (problem.code, problem.row, problem.column) == ("email_required", 2, "email")


def test_siret_is_reduced_to_its_siren_and_separators_are_ignored() -> None:
    (client,) = parse("C1;SDT;1 rue A;;38000;Grenoble;;428 716 302 00156;;;;", header=HEADER)
    assert client.siren == "428716302"


def test_foreign_client_language_and_country() -> None:
    (client,) = parse(
        "BE1;Brasserie de l'Ourthe;Rue de l'Académie 52;;4000;Liège;Belgique;;BE 0456.712.325;;en;30 days"
    )
    assert client.address.country == "BE"
    assert client.address.postcode == "4000"  # only French postcodes get their leading zero back
    assert client.vat_id == "BE0456712325"
    assert client.locale is Locale.EN
    assert client.payment_terms == PaymentTerms(30)


def test_default_locale_applies_when_the_language_is_blank() -> None:
    (client,) = parse(GOOD, default_locale=Locale.EN)
    assert client.locale is Locale.EN


def test_french_postcode_that_lost_its_leading_zero_in_excel() -> None:
    data = xlsx_bytes(
        [
            ["Code client", "Nom", "Adresse", "CP", "Ville", "Email"],
            ["A1", "Auberge", "1 place", 1000, "Bourg", "a@b.example"],
        ]
    )
    (client,) = parse_clients(table_from(data, "clients.xlsx"))
    assert client.address.postcode == "01000"


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("siren", "428716303", "bad_siren"),
        ("siren", "42871630200157", "bad_siren"),
        ("siren", "12345", "bad_siren"),
        ("tva", "FR00428716302", "bad_vat_id"),
        ("tva", "BE0456712324", "bad_vat_id"),
        ("tva", "FR54519372643", "vat_id_siren_mismatch"),
        ("email", "compta@", "bad_email"),
        ("email", "a@b.fr, c@d.fr", "bad_email"),
        ("email", "compta\u200b@sdt.example", "email_invisible"),  # pasted with a zero-width space
        ("email", "élodie.martin@sdt.example", "email_not_ascii"),  # SES cannot send to it
        ("conditions_paiement", "quand il veut", "bad_terms"),
        ("langue", "de", "bad_locale"),
        ("pays", "Atlantide", "bad_country"),
        ("reference", "C 001", "bad_reference"),
        ("reference", "C" * 36, "bad_reference"),
        ("reference", "", "required"),
        ("nom", "", "required"),
        ("adresse", "", "required"),
        ("code_postal", "", "required"),
        ("ville", "", "required"),
    ],
)
def test_each_bad_value_names_row_column_and_value(column: str, value: str, code: str) -> None:
    names = HEADER.split(";")
    cells = GOOD.split(";")
    cells[names.index(column)] = value
    problems = rejected(lambda: parse(";".join(cells)))
    assert problems == (Problem(code, row=2, column=column, value=value),)


def test_duplicate_reference_ignores_case_and_names_the_first_row() -> None:
    other = GOOD.replace("C001", "c001")
    problems = rejected(lambda: parse(GOOD, GOOD.replace("C001", "C002"), other))
    assert codes(problems) == ["duplicate_client"]
    assert (problems[0].row, problems[0].params) == (4, {"first_row": 2})
    assert "2" in problems[0].reason_fr


def test_all_problems_of_the_file_at_once() -> None:
    problems = rejected(
        lambda: parse(
            GOOD,
            "C002;;1 rue A;;69002;Lyon;;123;;x;;",
            "C003;Ok;1 rue A;;69002;Lyon;;;;;klingon;",
        )
    )
    assert [(p.row, p.code, p.column) for p in problems] == [
        (3, "required", "nom"),
        (3, "bad_siren", "siren"),
        (3, "bad_email", "email"),
        (4, "email_required", "email"),
        (4, "bad_locale", "langue"),
    ]
