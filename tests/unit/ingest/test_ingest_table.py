"""Reading bytes into a table: formats, encodings, delimiters, XLSX cells, file-level rejections."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import pytest
from ingest_helpers import codes, rejected, table_from, xlsx_bytes

from invoicing.ingest.table import detect_delimiter

# ------------------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("client;date;montant\nC001;03/11/2026;1,5\n", ";"),
        ('client,date,montant\nC001,03/11/2026,"1,5"\n', ","),
        ("client\tdate\tmontant\nC001\t03/11/2026\t1,5\n", "\t"),
    ],
    ids=["semicolon", "comma", "tab"],
)
def test_each_delimiter_is_detected_from_the_header(text: str, delimiter: str) -> None:
    table = table_from(text.encode())
    assert table.delimiter == delimiter
    assert table.format == "csv"
    assert table.headers == ("client", "date", "montant")
    assert table.rows[0].cells == ("C001", "03/11/2026", "1,5")
    assert table.rows[0].number == 2


def test_delimiter_counts_outside_quotes_and_a_tie_goes_to_semicolon() -> None:
    assert detect_delimiter('"a;b;c",d,e') == ","
    assert detect_delimiter("a;b,c") == ";"
    assert detect_delimiter("a\tb,c") == "\t"
    assert detect_delimiter("single") == ";"


def test_quoted_fields_with_delimiters_and_newlines_keep_spreadsheet_row_numbers() -> None:
    text = 'client;description;qte\nC001;"Audit; phase 1\nentretiens";2\nC002;Suivi;1\n'
    table = table_from(text.encode())
    assert [row.number for row in table.rows] == [2, 3]
    assert table.rows[0].cells == ("C001", "Audit; phase 1\nentretiens", "2")


def test_utf8_with_bom() -> None:
    table = table_from("\ufeffclient;nom\nC001;Société Générale\n".encode())
    assert table.headers == ("client", "nom")  # the BOM is not part of the first header
    assert table.encoding == "utf-8-sig"
    assert table.rows[0].cells[1] == "Société Générale"


def test_utf8_without_bom() -> None:
    table = table_from("client;nom\nC001;Pâtisserie Lefèvre\n".encode())
    assert table.encoding == "utf-8"
    assert table.rows[0].cells[1] == "Pâtisserie Lefèvre"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_tab_separated_as_excel_unicode_text(codec: str) -> None:
    text = "client\tnom\tprix\r\nC001\tSociété Rhône\t1 250,00 €\r\n"
    data = ("\ufeff" + text).encode(codec) if codec != "utf-16" else text.encode(codec)
    table = table_from(data, "export.txt")
    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert table.rows[0].cells == ("C001", "Société Rhône", "1 250,00 €")


def test_windows_1252_when_not_utf8() -> None:
    table = table_from("client;nom;prix\nC001;Société Dupré;12 €\n".encode("cp1252"))
    assert table.encoding == "cp1252"
    assert table.rows[0].cells == ("C001", "Société Dupré", "12 €")


def test_bytes_neither_utf8_nor_windows_1252_are_a_bad_encoding() -> None:
    problems = rejected(lambda: table_from(b"client;nom\nC001;Soci\x81t\x8d\n"))
    assert codes(problems) == ["bad_encoding"]


def test_utf16_without_bom_is_reported_as_an_encoding_problem() -> None:
    problems = rejected(lambda: table_from("client;nom\nC001;X\n".encode("utf-16-le")))
    assert codes(problems) == ["bad_encoding"]


def test_cells_are_stripped_and_blank_rows_skipped_with_true_row_numbers() -> None:
    text = "  client ; nom \n\n C001 ;  Dupont  \n;;\n\nC002;Martin\n"
    table = table_from(text.encode())
    assert table.headers == ("client", "nom")
    assert [(r.number, r.cells) for r in table.rows] == [(3, ("C001", "Dupont")), (6, ("C002", "Martin"))]


def test_short_rows_are_padded_and_trailing_empty_cells_are_not_ragged() -> None:
    table = table_from(b"a;b;c\n1\n1;2;3;;\n")
    assert [r.cells for r in table.rows] == [("1", "", ""), ("1", "2", "3")]


def test_row_with_more_values_than_the_header_is_ragged() -> None:
    problems = rejected(lambda: table_from(b"a;b\n1;2\n1;2;3\n4;5;6;7\n"))
    assert codes(problems) == ["ragged_row", "ragged_row"]
    assert [p.row for p in problems] == [3, 4]
    assert problems[1].params == {"found": 4, "expected": 2}
    assert "4" in problems[1].reason_fr
    assert "2" in problems[1].reason_en


def test_excel_sep_hint_line_names_the_delimiter() -> None:
    table = table_from(b'sep=,\nclient,prix\nC001,"1,5"\n')
    assert table.delimiter == ","
    assert table.headers == ("client", "prix")
    assert table.header_row == 2
    assert table.rows[0].number == 3
    table = table_from(b"\r\n\nsep=,\r\nclient;nom,prix\r\nC001;X,2\r\n")
    assert (table.delimiter, table.header_row, table.rows[0].number) == (",", 4, 5)
    assert table.headers == ("client;nom", "prix")


def test_millions_of_blank_rows_are_not_read_forever() -> None:
    problems = rejected(lambda: table_from(b"a;b\n1;2\n" + b";\n" * 2000, max_rows=100))
    assert codes(problems) == ["too_many_rows"]
    assert len(table_from(b"a;b\n1;2\n" + b";\n" * 1000, max_rows=100).rows) == 1


# ---------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    "data", [b"", b"   \r\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n", "\ufeff \r\n".encode("utf-16")]
)
def test_empty_files(data: bytes) -> None:
    assert codes(rejected(lambda: table_from(data))) == ["empty_file"]


@pytest.mark.parametrize("text", ["client;date\n", "client;date\n;\n\n  ;  \n"])
def test_header_without_data_rows(text: str) -> None:
    assert codes(rejected(lambda: table_from(text.encode()))) == ["no_rows"]


def test_oversize_file_is_refused_before_reading() -> None:
    problems = rejected(lambda: table_from(b"a;b\n1;2\n" * 100, max_bytes=50))
    assert codes(problems) == ["too_large"]
    assert problems[0].params == {"limit": 50}
    assert "50" in problems[0].reason_fr


def test_too_many_rows() -> None:
    problems = rejected(lambda: table_from(b"a;b\n" + b"1;2\n" * 11, max_rows=10))
    assert codes(problems) == ["too_many_rows"]
    assert problems[0].params == {"limit": 10}
    assert len(table_from(b"a;b\n" + b"1;2\n" * 10, max_rows=10).rows) == 10


def test_pdf_is_not_tabular() -> None:
    problems = rejected(lambda: table_from(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "ventes.csv"))
    assert codes(problems) == ["not_tabular"]
    assert problems[0].params["detail"] == "PDF"


def test_legacy_xls_is_recognised_by_its_magic_number() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200
    assert codes(rejected(lambda: table_from(data, "ventes.xls"))) == ["legacy_xls"]
    assert codes(rejected(lambda: table_from(data, "ventes.xlsx"))) == ["legacy_xls"]


def test_password_protected_workbook_is_not_mistaken_for_a_legacy_xls() -> None:
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 100
        + "EncryptionInfo".encode("utf-16-le")
        + b"\x00" * 50
    )
    problems = rejected(lambda: table_from(data, "ventes.xlsx"))
    assert codes(problems) == ["bad_xlsx"]
    assert problems[0].params["detail"] == "password-protected workbook"


def test_binary_content_is_not_tabular() -> None:
    problems = rejected(lambda: table_from(b"a;b\n\x00\x01\x02\x03;\x04\x05\x06\x07\n" * 5, "ventes.csv"))
    assert codes(problems) == ["not_tabular"]
    assert problems[0].params["detail"] == "binary content"


def test_other_extensions_are_not_tabular_and_extensions_ignore_case() -> None:
    problems = rejected(lambda: table_from(b"a;b\n1;2\n", "ventes.pdf"))
    assert codes(problems) == ["not_tabular"]
    assert ".pdf" in problems[0].params["detail"]
    assert table_from(b"a;b\n1;2\n", "VENTES.CSV").rows[0].cells == ("1", "2")
    assert table_from(b"a\tb\n1\t2\n", "ventes.tsv").delimiter == "\t"


def test_xlsx_extension_with_text_content_is_a_bad_xlsx() -> None:
    problems = rejected(lambda: table_from(b"a;b\n1;2\n", "ventes.xlsx"))
    assert codes(problems) == ["bad_xlsx"]


def test_a_zip_that_is_not_a_workbook_is_a_bad_xlsx() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    problems = rejected(lambda: table_from(buffer.getvalue(), "ventes.xlsx"))
    assert codes(problems) == ["bad_xlsx"]
    assert problems[0].params["detail"]


def test_a_truncated_workbook_is_a_bad_xlsx() -> None:
    data = xlsx_bytes([["a"], ["b"]])
    assert codes(rejected(lambda: table_from(data[: len(data) // 2], "ventes.xlsx"))) == ["bad_xlsx"]


# ------------------------------------------------------------------------------------ XLSX


def test_xlsx_cells_become_the_text_a_user_would_type() -> None:
    data = xlsx_bytes(
        [
            ["Date", "Quantité", "Prix", "Total", "Actif", "Note", "Vide", "Grand"],
            [date(2026, 11, 3), 2, 1.5, 20.0, True, "  texte  ", None, 1250000],
            # Excel date-times carry no time zone
            [datetime(2026, 11, 4, 15, 30), 0.1 + 0.2, 1e-05, -3.25, False, "x", None, 12],  # noqa: DTZ001
        ]
    )
    table = table_from(data, "ventes.xlsx")
    assert table.format == "xlsx"
    assert table.sheet == "Ventes"
    assert table.rows[0].cells == ("2026-11-03", "2", "1.5", "20", "true", "texte", "", "1250000")
    # 0.1 + 0.2 is shown as Excel shows it (15 significant digits), no scientific notation
    assert table.rows[1].cells == ("2026-11-04", "0.3", "0.00001", "-3.25", "false", "x", "", "12")


def test_xlsx_percent_cells_are_read_as_percentages() -> None:
    data = xlsx_bytes(
        [["tva", "remise", "littéral"], [0.2, 0.1, 20], [0.055, 0.025, 5], [0.021, 0, 0], [0.1, 1, 0]],
        formats={
            "A2": "0%",
            "A3": "0.0%",
            "A4": "0.0%",
            "A5": "0.00%",
            "B2": "0%",
            "B3": "0.0%",
            "B4": "0%",
            "B5": "0%",
            # a quoted "%" is literal text: Excel shows the number as it is
            "C2": '0" %"',
            "C3": "0\\%",
        },
    )
    table = table_from(data, "ventes.xlsx")
    assert [r.cells for r in table.rows] == [
        ("20 %", "10 %", "20"),
        ("5.5 %", "2.5 %", "5"),
        ("2.1 %", "0 %", "0"),
        ("10 %", "100 %", "0"),
    ]


def test_xlsx_formula_without_cached_value_is_reported_with_row_and_header() -> None:
    data = xlsx_bytes([["client", "quantite", "total"], ["C001", 2, "=B2*10"], ["C002", "=1+1", 5]])
    problems = rejected(lambda: table_from(data, "ventes.xlsx"))
    assert codes(problems) == ["formula_without_value", "formula_without_value"]
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "total", "=B2*10"), (3, "quantite", "=1+1")]


def _patched_sheet(data: bytes, pattern: bytes, replacement: bytes) -> bytes:
    """The workbook with its sheet XML edited (``pattern`` is a regex: lxml and ElementTree differ)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(pattern, replacement, content)
                assert count == 1
            target.writestr(item, content)
    return buffer.getvalue()


_EMPTY_V = rb"(?:<v></v>|<v ?/>)"


def test_xlsx_formula_with_a_cached_value_gives_the_value() -> None:
    # Excel and LibreOffice store the computed value next to the formula; openpyxl does not.
    data = xlsx_bytes([["client", "total"], ["C001", "=1+1"]])
    data = _patched_sheet(data, rb"<f>1\+1</f>" + _EMPTY_V, b"<f>1+1</f><v>2</v>")
    table = table_from(data, "ventes.xlsx")
    assert table.rows[0].cells == ("C001", "2")


def test_xlsx_formula_computed_to_empty_text_is_a_blank_cell_not_a_missing_value() -> None:
    data = xlsx_bytes([["client", "remise"], ["C001", "=UPPER(A2)"]])
    data = _patched_sheet(
        data, rb'<c r="B2"><f>UPPER\(A2\)</f>' + _EMPTY_V, b'<c r="B2" t="str"><f>UPPER(A2)</f><v></v>'
    )
    table = table_from(data, "ventes.xlsx")
    assert table.rows[0].cells == ("C001", "")


def test_xlsx_reads_the_first_worksheet_only() -> None:
    data = xlsx_bytes([["client"], ["C001"]], extra_sheets={"Brouillon": [["autre"], ["X"], ["Y"]]})
    table = table_from(data, "ventes.xlsx")
    assert table.headers == ("client",)
    assert [r.cells for r in table.rows] == [("C001",)]


def test_xlsx_declared_size_is_ignored() -> None:
    data = xlsx_bytes([["client", "qte"], ["C001", 2]])
    data = _patched_sheet(data, rb'<dimension ref="A1:B2" ?/>', b'<dimension ref="A1:XFD1048576"/>')
    table = table_from(data, "ventes.xlsx")
    assert table.headers == ("client", "qte")
    assert [(r.number, r.cells) for r in table.rows] == [(2, ("C001", "2"))]


def test_xlsx_is_detected_by_content_whatever_the_extension() -> None:
    table = table_from(xlsx_bytes([["client"], ["C001"]]), "ventes.csv")
    assert table.format == "xlsx"


def test_xlsx_blank_rows_ragged_rows_and_empty_sheets() -> None:
    table = table_from(xlsx_bytes([["a", "b"], [None, None], ["1", None]]), "v.xlsx")
    assert [(r.number, r.cells) for r in table.rows] == [(3, ("1", ""))]
    problems = rejected(lambda: table_from(xlsx_bytes([["a", "b"], [1, 2, 3]]), "v.xlsx"))
    assert codes(problems) == ["ragged_row"]
    assert problems[0].row == 2
    assert codes(rejected(lambda: table_from(xlsx_bytes([]), "v.xlsx"))) == ["empty_file"]
    assert codes(rejected(lambda: table_from(xlsx_bytes([["a", "b"]]), "v.xlsx"))) == ["no_rows"]
