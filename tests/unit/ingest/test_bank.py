"""Bank statements to bank lines (invoicing.ingest.bank): CAMT.053 fixtures from public parsers
(../shared/fixtures/bank, see its SOURCES.md), CSV layouts written here by hand, and files built
to hurt."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from invoicing.domain.problems import InputRejected, Problem
from invoicing.ingest.bank import MAX_BYTES, BankLine, Statement, StatementRejected, read_statement
from tests.conftest import FIXTURES, fixture_path

CAMT_FILES = sorted(
    str(p.relative_to(FIXTURES / "bank" / "camt053")) for p in (FIXTURES / "bank" / "camt053").rglob("*.xml")
)


def camt(relative: str) -> Statement:
    path = fixture_path("bank", "camt053", *relative.split("/"))
    return read_statement(path.read_bytes(), path.name)


def refused(data: bytes, filename: str = "releve.csv") -> tuple[Problem, ...]:
    with pytest.raises(StatementRejected) as caught:
        read_statement(data, filename)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, InputRejected)
    return caught.value.problems


def codes(problems: tuple[Problem, ...]) -> list[str]:
    return [p.code for p in problems]


# ---------------------------------------------------------------------------------- CAMT.053


@pytest.mark.parametrize("relative", CAMT_FILES or ["genkgo/camt053.v2.minimal.xml"])
def test_every_camt053_fixture_parses_or_is_refused_cleanly(relative: str) -> None:
    path = fixture_path("bank", "camt053", *relative.split("/"))
    if path.name == "camt053.v2.wrong.xml":
        assert codes(refused(path.read_bytes(), path.name)) == ["no_statement"]
        return
    statement = read_statement(path.read_bytes(), path.name)
    assert statement.format == "camt.053"
    assert statement.lines
    ids = [line.line_id for line in statement.lines]
    assert len(set(ids)) == len(ids)
    for line in statement.lines:
        assert isinstance(line, BankLine)
        assert line.amount == line.amount.quantize(Decimal("0.01"))
        assert len(line.currency) == 3
        assert "\n" not in line.label
        assert "  " not in line.label


def test_rabobank_export_lines_carry_the_invoice_numbers() -> None:
    statement = camt("invoiced/CAMT053.xml")
    assert len(statement.lines) == 9  # 132 Stmt, most of them empty days
    credits = [line for line in statement.lines if line.amount > 0 and line.account == "NL17RABO0310029597"]
    assert [(c.booked_on, c.amount, c.label, c.counterparty) for c in credits] == [
        (date(2016, 8, 15), Decimal("4425.25"), "2016Q3-0004", "XS NEWS B V"),
        (date(2016, 9, 28), Decimal("2982.99"), "2016Q3-0005", "XS NEWS B V"),
        (date(2016, 10, 11), Decimal("4516.68"), "2016Q3-0006", "XS NEWS B V"),
    ]
    fee = next(line for line in statement.lines if line.counterparty == "Kosten")
    assert fee.amount == Decimal("-0.08")
    assert fee.currency == "EUR"
    assert not fee.reversal
    # No bank reference in this export: the ids are hashes.
    assert all(":sha256:" in line.line_id for line in statement.lines)


def test_batch_entry_is_split_into_its_transactions_with_debit_signs() -> None:
    statement = camt("viafintech/valid_example.xml")
    assert [line.amount for line in statement.lines] == [
        Decimal("-2.00"),
        Decimal("-3.00"),
        Decimal("1.00"),
        Decimal("-3.50"),
        Decimal("-2.50"),
    ]
    first, second = statement.lines[3:]
    assert first.label == "Sammelueberwseisung 2. Zahlung TAN:283044"
    assert second.label == "Sammelueberweisung 1. Zahlung TAN:283044"
    assert first.line_id.endswith(":2013122711513230000/1")
    assert second.line_id.endswith(":2013122711513230000/2")
    assert {line.account for line in statement.lines} == {"DE14740618130000033626"}
    assert statement.lines[0].line_id == "camt:ref:DE14740618130000033626:2013122710583450000"


def test_postfinance_v4_reversals_and_batches() -> None:
    statement = camt("viafintech/valid_example_v4.xml")
    assert len(statement.lines) == 32  # 13 entries, 32 TxDtls, each with its own amount
    reversals = [line for line in statement.lines if line.reversal]
    assert [(r.amount, r.currency, r.booked_on) for r in reversals] == [
        (Decimal("-6.00"), "CHF", date(2016, 4, 10)),
        (Decimal("-15.53"), "CHF", date(2016, 4, 10)),
    ]
    assert sum(line.amount for line in statement.lines if line.booked_on == date(2016, 5, 27)) > 0


def test_three_decimal_amounts_are_read_as_cents() -> None:
    (line,) = camt("genkgo/camt053.v2.five.decimals.xml").lines
    assert line.amount == Decimal("8.85")
    assert str(line.amount) == "8.85"
    assert line.label == "Transaction Description"


def test_several_statements_in_one_message() -> None:
    statement = camt("genkgo/camt053.v2.multi.statement.xml")
    assert [(line.amount, line.label) for line in statement.lines] == [
        (Decimal("8.85"), "Transaction Description 1"),
        (Decimal("-7.00"), "Transaction Description 2"),
    ]


def test_versions_03_04_08_and_a_structured_reference() -> None:
    for relative in ("genkgo/camt053.v3.xml", "genkgo/camt053.v4.xml", "genkgo/camt053.v8.xml"):
        (line,) = camt(relative).lines
        assert (line.amount, line.label, line.counterparty) == (
            Decimal("8.85"),
            "4654654654654654",
            "NAME NAME",
        )
    v8 = camt("viafintech/valid_example_v8.xml")
    assert [(line.amount, line.currency) for line in v8.lines] == [
        (Decimal("474.40"), "CHF"),
        (Decimal("88.85"), "CHF"),
        (Decimal("-20.97"), "EUR"),
    ]
    assert v8.lines[0].label.startswith("INVOICE R77561")


def test_account_without_iban_uses_its_other_id() -> None:
    statement = camt("bankstatementparser/camt.053.001.02.xml")
    assert {line.account for line in statement.lines} == {"50000000054910000003"}
    assert [line.amount for line in statement.lines] == [
        Decimal("105678.50"),
        Decimal("-200000.00"),
        Decimal("30000.00"),
    ]


def test_same_camt_file_twice_gives_the_same_ids() -> None:
    path = fixture_path("bank", "camt053", "invoiced", "CAMT053.xml")
    first = read_statement(path.read_bytes(), "a.xml")
    second = read_statement(path.read_bytes(), "b.xml")
    assert [line.line_id for line in first.lines] == [line.line_id for line in second.lines]


def _camt(entries: str, ns: str = "camt.053.001.02") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{ns}"><BkToCstmrStmt><Stmt>'
        "<Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>"
        f"{entries}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _entry(
    amount: str = "10.00", indicator: str = "CRDT", booked: str = "2026-11-03", extra: str = ""
) -> str:
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{booked}</Dt></BookgDt>{extra}</Ntry>"
    )


def test_camt_bad_values_are_named_with_their_line_and_field() -> None:
    data = _camt(
        _entry("12,50")
        + "\n"
        + _entry(booked="2026-02-30")
        + "\n"
        + _entry(indicator="XX")
        + "\n"
        + _entry("1.005")
    )
    problems = refused(data, "releve.xml")
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [
        ("bad_number", 2, "Ntry/Amt", "12,50"),
        ("bad_date", 3, "Ntry/BookgDt", "2026-02-30"),
        ("bad_credit_debit", 4, "Ntry/CdtDbtInd", "XX"),
        ("too_precise", 5, "Ntry/Amt", "1.005"),
    ]


def test_camt_label_loses_controls_and_bidi_and_pending_entries_are_skipped() -> None:
    rmt = "<NtryDtls><TxDtls><RmtInf><Ustrd>FAC\u202e-2026\n-0001\u200b</Ustrd></RmtInf></TxDtls></NtryDtls>"
    data = _camt(
        _entry(extra=rmt) + _entry("5.00").replace("<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>"), ns="camt.053.001.08"
    )
    (line,) = read_statement(data, "r.xml").lines
    assert line.label == "FAC-2026 -0001"


def test_other_camt_messages_are_not_statements() -> None:
    path = fixture_path("bank", "camt054", "viafintech", "valid_example.xml")
    assert codes(refused(path.read_bytes(), path.name)) == ["not_a_statement"]


# --------------------------------------------------------------------------------------- CSV


def test_documented_layout_semicolon_french() -> None:
    data = (
        "date;libellé;montant\n"
        "03/11/2026;VIR SEPA ACME FAC-2026-0001;1\u202f234,56\n"
        "04/11/2026;PRLV EDF;-45,10\n"
        "\n"
        "05/11/2026;VIR DUPONT;1\u00a0000\n"
    ).encode()
    statement = read_statement(data, "releve.csv")
    assert statement.format == "csv"
    assert [(line.booked_on, line.amount, line.label, line.currency) for line in statement.lines] == [
        (date(2026, 11, 3), Decimal("1234.56"), "VIR SEPA ACME FAC-2026-0001", "EUR"),
        (date(2026, 11, 4), Decimal("-45.10"), "PRLV EDF", "EUR"),
        (date(2026, 11, 5), Decimal("1000.00"), "VIR DUPONT", "EUR"),
    ]
    assert all(line.account is None and not line.reversal for line in statement.lines)


def test_documented_layout_comma_english_iso() -> None:
    data = (
        b'Booking date,Description,Amount\n2026-11-03,Payment INV-7,-12.50\n2026-11-04,"Refund, partial",3\n'
    )
    statement = read_statement(data, "statement.csv")
    assert [(line.booked_on, line.amount, line.label) for line in statement.lines] == [
        (date(2026, 11, 3), Decimal("-12.50"), "Payment INV-7"),
        (date(2026, 11, 4), Decimal("3.00"), "Refund, partial"),
    ]


def test_debit_credit_export_with_header_lines_in_windows_1252() -> None:
    """Modelled on public descriptions of a Crédit Agricole style export: not a real file."""
    text = (
        "Téléchargement du 26/11/2026;\r\n"
        ";\r\n"
        "Compte de dépôt;FR76 1234 5678 9012 3456 7890 123;\r\n"
        "Solde au 26/11/2026 1 234,56 €;\r\n"
        ";\r\n"
        "Liste des opérations du compte entre le 01/11/2026 et le 26/11/2026;\r\n"
        ";\r\n"
        "Date;Libellé;Débit euros;Crédit euros;\r\n"
        '03/11/2026;"VIREMENT EN VOTRE FAVEUR \r\nSARL MARTIN \r\nFAC-2026-0042 ";;1 500,00;\r\n'
        '04/11/2026;"PRELEVEMENT \r\nURSSAF ";312,00;;\r\n'
        '05/11/2026;"FRAIS TENUE DE COMPTE ";-4,50;;\r\n'
    )
    statement = read_statement(text.encode("cp1252"), "CA20261126.csv")
    assert [(line.booked_on, line.amount, line.label) for line in statement.lines] == [
        (date(2026, 11, 3), Decimal("1500.00"), "VIREMENT EN VOTRE FAVEUR SARL MARTIN FAC-2026-0042"),
        (date(2026, 11, 4), Decimal("-312.00"), "PRELEVEMENT URSSAF"),
        (date(2026, 11, 5), Decimal("-4.50"), "FRAIS TENUE DE COMPTE"),
    ]
    assert {line.account for line in statement.lines} == {"FR7612345678901234567890123"}


def test_amount_and_currency_export_with_detail_column() -> None:
    """Modelled on public descriptions of a Société Générale style export: not a real file."""
    text = (
        '="0123456789012";Compte courant;;\n'
        "\n"
        "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise\n"
        "03/11/2026;VIR RECU;DE: SAS DURAND MOTIF: FAC-2026-0007;2 400,00;EUR\n"
        "04/11/2026;CARTE X1234;CARTE X1234 02/11 BOULANGERIE;-8,20;EUR\n"
    )
    statement = read_statement(text.encode("utf-8-sig"), "export.csv")
    assert [(line.amount, line.label, line.currency) for line in statement.lines] == [
        (Decimal("2400.00"), "VIR RECU DE: SAS DURAND MOTIF: FAC-2026-0007", "EUR"),
        (Decimal("-8.20"), "CARTE X1234 CARTE X1234 02/11 BOULANGERIE", "EUR"),
    ]


def test_online_bank_export_with_iso_dates() -> None:
    """Modelled on public descriptions of a Boursorama style export: not a real file."""
    text = (
        "dateOp;dateVal;label;category;categoryParent;supplierFound;amount;comment;accountNum;"
        "accountLabel;accountbalance\n"
        '2026-11-03;2026-11-03;"VIR SEPA SARL MARTIN FAC-2026-0042";"Virements reçus";"Entrées";'
        '"sarl martin";"1 500,00";;"00012345678";"Compte";"3 000,00"\n'
    )
    (line,) = read_statement(text.encode(), "export.csv").lines
    assert (line.booked_on, line.amount, line.label) == (
        date(2026, 11, 3),
        Decimal("1500.00"),
        "VIR SEPA SARL MARTIN FAC-2026-0042",
    )


def test_csv_bad_cells_are_named() -> None:
    data = (
        "Date;Libellé;Montant\n"
        "31/02/2026;A;10,00\n"
        "03/11/2026;B;dix euros\n"
        "03/11/2026;C;1,005\n"
        "03/11/2026;D;\n"
    ).encode()
    problems = refused(data)
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [
        ("bad_date", 2, "Date", "31/02/2026"),
        ("bad_number", 3, "Montant", "dix euros"),
        ("too_precise", 4, "Montant", "1,005"),
        ("required", 5, "Montant", ""),
    ]
    assert problems[1].describe("fr").startswith("ligne 3, colonne Montant")


def test_debit_and_credit_both_filled_is_refused() -> None:
    data = b"Date;Libelle;Debit;Credit\n03/11/2026;X;1,00;2,00\n"
    assert codes(refused(data)) == ["debit_and_credit"]


def test_unknown_csv_layout() -> None:
    problems = refused(b"client;facture;total\nC1;F1;12\n")
    assert codes(problems) == ["unknown_statement_layout"]


# ------------------------------------------------------------------------------------ line ids


def test_same_csv_twice_and_overlapping_statements_share_ids() -> None:
    header = "date;libellé;montant\n"
    rows = [
        "01/11/2026;VIR A;10,00\n",
        "02/11/2026;VIR B;20,00\n",
        "02/11/2026;VIR B;20,00\n",  # the same payment twice on one day
        "03/11/2026;PRLV C;-5,00\n",
        "04/11/2026;VIR D;7,00\n",
    ]
    october = read_statement((header + "".join(rows[:4])).encode(), "a.csv")
    again = read_statement((header + "".join(rows[:4])).encode(), "a.csv")
    november = read_statement((header + "".join(rows[1:])).encode(), "b.csv")
    assert [line.line_id for line in october.lines] == [line.line_id for line in again.lines]
    ids = [line.line_id for line in october.lines]
    assert len(set(ids)) == 4  # the identical lines differ by their occurrence counter
    assert ids[1:] == [line.line_id for line in november.lines][:3]
    assert ids[1].endswith(":1")
    assert ids[2] == ids[1][:-2] + ":2"


# ------------------------------------------------------------------------------------- hostile


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"   \r\n\t ", "empty_file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not_a_statement"),
        (b"PK\x03\x04\x14\x00", "not_a_statement"),
        (bytes(range(256)) * 4, "not_a_statement"),
        (b"<html><body>hello</body></html>", "not_a_statement"),
        (b"<Document><unclosed>", "bad_xml"),
        (b"\xff\xfe" + "date;libellé;montant\n".encode("utf-16-le"), "no_rows"),
    ],
)
def test_not_a_statement(data: bytes, code: str) -> None:
    assert codes(refused(data, "file.xml")) == [code]


def test_xml_bomb_and_external_entities_are_refused_without_expansion() -> None:
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
            for i in range(1, 10)
        )
        + b']>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol9;</Document>'
    )
    start = time.perf_counter()
    assert codes(refused(bomb, "bomb.xml")) == ["xml_doctype"]
    assert time.perf_counter() - start < 1
    external = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>'
    )
    assert codes(refused(external, "x.xml")) == ["xml_doctype"]


def test_wrong_camt_without_statement() -> None:
    path = fixture_path("bank", "camt053", "genkgo", "camt053.v2.wrong.xml")
    (problem,) = refused(path.read_bytes(), path.name)
    assert problem.code == "no_statement"
    assert "Stmt" in problem.reason_en
    assert "relevé" in problem.reason_fr


def test_a_file_above_ten_megabytes_is_refused_unread() -> None:
    problems = refused(b"date;libelle;montant\n" + b"0" * (50 * 1024 * 1024))
    assert codes(problems) == ["too_large"]
    assert problems[0].params == {"limit": MAX_BYTES}


def test_a_hundred_thousand_lines_in_bounded_time() -> None:
    body = "".join(
        f"{1 + i % 28:02d}/11/2026;VIR CLIENT {i};{i % 997},{i % 100:02d}\n" for i in range(100_000)
    )
    data = ("date;libellé;montant\n" + body).encode()
    start = time.perf_counter()
    statement = read_statement(data, "big.csv")
    assert len(statement.lines) == 100_000
    assert time.perf_counter() - start < 8  # about 3.5 s on a laptop


def test_a_huge_label_is_cut_and_the_value_quoted_back_is_bounded() -> None:
    data = ("date;libellé;montant\n03/11/2026;" + "A" * 100_000 + ";1,00\n").encode()
    (line,) = read_statement(data, "r.csv").lines
    assert len(line.label) == 1000
    problems = refused(("date;libellé;montant\n03/11/2026;" + "A" * 500_000 + ";1,00\n").encode())
    assert [(p.code, p.row) for p in problems] == [("text_too_long", 2)]
    problems = refused(("date;libellé;montant\n03/11/2026;x;" + "9" * 100_000 + "\n").encode())
    assert problems[0].code in {"number_too_large", "bad_number"}
    assert len(problems[0].value or "") <= 121


def test_fixture_list_is_not_empty_when_fixtures_exist() -> None:
    if not (FIXTURES / "bank" / "camt053").exists():
        pytest.skip("third-party fixtures absent")
    assert len(CAMT_FILES) == 17
    assert all(Path(FIXTURES / "bank" / "camt053" / name).is_file() for name in CAMT_FILES)


OTHER_FORMATS = sorted(
    str(p.relative_to(FIXTURES / "bank"))
    for folder in ("camt054", "cfonb120", "mt940", "ofx")
    for p in (FIXTURES / "bank" / folder).rglob("*")
    if p.is_file()
)


@pytest.mark.parametrize("relative", OTHER_FORMATS or ["ofx/ofxparse/checking.ofx"])
def test_formats_not_read_yet_are_refused_with_a_reason(relative: str) -> None:
    path = fixture_path("bank", *relative.split("/"))
    (problem,) = refused(path.read_bytes(), path.name)
    assert problem.code in {"not_a_statement", "unknown_statement_layout", "bad_xml"}
