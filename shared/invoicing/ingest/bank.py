"""Bank statements to bank lines: what came into (and went out of) the account, read from the
file a bank exports, so that payments can later be matched to invoices.

Pure: bytes in, values out; nothing here talks to AWS.

Formats read (``read_statement`` tells them apart by content, not by file name):

- **CAMT.053** (ISO 20022 ``BkToCstmrStmt``), versions 001.02 to 001.08 (the namespace's version
  is not otherwise checked): every ``Stmt`` of the message; one line per ``Ntry``, or one per
  ``TxDtls`` when a batch entry gives an amount for each of its transactions and those amounts
  add up to the entry's (else the entry, so the lines always sum to what the account moved).
  ``CdtDbtInd`` gives the sign (a reversal of a credit is booked as a debit, flagged
  ``reversal``). Entries whose status is pending or informational (``PDNG``, ``INFO``) are not
  booked and are left out.
- **CSV**, the documented layout ``date;libellé;montant`` (also ``,`` or tab separated), headers in
  French or English (date / date opération / booking date; libellé / label / description;
  montant / amount, or separate débit / crédit columns; an optional devise / currency column),
  dates ``dd/mm/yyyy`` or ISO, amounts ``1 234,56`` (no-break spaces too) or ``-12.50``.
  Lines before the header (account name, IBAN, balance) are skipped; an IBAN found there becomes
  the statement's account. The same reader recognises, by their headers, the export layouts of
  a few French banks: "Date;Libellé;Débit euros;Crédit euros" (Crédit Agricole style, Windows-1252,
  a few header lines first), "Date de l'opération;Libellé;Détail de l'écriture;Montant de
  l'opération;Devise" (Société Générale style) and "dateOp;dateVal;label;...;amount"
  (Boursorama style). **These layouts are modelled on public descriptions of those exports, not
  on files from those banks**: the tests use samples written by hand.

``line_id`` is stable across imports of the same lines: the bank's own reference
(``AcctSvcrRef``, else ``NtryRef``; for a transaction of a batch its ``AcctSvcrRef`` or ``TxId``,
else the entry's reference and the transaction's position), else a SHA-256 of (account, booking
date, amount, label) with an occurrence counter for identical lines of one statement. Two
overlapping statements therefore give the lines they share the same ids.

Hostile input is normal input: anything wrong ends in ``StatementRejected`` (an
``InputRejected``, so the usual reports print it) naming line, field, value and reason; no other
exception escapes. XML is parsed without DTDs, entities or network, and a DOCTYPE is refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from invoicing.domain.problems import InputRejected, Problem
from invoicing.domain.text import one_line
from invoicing.ingest.columns import normalise
from invoicing.ingest.table import DELIMITERS, ProblemList, decode
from invoicing.ingest.values import NUMBER_LIMIT, Cell, parse_date, parse_number, places

#: Files above this size are refused before being read.
MAX_BYTES = 10 * 1024 * 1024
#: At most this many lines (entries or transactions, CSV rows) in one statement.
MAX_LINES = 200_000
#: A label longer than this is cut (a statement is not refused for a long remittance text).
LABEL_LIMIT = 1000
#: Lines looked at for the CSV header (bank exports put a few lines of account data first).
HEADER_SEARCH_LINES = 30

#: Decimal places of currencies that do not have two (ISO 4217); every other has two.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF"), 0),
    **dict.fromkeys(("UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
_CURRENCY = re.compile(r"[A-Z]{3}")
_CAMT053_NS = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})")
_XML_AMOUNT = re.compile(r"\d{1,18}(?:\.\d{1,5})?")
_XML_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T.*)?")
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
_NOT_PROVIDED = frozenset({"", "NOTPROVIDED", "NONREF", "NONE"})
_BINARY_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "zip archive or XLSX workbook"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf", "7z archive"),
    (b"{\\rtf", "RTF document"),
)
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
#: The csv module's own limit on one field (characters).
CSV_FIELD_LIMIT = 131_072


@dataclass(frozen=True, slots=True)
class BankLine:
    """One movement of the account: positive ``amount`` is money in."""

    line_id: str
    account: str | None
    booked_on: date
    amount: Decimal
    currency: str
    label: str
    counterparty: str | None
    reversal: bool


@dataclass(frozen=True, slots=True)
class Statement:
    format: str  # "camt.053" | "csv"
    lines: tuple[BankLine, ...]


class StatementRejected(InputRejected, ValueError):
    """The statement is refused as a whole; ``problems`` says where and why (``Problem``:
    ``row`` is the line of the file, ``column`` the field, ``value`` what was there)."""


def read_statement(data: bytes, filename: str) -> Statement:
    """Read a bank statement (CAMT.053 XML or CSV bytes) into its lines.

    ``filename`` only serves the messages; the format is recognised from the content.
    Raises ``StatementRejected`` for anything that is not a readable statement.
    """
    try:
        return _read(data, filename)
    except StatementRejected:
        raise
    except InputRejected as rejection:  # from the shared CSV helpers
        raise StatementRejected(list(rejection.problems)) from None
    except (
        csv.Error,
        RecursionError,
        MemoryError,
        ValueError,
        TypeError,
        LookupError,
        etree.LxmlError,
    ) as error:
        # Last line of defence: a file that breaks a parser in a way not foreseen is still a
        # refusal with a reason, never a crash.
        raise _reject("not_a_statement", detail=type(error).__name__) from None


def _read(data: bytes, filename: str) -> Statement:
    if len(data) > MAX_BYTES:
        raise _reject("too_large", limit=MAX_BYTES)
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if not head.replace(b"\x00", b"").strip(b"\xff\xfe \t\r\n"):
        raise _reject("empty_file")
    for magic, kind in _BINARY_MAGICS:
        if data.startswith(magic):
            raise _reject("not_a_statement", detail=kind)
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and _BINARY_BYTES.search(data[:65536]):
        raise _reject("not_a_statement", detail="binary content")
    if not head.replace(b"\x00", b"").lstrip(b"\xff\xfe").startswith(b"<"):
        return _read_csv(data, filename)
    # A DOCTYPE is where entity bombs and external entities live; a bank never sends one. Looked
    # for in the raw bytes (UTF-8 or UTF-16), before any parser sees the file.
    if _DOCTYPE.search(data.replace(b"\x00", b"")):
        raise _reject("xml_doctype")
    return _read_camt(data)


def _reject(
    code: str, row: int | None = None, column: str | None = None, value: str | None = None, **params: object
) -> StatementRejected:
    return StatementRejected([Problem(code, row=row, column=column, value=value, params=dict(params))])


# ------------------------------------------------------------------------------------ shared


def _minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


class _Ids:
    """Gives each line of one statement its ``line_id``, unique within the statement."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.seen: dict[str, int] = {}

    def make(
        self, reference: str | None, account: str | None, booked_on: date, amount: Decimal, label: str
    ) -> str:
        if reference:
            key = f"{self.scope}:ref:{account or ''}:{reference}"
        else:
            digest = hashlib.sha256(
                "\x1f".join((account or "", booked_on.isoformat(), f"{amount:f}", label)).encode("utf-8")
            ).hexdigest()
            key = f"{self.scope}:sha256:{digest}"
        count = self.seen.get(key, 0) + 1
        self.seen[key] = count
        return f"{key}:{count}" if count > 1 or not reference else key


# -------------------------------------------------------------------------------------- CAMT


def _read_camt(data: bytes) -> Statement:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise _reject("bad_xml", row=error.lineno, detail=one_line(str(error.msg), 200)) from None
    if root is None:
        raise _reject("bad_xml", detail="no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _reject("xml_doctype")
    tag = etree.QName(root)
    match = _CAMT053_NS.fullmatch(tag.namespace or "")
    if tag.localname != "Document" or not match or not 2 <= int(match[1]) <= 8:
        raise _reject("not_a_statement", detail=one_line(f"XML {tag.namespace or ''} {tag.localname}", 200))
    ns = tag.namespace
    reader = _Camt(ns)
    return reader.read(root)


class _Camt:
    def __init__(self, ns: str) -> None:
        self.ns = ns
        self.problems = ProblemList()
        self.ids = _Ids("camt")
        self.lines: list[BankLine] = []

    def q(self, path: str) -> str:
        return "/".join(
            f"{{{self.ns}}}{part}" if part not in (".", "..") else part for part in path.split("/")
        )

    def find(self, element: etree._Element, path: str) -> etree._Element | None:
        return element.find(self.q(path))

    def text(self, element: etree._Element, path: str) -> str | None:
        found = element.find(self.q(path))
        if found is None or found.text is None:
            return None
        return found.text.strip()

    def problem(
        self,
        element: etree._Element | None,
        code: str,
        column: str,
        value: str | None = None,
        **params: object,
    ) -> None:
        row = element.sourceline if element is not None else None
        self.problems.add(Problem(code, row=row, column=column, value=value, params=dict(params)))

    def read(self, root: etree._Element) -> Statement:
        statements = root.findall(self.q("BkToCstmrStmt/Stmt"))
        if not statements:
            raise _reject("no_statement")
        for stmt in statements:
            account = self.text(stmt, "Acct/Id/IBAN") or self.text(stmt, "Acct/Id/Othr/Id")
            account = one_line(account, 70) or None
            for entry in stmt.iterfind(self.q("Ntry")):
                if self.problems.full or len(self.lines) > MAX_LINES:
                    break
                self.entry(entry, account)
        if len(self.lines) > MAX_LINES:
            raise _reject("too_many_rows", limit=MAX_LINES)
        if self.problems:
            raise StatementRejected(self.problems)
        return Statement("camt.053", tuple(self.lines))

    def amount(self, holder: etree._Element, column: str) -> tuple[Decimal, str] | None:
        """The ``Amt`` of ``holder`` and its currency, or None (with a problem noted)."""
        element = self.find(holder, "Amt")
        if element is None or not (element.text or "").strip():
            self.problem(holder, "required", column)
            return None
        raw = element.text.strip()
        currency = (element.get("Ccy") or "").strip()
        if not _CURRENCY.fullmatch(currency):
            self.problem(element, "bad_currency", f"{column}/@Ccy", currency)
            return None
        if not _XML_AMOUNT.fullmatch(raw):
            self.problem(element, "bad_number", column, raw)
            return None
        value = Decimal(raw)
        if value >= NUMBER_LIMIT:
            self.problem(
                element, "number_too_large", column, raw, limit=f"{NUMBER_LIMIT:,.0f}".replace(",", " ")
            )
            return None
        minor = _minor_units(currency)
        if places(value) > minor:
            self.problem(element, "too_precise", column, raw, places=minor)
            return None
        return value.quantize(Decimal(1).scaleb(-minor)), currency

    def sign(self, holder: etree._Element, column: str) -> int | None:
        raw = self.text(holder, "CdtDbtInd")
        if raw == "CRDT":
            return 1
        if raw == "DBIT":
            return -1
        self.problem(
            self.find(holder, "CdtDbtInd") if raw is not None else holder, "bad_credit_debit", column, raw
        )
        return None

    def booked_on(self, entry: etree._Element) -> date | None:
        raw = self.text(entry, "BookgDt/Dt") or self.text(entry, "BookgDt/DtTm")
        if raw is None:
            self.problem(entry, "required", "Ntry/BookgDt")
            return None
        match = _XML_DATE.fullmatch(raw)
        try:
            if not match:
                raise ValueError(raw)
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            self.problem(self.find(entry, "BookgDt"), "bad_date", "Ntry/BookgDt", raw)
            return None

    def entry(self, entry: etree._Element, account: str | None) -> None:
        status = self.text(entry, "Sts/Cd") or self.text(entry, "Sts")
        if status in ("PDNG", "INFO"):
            return
        amount = self.amount(entry, "Ntry/Amt")
        sign = self.sign(entry, "Ntry/CdtDbtInd")
        booked_on = self.booked_on(entry)
        reversal = (self.text(entry, "RvslInd") or "").lower() in ("true", "1")
        if amount is None or sign is None or booked_on is None:
            return
        value, currency = amount
        reference = _ref(self.text(entry, "AcctSvcrRef")) or _ref(self.text(entry, "NtryRef"))
        entry_info = self.text(entry, "AddtlNtryInf")
        transactions = entry.findall(self.q("NtryDtls/TxDtls"))
        split = self.split(transactions, value * sign, currency) if len(transactions) > 1 else None
        if split is None:
            first = transactions[0] if transactions else None
            label = self.label(first, entry_info)
            counterparty = self.counterparty(first, sign) if first is not None else None
            self.add(reference, account, booked_on, value * sign, currency, label, counterparty, reversal)
            return
        for position, (tx, tx_amount) in enumerate(split, start=1):
            tx_ref = _ref(self.text(tx, "Refs/AcctSvcrRef")) or _ref(self.text(tx, "Refs/TxId"))
            if tx_ref is None and reference is not None:
                tx_ref = f"{reference}/{position}"
            label = self.label(tx, entry_info)
            counterparty = self.counterparty(tx, 1 if tx_amount >= 0 else -1)
            self.add(tx_ref, account, booked_on, tx_amount, currency, label, counterparty, reversal)

    def split(
        self, transactions: list[etree._Element], total: Decimal, currency: str
    ) -> list[tuple[etree._Element, Decimal]] | None:
        """Each transaction with its signed amount, when every one has an amount in the entry's
        currency and they add up to the entry; else None (the entry is one line)."""
        out = []
        for tx in transactions:
            element = self.find(tx, "Amt")
            if element is None:
                element = self.find(tx, "AmtDtls/TxAmt/Amt")
            if element is None or (element.get("Ccy") or "").strip() != currency:
                return None
            raw = (element.text or "").strip()
            if not _XML_AMOUNT.fullmatch(raw):
                return None
            value = Decimal(raw)
            if value >= NUMBER_LIMIT or places(value) > _minor_units(currency):
                return None
            indicator = self.text(tx, "CdtDbtInd")
            tx_sign = -1 if indicator == "DBIT" else 1 if indicator == "CRDT" else (1 if total >= 0 else -1)
            out.append((tx, (value * tx_sign).quantize(Decimal(1).scaleb(-_minor_units(currency)))))
        if sum(amount for _, amount in out) != total:
            return None
        return out

    def label(self, tx: etree._Element | None, entry_info: str | None) -> str:
        parts: list[str] = []
        if tx is not None:
            parts.extend(e.text or "" for e in tx.iterfind(self.q("RmtInf/Ustrd")))
            parts.extend(e.text or "" for e in tx.iterfind(self.q("RmtInf/Strd/CdtrRefInf/Ref")))
            parts.append(self.text(tx, "AddtlTxInf") or "")
        parts.append(entry_info or "")
        seen: dict[str, None] = {}
        for part in parts:
            cleaned = one_line(part, LABEL_LIMIT)
            if cleaned:
                seen.setdefault(cleaned)
        return one_line(" ".join(seen), LABEL_LIMIT)

    def counterparty(self, tx: etree._Element, sign: int) -> str | None:
        party = "Dbtr" if sign > 0 else "Cdtr"
        for path in (f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm", f"RltdPties/Ultmt{party}/Nm"):
            name = one_line(self.text(tx, path), 140)
            if name:
                return name
        return None

    def add(
        self,
        reference: str | None,
        account: str | None,
        booked_on: date,
        amount: Decimal,
        currency: str,
        label: str,
        counterparty: str | None,
        reversal: bool,
    ) -> None:
        line_id = self.ids.make(reference, account, booked_on, amount, label)
        self.lines.append(
            BankLine(line_id, account, booked_on, amount, currency, label, counterparty, reversal)
        )


def _ref(text: str | None) -> str | None:
    cleaned = one_line(text, 140)
    return None if cleaned.upper() in _NOT_PROVIDED else cleaned


# --------------------------------------------------------------------------------------- CSV

_DATE_ALIASES = frozenset(
    {
        "date",
        "date_operation",
        "date_de_l_operation",
        "booking_date",
        "dateop",
        "date_comptable",
        "date_comptabilisation",
    }
)
_LABEL_ALIASES = (
    "libelle",
    "label",
    "description",
    "libelle_operation",
    "libelle_de_l_operation",
    "detail_de_l_ecriture",
    "detail",
)
_AMOUNT_ALIASES = frozenset(
    {"montant", "amount", "montant_de_l_operation", "montant_operation", "montant_eur", "montant_euros"}
)
_DEBIT_ALIASES = frozenset({"debit", "debit_euros", "debit_eur", "debits"})
_CREDIT_ALIASES = frozenset({"credit", "credit_euros", "credit_eur", "credits"})
_CURRENCY_ALIASES = frozenset({"devise", "currency"})
_COUNTERPARTY_ALIASES = frozenset({"tiers", "counterparty", "beneficiaire", "payee"})
_REFERENCE_ALIASES = frozenset({"reference", "ref", "transaction_id"})


@dataclass(frozen=True)
class _Layout:
    header_line: int  # line number of the header in the file (1-based)
    delimiter: str
    headers: tuple[str, ...]
    date: int
    labels: tuple[int, ...]
    amount: int | None
    debit: int | None
    credit: int | None
    currency: int | None
    counterparty: int | None
    reference: int | None


def _find(names: Sequence[str], aliases: Iterable[str]) -> int | None:
    wanted = set(aliases)
    return next((i for i, name in enumerate(names) if name in wanted), None)


def _layout(header: list[str], line: int, delimiter: str) -> _Layout | None:
    names = [normalise(cell) for cell in header]
    date_col = _find(names, _DATE_ALIASES)
    labels = tuple(i for alias in _LABEL_ALIASES for i, name in enumerate(names) if name == alias)
    amount = _find(names, _AMOUNT_ALIASES)
    debit, credit = _find(names, _DEBIT_ALIASES), _find(names, _CREDIT_ALIASES)
    if date_col is None or not labels or (amount is None and (debit is None or credit is None)):
        return None
    return _Layout(
        header_line=line,
        delimiter=delimiter,
        headers=tuple(one_line(h, 60) for h in header),
        date=date_col,
        labels=labels,
        amount=amount,
        debit=None if amount is not None else debit,
        credit=None if amount is not None else credit,
        currency=_find(names, _CURRENCY_ALIASES),
        counterparty=_find(names, _COUNTERPARTY_ALIASES),
        reference=_find(names, _REFERENCE_ALIASES),
    )


def _read_csv(data: bytes, filename: str) -> Statement:
    text, _encoding = decode(data)
    if _BINARY_CONTROL.search(text[:65536]):
        raise _reject("not_a_statement", detail="binary content")
    physical = text.splitlines()
    layout = None
    preamble: list[str] = []
    for number, line in enumerate(physical[:HEADER_SEARCH_LINES], start=1):
        if not line.strip():
            preamble.append(line)
            continue
        for delimiter in _delimiters(line):
            cells = next(csv.reader([line], delimiter=delimiter), [])
            layout = _layout(cells, number, delimiter)
            if layout:
                break
        if layout:
            break
        preamble.append(line)
    if layout is None:
        raise _reject(
            "unknown_statement_layout", detail=one_line(physical[0] if physical else "", 80) or filename
        )
    account = next(
        (one_line(m[1].replace(" ", ""), 40) for line in preamble if (m := _IBAN.search(line))), None
    )
    body = "\n".join(physical[layout.header_line :])
    reader = csv.reader(io.StringIO(body), delimiter=layout.delimiter)
    problems = ProblemList()
    ids = _Ids("csv")
    lines: list[BankLine] = []
    last = 0
    while True:
        row = layout.header_line + last + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            problems.add(Problem("text_too_long", row=row, params={"limit": CSV_FIELD_LIMIT}))
            break
        last = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(lines) >= MAX_LINES:
            raise _reject("too_many_rows", limit=MAX_LINES)
        line = _csv_line(cells, row, layout, account, ids, problems)
        if line is not None:
            lines.append(line)
        if problems.full:
            break
    if problems:
        raise StatementRejected(problems)
    if not lines:
        raise _reject("no_rows")
    return Statement("csv", tuple(lines))


def _delimiters(line: str) -> list[str]:
    counts = {d: line.count(d) for d in DELIMITERS}
    return [d for d in sorted(DELIMITERS, key=lambda d: -counts[d]) if counts[d]]


def _csv_line(
    cells: list[str], row: int, layout: _Layout, account: str | None, ids: _Ids, problems: ProblemList
) -> BankLine | None:
    def cell(index: int | None) -> Cell:
        raw = cells[index] if index is not None and index < len(cells) else ""
        return Cell(
            raw[:200] if len(raw) > 200 else raw, row, layout.headers[index] if index is not None else ""
        )

    booked_on = parse_date(cell(layout.date))
    if not isinstance(booked_on, date):
        problems.add(booked_on)
    currency = "EUR"
    if layout.currency is not None and cell(layout.currency).raw.strip():
        currency_cell = cell(layout.currency)
        code = currency_cell.raw.strip().upper()
        code = {"€": "EUR", "EUROS": "EUR", "EURO": "EUR"}.get(code, code)
        if not _CURRENCY.fullmatch(code):
            problems.add(currency_cell.problem("bad_currency"))
            return None
        currency = code
    amount = _csv_amount(cell, layout, currency, problems)
    if not isinstance(booked_on, date) or amount is None:
        return None
    label = one_line(" ".join(cells[i] for i in layout.labels if i < len(cells)), LABEL_LIMIT)
    counterparty = (
        one_line(cell(layout.counterparty).raw, 140) or None if layout.counterparty is not None else None
    )
    reference = _ref(cell(layout.reference).raw) if layout.reference is not None else None
    line_id = ids.make(reference, account, booked_on, amount, label)
    return BankLine(line_id, account, booked_on, amount, currency, label, counterparty, False)


def _csv_amount(
    cell: Callable[[int | None], Cell], layout: _Layout, currency: str, problems: ProblemList
) -> Decimal | None:
    minor = _minor_units(currency)

    def number(c: Cell) -> Decimal | None:
        value = parse_number(c)
        if isinstance(value, Problem):
            problems.add(value)
            return None
        if places(value) > minor:
            problems.add(c.problem("too_precise", places=minor))
            return None
        return value

    if layout.amount is not None:
        value = number(cell(layout.amount))
    else:
        debit_cell, credit_cell = cell(layout.debit), cell(layout.credit)
        if debit_cell.blank and credit_cell.blank:
            problems.add(
                Problem("required", row=debit_cell.row, column=f"{debit_cell.column} / {credit_cell.column}")
            )
            return None
        debit = Decimal(0) if debit_cell.blank else number(debit_cell)
        credit = Decimal(0) if credit_cell.blank else number(credit_cell)
        if debit is None or credit is None:
            return None
        if debit and credit:
            problems.add(debit_cell.problem("debit_and_credit"))
            return None
        value = abs(credit) - abs(debit)
    if value is None:
        return None
    try:
        return value.quantize(Decimal(1).scaleb(-minor))
    except InvalidOperation:  # pragma: no cover - bounded by NUMBER_LIMIT
        return None
