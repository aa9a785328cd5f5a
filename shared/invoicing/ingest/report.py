"""The CSV files written for people, and the error report a rejected file gets: one line per
problem, in French and English.

CSV in UTF-8 with a BOM and ";" as delimiter, so that Excel set to French opens it directly
with accents intact. Columns: ``ligne;colonne;valeur;motif;reason``; the row is blank for a
problem with the whole file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from invoicing.domain.problems import Problem

HEADER = ("ligne", "colonne", "valeur", "motif", "reason")

# A cell Excel would run as a formula when the report is opened (CSV injection): "=...",
# "+...", "@...", or "-..." that is not a number. Such values are shown with a leading quote.
_FORMULA_START = re.compile(r"^(?:[=+@\t\r]|-(?!\d[\d\s.,]*$))")


def _safe(text: str) -> str:
    return "'" + text if _FORMULA_START.match(text) else text


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Every CSV this project writes for people: UTF-8 with BOM, ";" and CRLF (Excel set to
    French opens it as is), and no cell Excel would run as a formula."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe("" if cell is None else str(cell)) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def problems_csv(problems: Sequence[Problem]) -> bytes:
    return spreadsheet_csv(
        HEADER,
        (
            (
                "" if problem.row is None else str(problem.row),
                problem.column or "",
                problem.value or "",
                problem.reason_fr,
                problem.reason_en,
            )
            for problem in problems
        ),
    )
