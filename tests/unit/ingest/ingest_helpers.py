"""Builders for the ingest tests: small in-memory CSV and XLSX files, problem helpers."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import pytest
from openpyxl import Workbook

from invoicing.domain.problems import InputRejected, Problem
from invoicing.ingest.table import Table, read_table
from tests import factories

MAX_BYTES = 1_000_000
MAX_ROWS = 5_000

#: Column order of the sales CSV built by ``sales_csv``.
SALES_COLUMNS = factories.SALES_COLUMNS
DEFAULT_ROW = factories.DEFAULT_SALE


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def table_from(data: bytes, filename: str = "ventes.csv", **limits: int) -> Table:
    return read_table(
        data,
        filename,
        max_bytes=limits.get("max_bytes", MAX_BYTES),
        max_rows=limits.get("max_rows", MAX_ROWS),
    )


def sales_csv(*rows: dict[str, str]) -> bytes:
    """A semicolon CSV with every sales column; each row is DEFAULT_ROW updated with ``rows[i]``."""
    return factories.sales_csv(*rows).encode("utf-8")


def rejected(call: Callable[[], object]) -> tuple[Problem, ...]:
    """The problems of the InputRejected that ``call`` raises."""
    with pytest.raises(InputRejected) as caught:
        call()
    return caught.value.problems


def codes(problems: Sequence[Problem]) -> list[str]:
    return [p.code for p in problems]


def xlsx_bytes(
    rows: Sequence[Sequence[object]],
    formats: dict[str, str] | None = None,
    extra_sheets: dict[str, Sequence[Sequence[object]]] | None = None,
) -> bytes:
    """An XLSX workbook written by openpyxl; ``formats`` maps cell coordinates to number formats."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Ventes"
    for row in rows:
        sheet.append(list(row))
    for coordinate, number_format in (formats or {}).items():
        sheet[coordinate].number_format = number_format
    for title, other_rows in (extra_sheets or {}).items():
        other = book.create_sheet(title)
        for row in other_rows:
            other.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
