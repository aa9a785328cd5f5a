"""Entry files for the import of the small-business packages: Sage 50 Comptabilité (ex Ciel
Compta) reads ``XIMPORT.TXT``; Sage 50, EBP and QuickBooks read a CSV through their column
mapping. Written from the same ``JournalEntry`` values as the FEC (``invoicing.documents.fec``),
numbered the same way (``number_entries``: date order, then journal) and checked balanced the
same way; the user documentation is ``docs/accounting-import.md``.

XIMPORT (``write_ximport``). The historic Ciel import file, still read by Sage 50's *Importer
des écritures*: one fixed-width record per entry line, fields without separator (``XIMPORT``
below, 142 characters), records by CR LF. We found no specification of it from Ciel or Sage;
the layout is the one four independent exporters write for Ciel and Sage 50 and agree on (Dolibarr
``AccountancyExport::exportCiel``, reviewed 2021 for Sage 50; the exportcompta module for
Dolibarr ``export_ciel.class.php``; the Scopen ERPNext export; OpenFlyers' *CielXimport*
template): movement number 5, journal 2, entry date 8 (``AAAAMMJJ`` in all four), due date 8,
piece 12, account 11, label 25, amount 13, sense ``D``/``C`` 1, reconciliation number 12,
analytic code 6, account label 34, euro flag ``O`` 1 and format version ``2003`` 4.

- Text fields left-aligned, padded with spaces and cut at their width; numbers right-aligned.
  The movement number is the entry's rank in the file (1 to 99 999), on each of its lines: the
  lines sharing it are one entry. The FEC's ``EcritureNum`` does not fit (8 characters, and per
  journal); the CSV carries it.
- The amount is positive with two decimals and a point (``1472.75``: three of the four
  exporters, and Sage's own RImport example; Dolibarr writes a comma, ``decimal_separator=","``),
  right-aligned; the sense says the side.
- A line on a client posts to its auxiliary account, written ``411`` + the client ref folded to
  capitals and digits (``C001`` → ``411C001``, ``BE-OURTHE`` → ``411BEOURTHE``), the account
  label being the client's name, as the Dolibarr and ERPNext exports do; Sage 50 creates it on
  import when its *Import des écritures* preference says so. General accounts are written as the
  PCG number the entry holds (``706``), or zero-filled to the dossier's account length
  (``account_length=6`` → ``706000``). An account that would not fit its 11 characters is an
  error, never cut: a cut account posts to another account.
- The label leaves out the piece reference it repeats (``Facture FA2026-00001 Société…`` →
  ``Facture Société…``) before it is cut at 25: the piece has its own field.
- A piece reference longer than 12 keeps its last 12 characters (the distinctive end of a
  ``pi_…`` payment id or of a long invoice number).
- Encoding: plain ASCII by default, accents taken off (``Société`` → ``Societe``, ``œ`` →
  ``oe``), so the file reads the same whether the package takes it for Windows ANSI (Sage's
  knowledge base, for RImport) or DOS code page 850 (OpenFlyers' template). ``encoding="cp1252"``
  keeps the accents for a version known to read ANSI.

CSV (``write_entries_csv``). One row per entry line under a header row (``CSV_COLUMNS``), for
an import that maps columns: ``;`` separator, CR LF, dates ``JJ/MM/AAAA``, amounts with a
decimal comma and no thousands separator on their side, the other side empty. Windows-1252 by
default (Excel set to French opens it as is; "Windows ANSI" is what Sage's knowledge base gives
for its text imports), with the FEC's fallback for a character it lacks (``Ł`` → ``L``, else
``?``); ``encoding="utf-8"`` for QuickBooks, whose CSV imports ask for UTF-8. Text is cleaned
as in the FEC (no line break or tab, spaces collapsed), ``;`` becomes ``,`` and ``"`` becomes
``'`` so that no field ever needs quoting (column-mapping imports split on the separator); a
field a spreadsheet would run as a formula (``=``, ``+``, ``@``, ``-`` not followed by a
number) gets a leading ``'``, as in every CSV of this project (``invoicing.ingest.report``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from invoicing.documents.fec import _encodable, amount, clean, number_entries
from invoicing.domain.accounting import JournalEntry, JournalLine, check_balanced
from invoicing.ingest.report import _safe as _formula_safe

RECORD_END = "\r\n"


class ImportFileError(ValueError):
    """Entries that cannot be written in the format asked: the message says which and why."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    width: int


#: The fields of an XIMPORT record, in order (see the module's doc for the sources).
XIMPORT: tuple[Field, ...] = (
    Field("mouvement", 5),
    Field("journal", 2),
    Field("date", 8),
    Field("echeance", 8),
    Field("piece", 12),
    Field("compte", 11),
    Field("libelle", 25),
    Field("montant", 13),
    Field("sens", 1),
    Field("pointage", 12),
    Field("analytique", 6),
    Field("libelle_compte", 34),
    Field("euro", 1),
    Field("version", 4),
)
XIMPORT_WIDTH = sum(f.width for f in XIMPORT)  # 142
#: The name Sage 50 / Ciel looks for (it renames the file ``.BAK`` once imported).
XIMPORT_FILE_NAME = "XIMPORT.TXT"
XIMPORT_ENCODINGS = ("ascii", "cp1252", "cp850")

CSV_COLUMNS: tuple[str, ...] = (
    "Journal",
    "Date",
    "Pièce",
    "Compte",
    "Compte auxiliaire",
    "Libellé",
    "Débit",
    "Crédit",
    "Échéance",
    "N° écriture",
    "Libellé compte",
    "Code tiers",
    "Nom tiers",
    "Date pièce",
)
CSV_SEPARATOR = ";"
CSV_ENCODING = "cp1252"

#: Letters and signs ASCII lacks that NFKD does not take apart, spelled out (before the FEC's
#: fallback, which would give ``?``).
_ASCII_SPELLED = str.maketrans(
    {
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "€": "EUR",
        "«": '"',
        "»": '"',
        "°": "o",
    }
)
_NOT_ACCOUNT = re.compile(r"[^0-9A-Z]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_SPELLED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _spell_missing(text: str, encoding: str) -> str:
    """``text`` with the characters ``encoding`` lacks spelled out when they can be (``€`` →
    ``EUR`` in code page 850), the others left to the FEC's fallback."""
    out = []
    for char in text:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            char = char.translate(_ASCII_SPELLED)
        out.append(char)
    return "".join(out)


def general_account(line: JournalLine, account_length: int | None = None) -> str:
    """The line's PCG account, zero-filled on the right to ``account_length`` when given
    (``706`` → ``706000``); a longer account is kept whole."""
    if account_length is None:
        return line.account
    return line.account.ljust(account_length, "0")


def auxiliary_account(line: JournalLine) -> str:
    """The third party's account as Ciel / Sage 50 number it: the collective account followed by
    the ref in capitals and digits (``411`` + ``be-Ourthe`` → ``411BEOURTHE``); empty for a line
    on a general account."""
    if not line.auxiliary:
        return ""
    code = _NOT_ACCOUNT.sub("", _fold(line.auxiliary).upper())
    if not code:
        raise ImportFileError(f"client ref {line.auxiliary!r} has no letter or digit to number its account")
    return line.account + code


# --- XIMPORT -----------------------------------------------------------------------------------


def _text(value: str, width: int) -> str:
    return clean(value)[:width].ljust(width)


def _without_piece(label: str, piece: str) -> str:
    """The label without the piece reference, which has its own field: 25 characters go further
    (``Facture FA2026-00001 Société…`` → ``Facture Société…``)."""
    shorter = clean(re.sub(rf"(?<!\S){re.escape(piece.strip())}(?!\S)", " ", label))
    return shorter or label


def _ximport_amount(line: JournalLine, decimal_separator: str) -> str:
    value = amount(line.debit or line.credit).replace(",", decimal_separator)
    if len(value) > 13:
        raise ImportFileError(f"amount {value} does not fit the 13 characters of XIMPORT ({line.label!r})")
    return value.rjust(13)


def ximport_record(
    movement: int,
    entry: JournalEntry,
    line: JournalLine,
    *,
    account_length: int | None = None,
    decimal_separator: str = ".",
) -> str:
    """The 142 characters of one line of an entry, movement ``movement`` of the file, before
    encoding (``write_ximport`` folds or replaces what the encoding lacks, field by field)."""
    if not 1 <= movement <= 99_999:
        raise ImportFileError(f"XIMPORT numbers movements on 5 digits, not {movement}")
    if len(entry.journal.code) > 2:
        raise ImportFileError(f"XIMPORT journal codes have 2 characters, not {entry.journal.code!r}")
    account = auxiliary_account(line) or general_account(line, account_length)
    if len(account) > 11:
        raise ImportFileError(
            f"account {account} of {entry.document_ref} has more than the 11 characters of XIMPORT"
        )
    piece = clean(entry.document_ref)[-12:]
    fields = (
        str(movement).rjust(5),
        entry.journal.code.ljust(2),
        f"{entry.date:%Y%m%d}",
        " " * 8,  # due date: not in the entries
        piece.ljust(12),
        account.ljust(11),
        _text(_without_piece(line.label, entry.document_ref), 25),
        _ximport_amount(line, decimal_separator),
        "D" if line.debit else "C",
        " " * 12,  # reconciliation number
        " " * 6,  # analytic code
        _text(line.auxiliary_label or line.account_label, 34),
        "O",  # euro
        "2003",  # format version
    )
    return "".join(fields)


def write_ximport(
    entries: Iterable[JournalEntry],
    *,
    account_length: int | None = None,
    encoding: str = "ascii",
    decimal_separator: str = ".",
) -> bytes:
    """``XIMPORT.TXT`` of ``entries``: checked balanced, in the FEC's order, one record per line,
    each record CR LF-terminated; ASCII (accents taken off) unless ``encoding`` is ``cp1252``
    or ``cp850``."""
    if encoding not in XIMPORT_ENCODINGS:
        raise ImportFileError(
            f"XIMPORT is written in one byte a character: {XIMPORT_ENCODINGS}, not {encoding}"
        )
    if decimal_separator not in {".", ","}:
        raise ImportFileError(f"the decimal separator is a point or a comma, not {decimal_separator!r}")
    numbered = number_entries(entries)
    check_balanced(numbered)
    records = []
    for movement, entry in enumerate(numbered, start=1):
        for line in entry.lines:
            text = ximport_record(
                movement, entry, line, account_length=account_length, decimal_separator=decimal_separator
            )
            records.append(_encoded_record(text, encoding) + RECORD_END)
    return "".join(records).encode(encoding)


def _encoded_record(text: str, encoding: str) -> str:
    """The record with each field made encodable (folded to ASCII for ``ascii``) and cut back
    to its width: a replacement can be longer than what it replaces (``œ`` → ``oe``)."""
    out, start = [], 0
    for f in XIMPORT:
        value = text[start : start + f.width]
        start += f.width
        value = _encodable(_fold(value) if encoding == "ascii" else _spell_missing(value, encoding), encoding)
        out.append(value[: f.width].ljust(f.width))
    return "".join(out)


# --- CSV ---------------------------------------------------------------------------------------


def _csv_text(value: str) -> str:
    return _formula_safe(clean(value).replace(CSV_SEPARATOR, ",").replace('"', "'"))


def _csv_amount(value: Decimal) -> str:
    return "" if value == 0 else amount(value)


def _day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def csv_row(entry: JournalEntry, line: JournalLine, *, account_length: int | None = None) -> tuple[str, ...]:
    """The ``CSV_COLUMNS`` of one line of a numbered entry, cleaned and made inert."""
    if not entry.number:
        raise ImportFileError(f"entry {entry.document_ref} is not numbered (number_entries)")
    return (
        _csv_text(entry.journal.code),
        _day(entry.date),
        _csv_text(entry.document_ref),
        general_account(line, account_length),
        auxiliary_account(line),
        _csv_text(line.label),
        _csv_amount(line.debit),
        _csv_amount(line.credit),
        "",  # due date: not in the entries
        entry.number,
        _csv_text(line.account_label),
        _csv_text(line.auxiliary),
        _csv_text(line.auxiliary_label),
        _day(entry.document_date),
    )


def write_entries_csv(
    entries: Iterable[JournalEntry], *, account_length: int | None = None, encoding: str = CSV_ENCODING
) -> bytes:
    """The CSV of ``entries``: checked balanced, numbered as the FEC, a header row then one row
    per line; Windows-1252 with the FEC's fallback unless ``encoding`` says otherwise (``utf-8``
    for QuickBooks, which asks for it; no BOM)."""
    numbered = number_entries(entries)
    check_balanced(numbered)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, lineterminator=RECORD_END, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for entry in numbered:
        for line in entry.lines:
            writer.writerow(csv_row(entry, line, account_length=account_length))
    return _encodable(_spell_missing(buffer.getvalue(), encoding), encoding).encode(encoding)
