"""Sales rows invoiced once: each row's identity, whether it is ready, and the ledger of rows
already invoiced.

A business keeps adding to the same sheet and exports (or lets us pull) all of it again and
again: a row must be invoiced once, whatever the files it comes back in.

- **Identity.** A row with an id of its own (a column ``id``, ``ligne``, ``n°``…) is that id:
  ``id:<value>``. Otherwise its fingerprint: the SHA-256 of what it bills (client, date,
  description, quantity, unit, unit price, VAT, discount, order reference, document type,
  corrected invoice), each value as read and normalised (case and spacing of texts, amounts as
  numbers), so that re-saving the sheet does not change it; two identical rows in one sheet are
  told apart by their rank among their twins (``fp:<hash>#2``): a sheet that keeps both keeps
  their ranks.
- **What it bills** (``billed``): the client and the amounts, to tell a row given its own id that
  was changed after it was invoiced (a whole-file problem: correct it with a credit note).
- **Ready**: a status column (``statut``, ``status``, ``état``) says which rows may be invoiced;
  its values are compared without case, accents or spacing; without the column every row is.
- **The ledger** of invoiced rows is kept per client and month of the row's date
  (``RowLedger``: one DynamoDB item of at most 400 KB, some 4,000 rows): the row ids of that
  client's invoices, each with the number of its invoice and what it billed. It is written in the
  very transaction that numbers the invoice, so a row is on one invoice, whatever runs at once.
  A row id is looked up among its client's rows of its month: a row moved to another client or
  month is a new row (the first invoice is corrected by a credit note).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

#: Status values meaning "invoice this row" (the stack's default; the ``ReadyStatuses`` parameter).
DEFAULT_READY = (
    "validé",
    "validée",
    "validés",
    "validées",
    "valide",
    "à facturer",
    "facturable",
    "approuvé",
    "approuvée",
    "prêt",
    "prête",
    "ok",
    "oui",
    "x",
    "✓",
    "✔",
    "✅",
    "ready",
    "yes",
    "approved",
    "validated",
    "to invoice",
)


def fold(text: str) -> str:
    """Case, accents and spacing ignored: ``" À  facturer "`` -> ``"a facturer"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


@dataclass(frozen=True, slots=True)
class ReadyStatuses:
    values: frozenset[str]

    @classmethod
    def of(cls, values: Iterable[str]) -> ReadyStatuses:
        return cls(frozenset(fold(v) for v in values if fold(v)))

    def __contains__(self, status: object) -> bool:
        return isinstance(status, str) and fold(status) in self.values


@dataclass(frozen=True, slots=True)
class RowRef:
    """One sales row as the ledger knows it."""

    row_id: str
    #: What it bills (client, amounts...), hashed: changes when the row is edited.
    billed: str
    #: The client's reference as the clients table keys it (upper case).
    client_ref: str
    #: The month of the row's date, ``yyyymm``: the ledger item it goes to.
    period: int
    #: The spreadsheet row, for reports.
    row: int
    #: The file it was read from (the start of its SHA-256): a file read again after a run died
    #: finds the rows it invoiced itself.
    file: str = ""


def fingerprint(values: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(values).encode("utf-8")).hexdigest()[:32]


def explicit_id(value: str) -> str:
    return "id:" + " ".join(value.split())[:100]


@dataclass(frozen=True, slots=True)
class InvoicedRow:
    number: str
    billed: str
    file: str = ""


@dataclass(frozen=True, slots=True)
class RowLedger:
    """The invoiced rows of one client in one month, as stored (``version`` for the conditional
    write that adds to it)."""

    client_ref: str
    period: int
    rows: Mapping[str, InvoicedRow] = field(default_factory=dict)
    version: int = 0

    @property
    def key(self) -> str:
        return ledger_key(self.client_ref, self.period)

    def adding(self, refs: Iterable[RowRef], number: str) -> RowLedger:
        added = dict(self.rows)
        for ref in refs:
            added[ref.row_id] = InvoicedRow(number, ref.billed, ref.file)
        return RowLedger(self.client_ref, self.period, added, self.version)

    def to_json(self) -> str:
        return json.dumps(
            {k: [v.number, v.billed, v.file] for k, v in self.rows.items()}, separators=(",", ":")
        )

    @classmethod
    def from_json(cls, client_ref: str, period: int, text: str | None, version: int) -> RowLedger:
        data = json.loads(text) if text else {}
        return cls(client_ref, period, {k: InvoicedRow(*v[:3]) for k, v in data.items()}, version)


def period_of(day: date) -> int:
    """The ledger a row dated ``day`` goes to: its month, ``yyyymm``."""
    return day.year * 100 + day.month


def ledger_key(client_ref: str, period: int) -> str:
    return f"rows#{client_ref}#{period // 100:04d}-{period % 100:02d}"
