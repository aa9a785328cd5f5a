"""The import files of a generated month: XIMPORT for Sage 50 / Ciel (fixed widths read back by
slicing, every line, balanced movements, the FEC's order, accounts, amounts and sense, cuts,
ASCII folding) and the CSV (read back with the csv module: columns, formats, Windows-1252 with
its fallback, no quoting, formulas inert)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from invoicing.documents.accounting_import import (
    CSV_COLUMNS,
    XIMPORT,
    XIMPORT_WIDTH,
    ImportFileError,
    auxiliary_account,
    write_entries_csv,
    write_ximport,
    ximport_record,
)
from invoicing.documents.fec import number_entries
from invoicing.domain.accounting import SALES, JournalEntry, JournalLine, UnbalancedEntry
from tests.unit.documents.test_fec import month_entries

D = Decimal

#: The layout as the sources give it (start, width), written out rather than derived from the
#: module's table, so that a change there shows here.
LAYOUT = {
    "mouvement": (0, 5),
    "journal": (5, 2),
    "date": (7, 8),
    "echeance": (15, 8),
    "piece": (23, 12),
    "compte": (35, 11),
    "libelle": (46, 25),
    "montant": (71, 13),
    "sens": (84, 1),
    "pointage": (85, 12),
    "analytique": (97, 6),
    "libelle_compte": (103, 34),
    "euro": (137, 1),
    "version": (138, 4),
}


def records(data: bytes, encoding: str = "ascii") -> list[dict[str, str]]:
    text = data.decode(encoding)
    assert text.endswith("\r\n")
    lines = text.removesuffix("\r\n").split("\r\n")
    assert all(len(line) == 142 for line in lines), [len(line) for line in lines]
    return [{name: line[start : start + width] for name, (start, width) in LAYOUT.items()} for line in lines]


def csv_rows(data: bytes, encoding: str = "cp1252") -> list[dict[str, str]]:
    text = data.decode(encoding)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header, *rows = list(reader)
    assert tuple(header) == CSV_COLUMNS
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    return [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows]


def entry(*lines: JournalLine, ref: str = "F1") -> JournalEntry:
    return JournalEntry(SALES, date(2026, 11, 3), ref, date(2026, 11, 3), lines)


def pair(label: str, *, aux: str = "C1", name: str = "Client", value: str = "1") -> JournalEntry:
    return entry(
        JournalLine("411", "Clients", label, debit=D(value), auxiliary=aux, auxiliary_label=name),
        JournalLine("706", "Prestations de services", label, credit=D(value)),
    )


def signed(amount: str, sense: str) -> Decimal:
    return D(amount) if sense == "D" else -D(amount)


# --- XIMPORT -----------------------------------------------------------------------------------


def test_the_layout_is_142_characters_in_the_sources_order() -> None:
    assert [(f.name, f.width) for f in XIMPORT] == [(name, width) for name, (_, width) in LAYOUT.items()]
    assert XIMPORT_WIDTH == 142
    starts = [start for start, _ in LAYOUT.values()]
    assert starts == [sum(w for _, w in list(LAYOUT.values())[:i]) for i in range(len(LAYOUT))]


def test_every_line_is_a_record_and_every_movement_balances() -> None:
    entries = month_entries()
    table = records(write_ximport(entries))
    assert len(table) == sum(len(e.lines) for e in entries) == 25
    by_movement: dict[str, Decimal] = defaultdict(Decimal)
    for row in table:
        by_movement[row["mouvement"]] += signed(row["montant"], row["sens"])
    assert len(by_movement) == len(entries)
    assert set(by_movement.values()) == {D(0)}


def test_movements_follow_the_fec_order_and_number_from_one() -> None:
    given = tuple(reversed(month_entries()))
    entries = number_entries(given)  # date, journal, then as given: as the FEC
    table = records(write_ximport(given))
    movements = list(dict.fromkeys((r["mouvement"], r["journal"], r["date"], r["piece"]) for r in table))
    assert [m for m, _, _, _ in movements] == [f"{n:>5}" for n in range(1, 10)]
    assert [(j, d, p.strip()) for _, j, d, p in movements] == [
        (e.journal.code, f"{e.date:%Y%m%d}", e.document_ref) for e in entries
    ]


def test_a_sales_record_field_by_field() -> None:
    first = records(write_ximport(month_entries()))[0]
    assert first == {
        "mouvement": "    1",
        "journal": "VE",
        "date": "20261105",
        "echeance": " " * 8,
        "piece": "FA2026-00001",
        "compte": "411C001    ",
        "libelle": "Facture Societe Dauphinoi",
        "montant": "      1472.75",
        "sens": "D",
        "pointage": " " * 12,
        "analytique": " " * 6,
        "libelle_compte": "Societe Dauphinoise de Transports ",
        "euro": "O",
        "version": "2003",
    }


def test_amounts_have_two_decimals_and_the_side_is_the_sense() -> None:
    entries = number_entries(month_entries())
    lines = [line for e in entries for line in e.lines]
    table = records(write_ximport(month_entries()))
    for line, row in zip(lines, table, strict=True):
        assert row["montant"] == row["montant"].strip().rjust(13)
        whole, cents = row["montant"].strip().split(".")
        assert whole.isdigit()
        assert len(cents) == 2
        assert signed(row["montant"], row["sens"]) == line.debit - line.credit
    credit_note = [r for r in table if r["piece"] == "AV2026-00001"]
    assert [(r["compte"].strip(), r["sens"]) for r in credit_note] == [
        ("411C001", "C"),
        ("706", "D"),
        ("44571", "D"),
    ]
    comma = records(write_ximport(month_entries(), decimal_separator=","))[0]
    assert comma["montant"] == "      1472,75"


def test_accounts_the_client_is_its_auxiliary_and_general_ones_fill_to_the_dossier_length() -> None:
    table = records(write_ximport(month_entries(), account_length=6))
    assert {r["compte"].strip() for r in table} == {
        "411C001",
        "411C002",  # ref "c002": capitals
        "411BEOURTHE",  # ref "BE-OURTHE": letters and digits only
        "706000",
        "445710",
        "512000",
        "471000",  # unknown payer: suspense account, no client
    }
    bank = [r for r in table if r["journal"] == "BQ" and r["compte"].startswith("512")]
    assert {r["libelle_compte"].strip() for r in bank} == {"Banque"}


def test_an_account_is_never_cut() -> None:
    long_ref = pair("x", aux="CLIENT-0000012")
    with pytest.raises(ImportFileError, match="11 characters"):
        write_ximport([long_ref])
    assert write_entries_csv([long_ref])  # the CSV has no width to respect
    with pytest.raises(ImportFileError, match="letter or digit"):
        auxiliary_account(JournalLine("411", "Clients", "x", debit=D(1), auxiliary="--", auxiliary_label="A"))


def test_long_texts_are_cut_at_their_width_and_the_piece_keeps_its_end() -> None:
    label = "Prestation de conseil en organisation logistique, novembre"
    name = "Établissements Très Longtemps Dénommés et Compagnie Réunis"
    data = write_ximport([entry(*pair(label, name=name).lines, ref="pi_3PqRsTuVwXyZ0123")])
    client, revenue = records(data)
    assert client["libelle"] == "Prestation de conseil en "
    assert client["libelle_compte"] == "Etablissements Tres Longtemps Deno"
    assert revenue["libelle_compte"] == "Prestations de services".ljust(34)
    assert client["piece"] == "sTuVwXyZ0123"  # the last 12 of pi_3PqRsTuVwXyZ0123
    assert records(write_ximport([pair("x")]))[0]["piece"] == "F1          "


def test_ascii_by_default_accents_folded_and_fields_kept_at_width() -> None:
    weird = pair("Œuvre — Łódź “né” …", name="Æsir Straße 5 €")
    data = write_ximport([weird])
    data.decode("ascii")  # nothing outside ASCII
    client = records(data)[0]
    assert client["libelle"] == 'OEuvre - Lodz "ne" ...   '
    assert client["libelle_compte"].strip() == "AEsir Strasse 5 EUR"
    edge = records(write_ximport([pair("x" * 24 + "€")]))[0]
    assert edge["libelle"] == "x" * 24 + "E"  # spelled out, then cut back to 25


def test_windows_ansi_on_request_keeps_the_accents() -> None:
    data = write_ximport(month_entries(), encoding="cp1252")
    first = records(data, "cp1252")[0]
    assert first["libelle"] == "Facture Société Dauphinoi"
    assert first["libelle_compte"].strip() == "Société Dauphinoise de Transports"
    dos = records(write_ximport([pair("Œuvre €", name="Łukasz")], encoding="cp850"), "cp850")[0]
    assert dos["libelle"].strip() == "OEuvre EUR"  # code page 850 has neither Œ nor €
    assert dos["libelle_compte"].strip() == "Lukasz"
    with pytest.raises(ImportFileError, match="one byte"):
        write_ximport(month_entries(), encoding="utf-8")


def test_a_record_needs_a_movement_of_five_digits_and_a_two_letter_journal() -> None:
    e = pair("x")
    with pytest.raises(ImportFileError, match="5 digits"):
        ximport_record(100_000, e, e.lines[0])
    with pytest.raises(ImportFileError, match="2 characters"):
        ximport_record(
            1, JournalEntry(SALES.__class__("VTE", "Ventes"), e.date, "F", e.date, e.lines), e.lines[0]
        )


def test_an_amount_too_large_for_13_characters_is_refused() -> None:
    with pytest.raises(ImportFileError, match="13 characters"):
        write_ximport([pair("x", value="12345678901.00")])
    assert records(write_ximport([pair("x", value="9999999999.99")]))[0]["montant"] == "9999999999.99"


# --- CSV ---------------------------------------------------------------------------------------


def test_the_csv_has_the_header_and_one_row_per_line_balanced_per_entry() -> None:
    entries = month_entries()
    rows = csv_rows(write_entries_csv(entries))
    assert len(rows) == sum(len(e.lines) for e in entries)
    by_entry: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        debit, credit = (D(row[c].replace(",", ".") or "0") for c in ("Débit", "Crédit"))
        assert (debit == 0) != (credit == 0)
        by_entry[row["N° écriture"]] += debit - credit
    assert set(by_entry.values()) == {D(0)}
    assert list(by_entry) == [e.number for e in number_entries(entries)]  # the FEC's numbers


def test_a_csv_row_column_by_column() -> None:
    first = csv_rows(write_entries_csv(month_entries()))[0]
    assert first == {
        "Journal": "VE",
        "Date": "05/11/2026",
        "Pièce": "FA2026-00001",
        "Compte": "411",
        "Compte auxiliaire": "411C001",
        "Libellé": "Facture FA2026-00001 Société Dauphinoise de Transports",
        "Débit": "1472,75",
        "Crédit": "",
        "Échéance": "",
        "N° écriture": "VE000001",
        "Libellé compte": "Clients",
        "Code tiers": "C001",
        "Nom tiers": "Société Dauphinoise de Transports",
        "Date pièce": "05/11/2026",
    }


def test_csv_amounts_have_a_decimal_comma_and_two_decimals() -> None:
    rows = csv_rows(write_entries_csv([pair("x", value="1234567.5")]))
    assert (rows[0]["Débit"], rows[0]["Crédit"]) == ("1234567,50", "")
    assert (rows[1]["Débit"], rows[1]["Crédit"]) == ("", "1234567,50")
    padded = csv_rows(write_entries_csv(month_entries(), account_length=6))
    assert {r["Compte"] for r in padded} == {"411000", "706000", "445710", "512000", "471000"}
    assert {r["Compte auxiliaire"] for r in padded} == {"", "411C001", "411C002", "411BEOURTHE"}


def test_windows_1252_keeps_french_and_falls_back_for_the_rest() -> None:
    data = write_entries_csv([pair("Œuvre — “née” … 12 €", name="Łukasz Żółw")])
    row = csv_rows(data)[0]
    assert row["Libellé"] == "Œuvre — “née” … 12 €"  # all in Windows-1252
    assert row["Nom tiers"] == "Lukasz Zólw"  # Polish letters it lacks: their nearest
    assert csv_rows(write_entries_csv([pair("Łódź")], encoding="utf-8"), "utf-8")[0]["Libellé"] == "Łódź"


def test_no_field_needs_quoting_and_separators_inside_text_are_replaced() -> None:
    data = write_entries_csv([pair('Lot "A"; B\r\nsuite\tfin', name="Dupont; fils")])
    assert b'"' not in data
    row = csv_rows(data)[0]
    assert row["Libellé"] == "Lot 'A', B suite fin"
    assert row["Nom tiers"] == "Dupont, fils"


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ('=HYPERLINK("http://x")', "'=HYPERLINK('http://x')"),
        ("+33 6 12", "'+33 6 12"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-cmd|' /C calc'!A0", "'-cmd ' /C calc'!A0"),
        ("-12,50", "-12,50"),  # a number stays a number
        ("Facture =1", "Facture =1"),
    ],
)
def test_formula_labels_are_inert(label: str, shown: str) -> None:
    rows = csv_rows(write_entries_csv([pair(label, aux="C9", name=label)]))
    assert rows[0]["Libellé"] == shown
    assert rows[0]["Nom tiers"] == shown
    assert all(not r[c].startswith(("=", "+", "@")) for r in rows for c in CSV_COLUMNS)


def test_both_files_refuse_unbalanced_or_unknown_encodings() -> None:
    good = pair("x")
    bad = JournalEntry.__new__(JournalEntry)  # bypass the constructor's own check
    for name, value in (
        ("journal", SALES),
        ("date", good.date),
        ("document_ref", "F9"),
        ("document_date", good.date),
        ("lines", (good.lines[0], JournalLine("706", "P", "x", credit=D(2)))),
        ("number", ""),
        ("validated_on", None),
    ):
        object.__setattr__(bad, name, value)
    with pytest.raises(UnbalancedEntry):
        write_ximport([good, bad])
    with pytest.raises(UnbalancedEntry):
        write_entries_csv([good, bad])
    with pytest.raises(ImportFileError, match="point or a comma"):
        write_ximport([good], decimal_separator=";")
