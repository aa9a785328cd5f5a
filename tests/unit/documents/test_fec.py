"""The FEC file of a generated month: the 18 columns in order, the formats, the numbering,
the balance, the field cleaning, the encoding and the file name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicing.documents.fec import (
    COLUMNS,
    FecError,
    amount,
    clean,
    fec_file_name,
    number_entries,
    record,
    write_fec,
)
from invoicing.domain.accounting import (
    SALES,
    JournalEntry,
    JournalLine,
    bank_journal,
    sales_journal,
)
from tests.unit.domain.test_accounting import month, movements

HEADER = (
    "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|"
    "PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise"
)


def month_entries() -> tuple[JournalEntry, ...]:
    return (*sales_journal(month()), *bank_journal(movements()))


def rows(data: bytes) -> list[list[str]]:
    text = data.decode("iso-8859-15")
    assert text.endswith("\r\n")
    return [record.split("|") for record in text.removesuffix("\r\n").split("\r\n")]


def test_the_header_names_the_18_fields_of_a47_a1_in_order() -> None:
    assert len(COLUMNS) == 18
    assert "|".join(COLUMNS) == HEADER
    assert write_fec(month_entries()).split(b"\r\n")[0].decode() == HEADER


def test_the_month_file_balances_and_every_record_has_18_fields() -> None:
    table = rows(write_fec(month_entries(), validated_on=date(2026, 12, 5)))
    body = [dict(zip(COLUMNS, row, strict=True)) for row in table[1:]]
    assert all(len(row) == 18 for row in table)
    assert len(body) == 7 + 3 + 2 + 3 + 5 * 2  # the four sales entries, then two lines per bank entry
    debit = sum(Decimal(r["Debit"].replace(",", ".")) for r in body)
    credit = sum(Decimal(r["Credit"].replace(",", ".")) for r in body)
    assert debit == credit
    by_entry: dict[str, Decimal] = {}
    for r in body:
        by_entry[r["EcritureNum"]] = (
            by_entry.get(r["EcritureNum"], Decimal(0))
            + Decimal(r["Debit"].replace(",", "."))
            - Decimal(r["Credit"].replace(",", "."))
        )
    assert set(by_entry.values()) == {Decimal(0)}
    assert {r["ValidDate"] for r in body} == {"20261205"}


def test_entries_are_in_date_order_numbered_per_journal() -> None:
    table = rows(write_fec(month_entries()))[1:]
    numbers = list(dict.fromkeys((r[3], r[0], r[2]) for r in table))
    assert [date_ for date_, _, _ in numbers] == sorted(date_ for date_, _, _ in numbers)
    assert [n for _, j, n in numbers if j == "VE"] == [f"VE00000{i}" for i in range(1, 5)]
    assert [n for _, j, n in numbers if j == "BQ"] == [f"BQ00000{i}" for i in range(1, 6)]


def test_a_sales_record_field_by_field() -> None:
    first = dict(zip(COLUMNS, rows(write_fec(month_entries()))[1], strict=True))
    assert first == {
        "JournalCode": "VE",
        "JournalLib": "Journal des ventes",
        "EcritureNum": "VE000001",
        "EcritureDate": "20261105",
        "CompteNum": "411",
        "CompteLib": "Clients",
        "CompAuxNum": "C001",
        "CompAuxLib": "Société Dauphinoise de Transports",
        "PieceRef": "FA2026-00001",
        "PieceDate": "20261105",
        "EcritureLib": "Facture FA2026-00001 Société Dauphinoise de Transports",
        "Debit": "1472,75",
        "Credit": "0,00",
        "EcritureLet": "",
        "DateLet": "",
        "ValidDate": "20261105",
        "Montantdevise": "",
        "Idevise": "",
    }


def test_amounts_have_a_decimal_comma_and_no_thousands_separator() -> None:
    assert amount(Decimal("1234567.5")) == "1234567,50"
    assert amount(Decimal("0")) == "0,00"
    with pytest.raises(FecError, match="negative"):
        amount(Decimal("-1"))
    with pytest.raises(FecError, match="cent"):
        amount(Decimal("12.345"))


def test_fields_are_cleaned_of_separators_and_line_breaks() -> None:
    assert clean(" Atelier |  Lyon\r\nsuite\tfin ") == "Atelier Lyon suite fin"
    line = JournalLine(
        "411", "Clients", "Facture F|1\npour X", debit=Decimal("1"), auxiliary="C|9", auxiliary_label="A\nB"
    )
    other = JournalLine("706", "Prestations", "x", credit=Decimal("1"))
    entry = JournalEntry(SALES, date(2026, 11, 1), "F|1", date(2026, 11, 1), (line, other))
    data = write_fec([entry])
    table = rows(data)
    assert data.count(b"\r\n") == 3
    assert all(len(row) == 18 for row in table)
    assert table[1][6:11] == ["C 9", "A B", "F 1", "20261101", "Facture F 1 pour X"]


def test_iso_8859_15_by_default_with_a_fallback_and_utf_8_on_request() -> None:
    line = JournalLine(
        "411", "Clients", "Łódź — €", debit=Decimal("1"), auxiliary="C1", auxiliary_label="Œuvre"
    )
    entry = JournalEntry(
        SALES,
        date(2026, 11, 1),
        "F1",
        date(2026, 11, 1),
        (line, JournalLine("706", "P", "x", credit=Decimal("1"))),
    )
    latin = rows(write_fec([entry]))[1]
    assert latin[7] == "Œuvre"
    assert latin[10] == "Lódz - €"
    assert "Łódź — €" in write_fec([entry], encoding="utf-8").decode("utf-8")


def test_numbering_replaces_numbers_and_a_record_needs_one() -> None:
    entries = sales_journal(month())
    with pytest.raises(FecError, match="not numbered"):
        record(entries[0], entries[0].lines[0])
    again = number_entries(number_entries(reversed(entries)))
    assert [e.number for e in again] == ["VE000001", "VE000002", "VE000003", "VE000004"]
    assert [e.document_ref for e in again] == [e.document_ref for e in entries]


def test_the_file_name() -> None:
    assert fec_file_name("831479258", date(2026, 12, 31)) == "831479258FEC20261231.txt"
    assert fec_file_name("831 479 258", date(2027, 3, 31)) == "831479258FEC20270331.txt"
    with pytest.raises(FecError, match="SIREN"):
        fec_file_name("83147925800020", date(2026, 12, 31))
