"""Read an uploaded spreadsheet (CSV or XLSX bytes) into a table of stripped string cells.

One path for every later check: whatever the format, a cell is a ``str`` ('' when empty), so
numbers, dates and rates are parsed once, in ``invoicing.ingest.values``. XLSX cells are
turned into the text a French user would type (see ``_xlsx_text``).

Anything wrong with the file itself ends in ``InputRejected`` with every problem found; no
other exception escapes for bad input.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePosixPath

from invoicing.domain.problems import InputRejected, Problem

#: Extensions accepted for an upload (compared in lower case).
CSV_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
XLSX_EXTENSIONS = frozenset({".xlsx"})
ACCEPTED_EXTENSIONS = CSV_EXTENSIONS | XLSX_EXTENSIONS

#: Delimiters, in the order preferred on a tie.
DELIMITERS = (";", "\t", ",")

#: Rejections stop after this many problems (the report stays readable).
MAX_PROBLEMS = 1000

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: Other binary files people drop by mistake, named in the problem's detail.
_BINARY_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf", "7z archive"),
    (b"{\\rtf", "RTF document"),
)
_SEP_HINT = re.compile(r"^sep=(.)\s*$", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters that never appear in a text export: their presence means a binary file.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class ProblemList(list[Problem]):
    """Problems collected while checking a file, capped at ``MAX_PROBLEMS``.

    When the cap is reached the last slot says that the list stops there (too_many_problems).
    """

    def add(self, problem: Problem | None) -> None:
        if problem is None or self.full:
            return
        if len(self) == MAX_PROBLEMS - 1:
            self.append(Problem("too_many_problems", params={"limit": MAX_PROBLEMS - 1}))
        else:
            self.append(problem)

    @property
    def full(self) -> bool:
        return len(self) >= MAX_PROBLEMS


@dataclass(frozen=True)
class Row:
    """A data row. ``number`` is the spreadsheet row number: the header is row 1 in a normal file."""

    number: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    format: str  # "csv" | "xlsx"
    #: CSV only: the encoding the bytes were decoded with and the delimiter found.
    encoding: str | None = None
    delimiter: str | None = None
    #: XLSX only: the worksheet read (the first one).
    sheet: str | None = None
    header_row: int = 1


def reject(code: str, **params: object) -> InputRejected:
    return InputRejected([Problem(code, params=dict(params))])


def read_table(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> Table:
    """Read ``data`` (the uploaded file, named ``filename``) into a ``Table``.

    Raises ``InputRejected`` naming what is wrong: size, emptiness, format, encoding, ragged
    rows, XLSX formulas without a computed value.
    """
    if len(data) > max_bytes:
        raise reject("too_large", limit=max_bytes)
    if _blank_bytes(data):
        raise reject("empty_file")
    if data.startswith(_OLE2_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            # A password-protected .xlsx is stored in the old container format.
            raise reject("bad_xlsx", detail="password-protected workbook")
        raise reject("legacy_xls")
    for magic, kind in _BINARY_MAGICS:
        if data.startswith(magic):
            raise reject("not_tabular", detail=kind)
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if extension not in ACCEPTED_EXTENSIONS:
        raise reject("not_tabular", detail=f"extension {extension or '(none)'}")
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, max_rows=max_rows)
    if extension in XLSX_EXTENSIONS:
        raise reject("bad_xlsx", detail="not a zip archive")
    return _read_csv(data, max_rows=max_rows)


def _blank_bytes(data: bytes) -> bool:
    for bom in (_UTF8_BOM, *_UTF16_BOMS):
        if data.startswith(bom):
            data = data[len(bom) :]
            if bom in _UTF16_BOMS:
                data = data.replace(b"\x00", b"")
            break
    return not data.strip()


# --------------------------------------------------------------------------------------- CSV


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name). UTF-8 (BOM or not), UTF-16 with BOM, else strict Windows-1252."""
    if data.startswith(_UTF8_BOM):
        candidates = ("utf-8-sig",)
    elif data.startswith(_UTF16_BOMS):
        candidates = ("utf-16",)
    else:
        if b"\x00" in data[:4096] and _looks_utf16_without_bom(data[:4096]):
            raise reject("bad_encoding")
        candidates = ("utf-8", "cp1252")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "cp1252":
            _refuse_mixed_utf8(data)
        return text, encoding
    raise reject("bad_encoding")


def _refuse_mixed_utf8(data: bytes) -> None:
    """A file that is not UTF-8 as a whole but whose accented lines are mostly UTF-8 was
    saved from two sources (a UTF-8 export with a line pasted from a Windows-1252 one):
    decoding it all as Windows-1252 would print "CafÃ© crÃ¨me". Refuse it, naming the lines."""
    utf8_lines, other_lines = [], []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append(number)
        else:
            utf8_lines.append(number)
    if utf8_lines and other_lines:
        shown = ", ".join(str(n) for n in other_lines[:20]) + (" …" if len(other_lines) > 20 else "")
        raise InputRejected([Problem("mixed_encoding", row=other_lines[0], params={"lines": shown})])


def _looks_utf16_without_bom(head: bytes) -> bool:
    even, odd = head[0::2], head[1::2]
    return len(head) >= 4 and (even.count(0) > 0.4 * len(even) or odd.count(0) > 0.4 * len(odd))


def detect_delimiter(header_line: str) -> str:
    """The delimiter used most often outside quotes in the header line; a tie goes to ``;``."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts.values())
    if best == 0:
        return ";"
    return next(d for d in DELIMITERS if counts[d] == best)


def _first_logical_line(text: str) -> str:
    """The text up to the first newline that is not inside quotes."""
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            return text[:index]
    return text


def _read_csv(data: bytes, *, max_rows: int) -> Table:
    text, encoding = decode(data)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise reject("empty_file")
    sample = text[:65536]
    if "\x00" in text or len(_CONTROL.findall(sample)) > max(2, len(sample) // 200):
        raise reject("not_tabular", detail="binary content")

    body = text.lstrip("\r\n \t")
    header_line = _first_logical_line(body)
    skip_until = 0
    # Excel's optional "sep=;" first line names the delimiter; it is not a data row.
    hint = _SEP_HINT.match(header_line.strip())
    if hint:
        delimiter = hint.group(1)
        leading = text[: len(text) - len(body)]
        skip_until = len(_LINE_BREAK.findall(leading)) + 1  # blank records, then the hint itself
    else:
        delimiter = detect_delimiter(header_line)

    # A spreadsheet shows one row per record (a quoted field may span several lines).
    records = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)
    try:
        return _build(
            records, skip=skip_until, max_rows=max_rows, fmt="csv", encoding=encoding, delimiter=delimiter
        )
    except csv.Error as exc:
        raise reject("not_tabular", detail=f"CSV: {exc}") from exc


# -------------------------------------------------------------------------------------- XLSX


#: What an XLSX may expand to once unzipped (its declared sizes, checked before reading):
#: a sales sheet of 20,000 rows is a few MB of XML; a zip bomb is gigabytes.
XLSX_MAX_EXPANDED = 50 * 1024 * 1024


def _check_expanded_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise reject("bad_xlsx", detail=_short(exc)) from exc
    declared = sum(member.file_size for member in members)
    if declared > XLSX_MAX_EXPANDED or len(members) > 10_000:
        raise reject(
            "xlsx_too_large", size=declared // (1024 * 1024), limit=XLSX_MAX_EXPANDED // (1024 * 1024)
        )


def _read_xlsx(data: bytes, *, max_rows: int) -> Table:
    # zipfile never reads a member past its declared size, so checking the declared sizes
    # bounds what openpyxl can unpack.
    _check_expanded_size(data)
    try:
        import openpyxl
        from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency of the generate function
        raise reject("bad_xlsx", detail="XLSX support not installed") from exc

    # The workbook is read for its values (the results Excel stored) and, when it holds
    # formulas, a second time for the formulas, to find those stored without a result.
    formula_book = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            if _has_formulas(data):
                formula_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, KeyError...) for a bad file
        raise reject("bad_xlsx", detail=_short(exc)) from exc

    try:
        if not values_book.worksheets:
            raise reject("bad_xlsx", detail="no worksheet")
        values_sheet = values_book.worksheets[0]
        formula_sheet = formula_book.worksheets[0] if formula_book is not None else None
        # Ignore the declared size (A1:XFD1048576 when whole rows were formatted): read the cells
        # present, rather than padding every row to 16,384 columns up to row 1,048,576.
        for sheet in (values_sheet, formula_sheet):
            if sheet is not None:
                sheet.reset_dimensions()
        sheet_name = values_sheet.title
        missing: list[tuple[int, int, str]] = []  # (row, column index, formula) of uncomputed formulas

        def records() -> Iterator[tuple[int, list[str]]]:
            formula_rows = iter(formula_sheet.iter_rows()) if formula_sheet is not None else iter(())
            for number, row in enumerate(values_sheet.iter_rows(), start=1):
                formula_row = next(formula_rows, ())
                texts = [_xlsx_text(cell.value, getattr(cell, "number_format", None)) for cell in row]
                for index, (cell, formula_cell) in enumerate(zip(row, formula_row, strict=False)):
                    # A formula whose result is text stores t="str": an empty result is a value.
                    if cell.value is not None or getattr(cell, "data_type", None) in ("s", "str"):
                        continue
                    formula = formula_cell.value
                    if isinstance(formula, ArrayFormula | DataTableFormula):
                        formula = getattr(formula, "text", None) or "="
                    if isinstance(formula, str) and formula.startswith("="):
                        missing.append((number, index, formula))
                yield number, texts

        try:
            table = _build(
                records(),
                skip=0,
                max_rows=max_rows,
                fmt="xlsx",
                sheet=sheet_name,
                late_problems=lambda headers: _formula_problems(missing, headers),
            )
        except InputRejected:
            raise
        except Exception as exc:  # a malformed sheet can fail while streaming rows
            raise reject("bad_xlsx", detail=_short(exc)) from exc
        return table
    finally:
        values_book.close()
        if formula_book is not None:
            formula_book.close()


_FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z0-9_]+:)?f[\s>/]")


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the workbook holds a formula (a cheap scan of the sheet XML)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                with archive.open(name) as stream:
                    tail = b""
                    while chunk := stream.read(1 << 20):
                        if _FORMULA_ELEMENT.search(tail + chunk):
                            return True
                        tail = chunk[-64:]
    except (zipfile.BadZipFile, OSError, EOFError):
        return True  # let openpyxl judge the file
    return False


def _formula_problems(missing: Sequence[tuple[int, int, str]], headers: Sequence[str]) -> list[Problem]:
    from openpyxl.utils import get_column_letter

    problems = []
    for number, index, formula in missing:
        column = headers[index] if index < len(headers) and headers[index] else get_column_letter(index + 1)
        problems.append(Problem("formula_without_value", row=number, column=column, value=formula))
    return problems


_QUOTED_LITERAL = re.compile(r'"[^"]*"|\\.')


def _is_percent_format(number_format: str | None) -> bool:
    """Whether Excel shows the cell as a percentage (a literal "%" in quotes does not count)."""
    return bool(number_format) and "%" in _QUOTED_LITERAL.sub("", str(number_format))


def _plain(number: Decimal) -> str:
    """A Decimal in fixed notation without trailing zeros: 20, 5.5, 0.00001."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _xlsx_text(value: object, number_format: str | None) -> str:
    """A cell as the text the user sees and would type.

    Numbers at Excel's 15 significant digits, shortest form (20, 1.5, 0.3 for 0.1+0.2); a
    percent-formatted number as its percentage ("20 %" for 0.2); dates as YYYY-MM-DD (the
    time of day is dropped); booleans as true/false; empty as ''.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = Decimal(value) if isinstance(value, int) else Decimal(format(value, ".15g"))
        if _is_percent_format(number_format):
            return f"{_plain(number * 100)} %"
        return _plain(number)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def by_row(problem: Problem) -> tuple[bool, int]:
    """File-level problems (no row) last, then by row; the sort is stable within a row."""
    return (problem.row is None, problem.row or 0)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text[:120]}" if text else name


# ------------------------------------------------------------------------------------ common


def _build(
    records: Iterable[tuple[int, list[str]]],
    *,
    skip: int,
    max_rows: int,
    fmt: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    late_problems: Callable[[tuple[str, ...]], list[Problem]] | None = None,
) -> Table:
    """Turn numbered records into a Table: header = first non-blank record, blank rows skipped."""
    headers: tuple[str, ...] | None = None
    header_row = 0
    rows: list[Row] = []
    problems = ProblemList()
    # Blank rows do not count as data, but reading millions of them is refused all the same.
    scan_limit = skip + 10 * max_rows + 1000
    for number, record in records:
        if number <= skip:
            continue
        if number > scan_limit:
            raise reject("too_many_rows", limit=max_rows)
        cells = [cell.strip() for cell in record]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if headers is None:
            headers = tuple(cells)
            header_row = number
            continue
        if len(cells) > len(headers):
            problems.add(
                Problem("ragged_row", row=number, params={"found": len(cells), "expected": len(headers)})
            )
            cells = cells[: len(headers)]
        rows.append(Row(number, tuple(cells) + ("",) * (len(headers) - len(cells))))
        if len(rows) > max_rows:
            raise reject("too_many_rows", limit=max_rows)
    if headers is None:
        raise reject("empty_file")
    if late_problems is not None:
        for problem in late_problems(headers):
            problems.add(problem)
    if problems:
        raise InputRejected(sorted(problems, key=by_row))
    if not rows:
        raise reject("no_rows")
    return Table(
        headers=headers,
        rows=tuple(rows),
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        header_row=header_row,
    )
