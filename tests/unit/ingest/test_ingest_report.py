"""The error report: UTF-8 with BOM, semicolons, one line per problem, French and English reasons."""

from __future__ import annotations

import csv
import io

from invoicing.domain.problems import Problem
from invoicing.ingest.report import problems_csv


def read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_report_lines_name_row_column_value_and_reason_in_both_languages() -> None:
    data = problems_csv(
        [
            Problem("too_large", params={"limit": 1000}),
            Problem("bad_number", row=4, column="Quantité", value="abc"),
            Problem("unknown_vat_rate", row=6, column="TVA (%)", value="19,6 %"),
        ]
    )
    assert data.startswith("\ufeffligne;colonne;valeur;motif;reason\r\n".encode())
    rows = read(data)
    assert rows[0] == ["ligne", "colonne", "valeur", "motif", "reason"]
    assert rows[1] == [
        "",
        "",
        "",
        "Le fichier dépasse la taille maximale de 1000 octets.",
        "The file exceeds the maximum size of 1000 bytes.",
    ]
    assert rows[2] == ["4", "Quantité", "abc", "Nombre illisible.", "Unreadable number."]
    assert rows[3][:3] == ["6", "TVA (%)", "19,6 %"]
    assert rows[3][3].startswith("Taux de TVA inconnu")
    assert rows[3][4].startswith("Unknown VAT rate")
    assert len(rows) == 4


def test_values_with_separators_and_newlines_stay_in_one_cell() -> None:
    rows = read(problems_csv([Problem("bad_number", row=2, column="prix", value='1;2 "x"\nsuite')]))
    # Line breaks in a quoted value are shown, not kept: one problem, one line of the report.
    assert rows[1][2] == '1;2 "x"\\nsuite'


def test_values_excel_would_run_as_formulas_are_neutralised() -> None:
    rows = read(
        problems_csv(
            [
                Problem("bad_number", row=2, column="prix", value='=HYPERLINK("http://x")'),
                Problem("bad_number", row=3, column="prix", value="@SUM(A1)"),
                Problem("not_positive", row=4, column="qte", value="-2"),
                Problem("bad_number", row=5, column="qte", value="-abc"),
            ]
        )
    )
    assert [r[2] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "-2", "'-abc"]


def test_an_empty_list_gives_the_header_only() -> None:
    assert read(problems_csv([])) == [["ligne", "colonne", "valeur", "motif", "reason"]]
