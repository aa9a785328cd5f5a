"""Bad input gets a clear answer and loses nothing: for each kind of mistake, the whole file
is refused (no invoice, no number used), reports/<file>.errors.csv names row, column, value
and the reason in French and English, the source is kept under rejected/, and the operator
is told. Everything goes through S3 -> SQS -> the generate handler."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.records import models
from tests.conftest import sales_csv

GOOD_ROW = "C001;03/11/2026;Audit;2;h;95,00;20;;;"


def xlsx_with_formula_and_no_cached_value() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["client", "date", "description", "quantite", "unite", "prix_unitaire_ht", "tva"])
    sheet.append(["C001", "03/11/2026", "Audit", 2, "h", 95, 20])
    sheet["F2"] = "=90+5"  # openpyxl writes the formula without a computed value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CASES = {
    # name: (file name, content, problem code, row, column as written in the file, value)
    "unknown client": (
        "a.csv",
        sales_csv([GOOD_ROW, "C999;03/11/2026;Audit;2;h;95;20;;;"]),
        "unknown_client",
        3,
        "client",
        "C999",
    ),
    "bad number": (
        "b.csv",
        sales_csv(["C001;03/11/2026;Audit;deux;h;95;20;;;"]),
        "bad_number",
        2,
        "quantite",
        "deux",
    ),
    "negative quantity": (
        "c.csv",
        sales_csv(["C001;03/11/2026;Audit;-2;h;95;20;;;"]),
        "not_positive",
        2,
        "quantite",
        "-2",
    ),
    "unknown VAT rate": (
        "d.csv",
        sales_csv(["C001;03/11/2026;Audit;2;h;95;19,6;;;"]),
        "unknown_vat_rate",
        2,
        "tva",
        "19,6",
    ),
    "bad date": (
        "e.csv",
        sales_csv(["C001;31/02/2026;Audit;2;h;95;20;;;"]),
        "bad_date",
        2,
        "date",
        "31/02/2026",
    ),
    "missing column": (
        "f.csv",
        "client;date;description;quantite;unite;tva\nC001;03/11/2026;Audit;2;h;20\n",
        "missing_column",
        None,
        None,
        None,
    ),
    "duplicate header": (
        "g.csv",
        "client;date;description;quantite;qte;unite;prix_unitaire_ht;tva\n"
        "C001;03/11/2026;Audit;2;2;h;95;20\n",
        "duplicate_column",
        None,
        None,
        None,
    ),
    "empty file": ("h.csv", b"", "empty_file", None, None, None),
    "unreadable encoding": (
        "i.csv",
        b"client;date;description\n" + b"C001;03/11/2026;\x81\x8d\x8f\x90\x9d\xff\xfe\n",
        "bad_encoding",
        None,
        None,
        None,
    ),
    "not CSV or XLSX": ("j.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "not_tabular", None, None, None),
    "XLSX formula without value": (
        "k.xlsx",
        xlsx_with_formula_and_no_cached_value(),
        "formula_without_value",
        2,
        "prix_unitaire_ht",
        None,
    ),
    "a vertical tab, which XML refuses (issue 7's three-row file)": (
        "m.csv",
        sales_csv(
            [
                "C001;03/11/2026;Audit normal;1;jour;850;20;;;",
                "C002;03/11/2026;Audit\x0bconseil;1;jour;850;0;;;autoliquidation",
                "C003;03/11/2026;Formation;1;u;100;20;;;",
            ]
        ),
        "forbidden_characters",
        3,
        "description",
        "Audit\\u000bconseil",
    ),
    "a form feed, and a unit separator (1F)": (
        "n.csv",
        sales_csv(
            ["C001;03/11/2026;Audit\x0cconseil;1;jour;850;20;;;", "C001;04/11/2026;Suivi\x1f;1;h;95;20;;;"]
        ),
        "forbidden_characters",
        2,
        "description",
        None,
    ),
    "a bidirectional override": (
        "o.csv",
        sales_csv(["C001;03/11/2026;Evil\u202eCorp audit;1;jour;850;20;;;"]),
        "forbidden_characters",
        2,
        "description",
        "Evil\\u202eCorp audit",
    ),
    "a zero-width space in an order reference": (
        "p.csv",
        sales_csv(["C001;03/11/2026;Audit;1;jour;850;20;BC\u200b-1;;"]),
        "forbidden_characters",
        2,
        "reference_commande",
        None,
    ),
    "a quantity beyond Decimal's exact arithmetic": (
        "q.csv",
        sales_csv(["C001;03/11/2026;Audit;100000000000000000000;h;10000000000;20;;;"]),
        "number_too_large",
        2,
        "quantite",
        "100000000000000000000",
    ),
    "an invoice above the business's ceiling": (
        "r.csv",
        sales_csv(["C001;03/11/2026;Audit;999999999;h;999999;20;;;"]),
        "amount_over_limit",
        2,
        None,
        None,
    ),
    "a UTF-8 file with one Windows-1252 line": (
        "s.csv",
        b"client;date;description;quantite;unite;prix_unitaire_ht;tva\n"
        + "C001;03/11/2026;Café crème;1;u;10;20\n".encode()
        + "C001;03/11/2026;Thé à la menthe;1;u;10;20\n".encode("cp1252"),
        "mixed_encoding",
        3,
        None,
        None,
    ),
    "characters the invoice cannot print": (
        "l.csv",
        sales_csv(["C001;03/11/2026;株式会社の監査;2;h;95;20;;;"]),
        "undrawable_characters",
        2,
        "description",
        "株式会社の監査",
    ),
}


def read_report(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff"), "the report opens in Excel: UTF-8 with BOM"
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


@pytest.mark.parametrize("case", CASES.keys())
def test_bad_file_is_refused_whole_with_a_report(
    case, runtime, bucket, resources, with_clients, operator_inbox, stack
):
    name, content, code, row, column, value = CASES[case]
    data = content.encode("utf-8") if isinstance(content, str) else content
    bucket.put(f"incoming/{name}", data)
    runtime.run_until_idle()

    # Nothing was created and no number was used.
    assert list(InvoiceRepository(resources).all()) == []
    assert [r.series for r in models(resources).SequenceRecord.scan()] == []
    # The source is kept, byte for byte, under rejected/.
    assert bucket.keys("incoming/") == []
    assert bucket.get(f"rejected/{name}") == data
    # The report names the problem in both languages.
    report = read_report(bucket.get(f"reports/{name}.errors.csv"))
    from invoicing.domain.problems import MESSAGES

    french, english = MESSAGES[code]
    matching = [r for r in report if r["motif"].startswith(french.split("{")[0][:25])]
    assert matching, f"no '{code}' line in {report}"
    line = matching[0]
    assert line["reason"].startswith(english.split("{")[0][:25])
    if row is not None:
        assert line["ligne"] == str(row)
    if column is not None:
        assert line["colonne"] == column
    if value is not None:
        assert line["valeur"] == value
    # The operator is told, with the first problems quoted, in French and English.
    alerts = operator_inbox.messages()
    assert len(alerts) == 1
    assert name in alerts[0]["Subject"]
    assert "Aucune facture n'a été créée" in alerts[0]["Message"]
    assert "No invoice was created" in alerts[0]["Message"]
    assert f"reports/{name}.errors.csv" in alerts[0]["Message"]
    # The function did not fail: a refusal is an answer, not an error to retry.
    generate = [d for d in runtime.deliveries if d.function == "GenerateFunction"]
    assert all(d.failed == 0 for d in generate)


def test_a_clients_file_with_a_control_character_is_refused(runtime, bucket, resources, operator_inbox):
    bad = (
        "reference;nom;adresse;code_postal;ville;siren\n"
        "C001;Boulangerie\x0bLefèvre;4 rue;69001;Lyon;552100554\n"
    )
    bucket.put("incoming/clients/clients.csv", bad)
    runtime.run_until_idle()
    assert bucket.keys("rejected/") == ["rejected/clients/clients.csv"]
    report = read_report(bucket.get("reports/clients/clients.csv.errors.csv"))
    assert [(r["ligne"], r["colonne"], r["valeur"]) for r in report] == [
        ("2", "nom", "Boulangerie\\u000bLefèvre")
    ]
    assert "U+000B" in report[0]["reason"]


def test_every_problem_of_a_file_is_reported_at_once(runtime, bucket, with_clients):
    bucket.put(
        "incoming/plusieurs.csv",
        sales_csv(
            [
                "C001;03/11/2026;Audit;abc;h;95;20;;;",
                GOOD_ROW,
                "C404;31/13/2026;Formation;1;jour;750;7;;;",
            ]
        ),
    )
    runtime.run_until_idle()
    report = read_report(bucket.get("reports/plusieurs.csv.errors.csv"))
    found = {(r["ligne"], r["colonne"], r["valeur"]) for r in report}
    assert found == {
        ("2", "quantite", "abc"),
        ("4", "client", "C404"),
        ("4", "date", "31/13/2026"),
        ("4", "tva", "7"),
    }


def test_file_over_the_size_limit_is_refused_without_being_read(runtime, bucket, business, with_clients):
    big = b"client;date\n" + b"x" * business.max_input_bytes
    bucket.put("incoming/enorme.csv", big)
    runtime.run_until_idle()
    report = read_report(bucket.get("reports/enorme.csv.errors.csv"))
    assert [r["ligne"] for r in report] == [""]
    assert str(business.max_input_bytes) in report[0]["motif"]
    assert bucket.keys("rejected/") == ["rejected/enorme.csv"]


def test_a_refused_file_can_be_fixed_and_dropped_again(runtime, bucket, resources, with_clients):
    bucket.put("incoming/ventes.csv", sales_csv(["C001;03/11/2026;Audit;deux;h;95;20;;;"]))
    runtime.run_until_idle()
    assert list(InvoiceRepository(resources).all()) == []
    bucket.put("incoming/ventes.csv", sales_csv(["C001;03/11/2026;Audit;2;h;95;20;;;"]))
    runtime.run_until_idle()
    numbers = [s.invoice.number for s in InvoiceRepository(resources).all()]
    assert len(numbers) == 1
    assert numbers[0].endswith("-00001")  # the refusal used no number
