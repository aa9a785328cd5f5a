"""The FEC (fichier des écritures comptables) of article L. 47 A of the Livre des procédures
fiscales, as a flat file under article A. 47 A-1 (commented in BOFiP BOI-CF-IOR-60-40-20).

- One record per entry line, the 18 fields of A. 47 A-1 VII 1° in that order (``COLUMNS``),
  preceded by a header record naming them (BOI-CF-IOR-60-40-20 § 10); fields separated by ``|``
  (a separator that cannot occur in a field: every field is cleaned of ``|``, tabs and line
  breaks), records by CR LF.
- Dates ``YYYYMMDD``; amounts in euros with a comma as decimal separator, no thousands
  separator, ``0,00`` on the side a line does not use; ``Montantdevise`` and ``Idevise``
  empty for euro lines; ``EcritureLet``/``DateLet`` empty when a line is not lettered;
  ``ValidDate`` the entry's validation date, else the one given for the file, else the entry's
  own date.
- Entries in chronological order and numbered per journal without gaps, in that order
  (``EcritureNum`` = journal code + 6 digits, so unique in the file too): ``number_entries``.
- Named ``<SIREN>FEC<YYYYMMDD>.txt``, the date being the closing date of the financial year
  (A. 47 A-1 X): ``fec_file_name``.

Encoding. A. 47 A-1 III 1° accepts the character sets ASCII, ISO 8859-15 or EBCDIC, and no
other: UTF-8 is not in the list (accounting packages and Odoo read it, but the administration's
text does not name it). ``write_fec`` therefore writes ISO 8859-15 by default: it holds every
French letter, ``€``, ``œ`` and ``Ÿ`` (which ISO 8859-1 lacks); a character outside it (a
Polish or Turkish name, a curly quote) is written as its nearest letter or punctuation
(``Ł`` → ``L``, ``ź`` → ``z``, ``—`` → ``-``), else ``?``, so the file never fails to
encode. ``encoding="utf-8"`` is there for a package that wants it (the FEC import of a tool
other than the administration's); the file then carries no BOM.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from invoicing.domain.accounting import JournalEntry, JournalLine, check_balanced
from invoicing.domain.money import CENT

#: The 18 fields of article A. 47 A-1 VII 1° du LPF, in order.
COLUMNS: tuple[str, ...] = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
SEPARATOR = "|"
RECORD_END = "\r\n"
#: One of the three character sets article A. 47 A-1 III 1° accepts (see the module's doc).
ENCODING = "iso-8859-15"

_SIREN = re.compile(r"^[0-9]{9}$")
_SPACE = re.compile(r"\s+")


class FecError(ValueError):
    """A file that cannot be written as asked."""


def fec_file_name(siren: str, closing_date: date) -> str:
    """``<SIREN>FEC<YYYYMMDD>.txt``, the date being the closing date of the financial year."""
    siren = siren.replace(" ", "")
    if not _SIREN.match(siren):
        raise FecError(f"a FEC is named by the 9-digit SIREN, not {siren!r}")
    return f"{siren}FEC{closing_date:%Y%m%d}.txt"


def clean(text: str) -> str:
    """A field as the file holds it: no separator, tab or line break inside (each becomes a
    space), runs of spaces made one, no leading or trailing space."""
    return _SPACE.sub(" ", text.replace(SEPARATOR, " ")).strip()


def amount(value: Decimal) -> str:
    """``1234,50``: two decimals, a comma, no thousands separator, no sign (the side says it)."""
    if value < 0:
        raise FecError(f"FEC amounts are written on their side, never negative ({value})")
    if value != value.quantize(CENT):
        raise FecError(f"FEC amounts are whole cents, not {value}")
    return f"{value.quantize(CENT):f}".replace(".", ",")


def day(value: date | None) -> str:
    return "" if value is None else f"{value:%Y%m%d}"


def number_entries(entries: Iterable[JournalEntry]) -> tuple[JournalEntry, ...]:
    """The entries in date order (then journal, then as given), each numbered in its journal
    from 1 without gaps: ``VE000001``, ``VE000002``, ``BQ000001``… Numbers already there are
    replaced: the file's sequence is the only one."""
    ordered = sorted(entries, key=lambda e: (e.date, e.journal.code))
    counters: dict[str, int] = {}
    numbered = []
    for entry in ordered:
        counters[entry.journal.code] = counters.get(entry.journal.code, 0) + 1
        numbered.append(replace(entry, number=f"{entry.journal.code}{counters[entry.journal.code]:06d}"))
    return tuple(numbered)


def record(entry: JournalEntry, line: JournalLine, validated_on: date | None = None) -> tuple[str, ...]:
    """The 18 fields of one line of a numbered entry, cleaned, in ``COLUMNS`` order."""
    if not entry.number:
        raise FecError(f"entry {entry.document_ref} is not numbered (number_entries)")
    fields = (
        entry.journal.code,
        entry.journal.label,
        entry.number,
        day(entry.date),
        line.account,
        line.account_label,
        line.auxiliary,
        line.auxiliary_label,
        entry.document_ref,
        day(entry.document_date),
        line.label,
        amount(line.debit),
        amount(line.credit),
        line.lettering,
        day(line.lettered_on),
        day(entry.validated_on or validated_on or entry.date),
        "" if line.foreign_amount is None else amount(line.foreign_amount),
        line.currency,
    )
    return tuple(clean(field) for field in fields)


#: Letters NFKD does not decompose, and typographic punctuation, as their closest ASCII.
_NEAREST = str.maketrans(
    {
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "ı": "i",
        "—": "-",
        "–": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def _encodable(text: str, encoding: str) -> str:
    out = []
    for char in text:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            base = "".join(
                c
                for c in unicodedata.normalize("NFKD", char.translate(_NEAREST))
                if not unicodedata.combining(c)
            )
            try:
                base.encode(encoding)
            except UnicodeEncodeError:
                base = ""
            char = base or "?"
        out.append(char)
    return "".join(out)


def write_fec(
    entries: Iterable[JournalEntry], *, validated_on: date | None = None, encoding: str = ENCODING
) -> bytes:
    """The FEC of ``entries``: checked balanced (each, and in total), numbered per journal in date
    order, a header record, one record per line. ``validated_on`` is the ``ValidDate`` of
    entries that carry none (the entry's date when not given either)."""
    numbered = number_entries(entries)
    check_balanced(numbered)
    records = [SEPARATOR.join(COLUMNS)]
    for entry in numbered:
        for line in entry.lines:
            records.append(SEPARATOR.join(record(entry, line, validated_on)))
    text = RECORD_END.join(records) + RECORD_END
    return _encodable(text, encoding).encode(encoding)
