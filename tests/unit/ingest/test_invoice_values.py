"""The values both supplier-invoice readers take from text (invoicing.ingest.invoice_values), and
the one-line cleaning every reader uses (invoicing.domain.text.one_line)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from invoicing.domain.text import one_line, without_refused
from invoicing.ingest.invoice_values import (
    MONTHS,
    currency_of,
    currency_votes,
    date_order,
    find_amounts,
    find_dates,
    french_id,
    iban_at,
    iban_in,
    month_number,
    number,
    parse_amount,
    parse_date,
    siren_siret_in,
    vat_check,
    vat_id_in,
)

# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "money", "expected"),
    [
        ("1234", True, "1234"),
        ("1234,56", True, "1234.56"),
        ("1234.5", True, "1234.5"),
        ("1 234,56", True, "1234.56"),
        ("1\u202f234,56", True, "1234.56"),  # Excel's narrow no-break space
        ("1.234,56", True, "1234.56"),  # German
        ("1,234.56", True, "1234.56"),  # English
        ("1'234.50", True, "1234.50"),  # Swiss
        ("1.234.567", True, "1234567"),
        ("1,350", True, "1350"),  # one separator and three digits: thousands, in money
        ("1,350", False, "1.350"),  # ... a decimal comma in a quantity
        ("0,234", True, "0.234"),  # no thousands group starts with 0
        ("12 34", True, None),  # a space only between groups of three
        ("1,234,56", True, None),
        ("1.234.56", True, None),
        ("1E+999999", True, None),
        ("NaN", True, None),
        ("Infinity", True, None),
        ("9" * 15, True, "9" * 15),
        ("1" + "0" * 15, True, None),  # NUMBER_LIMIT
        ("9" * 500, True, None),
        ("", True, None),
    ],
)
def test_number(written: str, money: bool, expected: str | None) -> None:
    assert number(written, money=money) == (D(expected) if expected else None)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1 234,56 €", "1234.56"),
        ("$120.00", "120.00"),
        ("EUR 1 000", "1000"),
        ("1000 euros", "1000"),
        ("CHF 1'234.50", "1234.50"),
        ("(12.50)", "-12.50"),
        ("-5,00 €", "-5.00"),
        ("12.00-", "-12.00"),
        ("$899.99 S", "899.99"),  # a receipt's tax flag
        ("300-00", None),
        ("2 x 3,00", None),
        ("20 %", None),
        ("/6.50", None),  # a cut-off "76.50"
        ("1E+999999", None),
        ("9" * 500, None),
        ("\u202e12.00", "12.00"),
    ],
)
def test_parse_amount(written: str, expected: str | None) -> None:
    assert parse_amount(written) == (D(expected) if expected else None)


def test_parse_amount_of_a_quantity_keeps_decimals() -> None:
    assert parse_amount("1.250", money=False) == D("1.250")
    assert parse_amount("0.125", money=False) == D("0.125")


def test_find_amounts_in_a_line() -> None:
    line = "Total HT    1 234,56 €    TVA 20 %    -246,91    (10.00)   € 5"
    found = find_amounts(line)
    assert [(a.value, a.percent) for a in found] == [
        (D("1234.56"), False),
        (D("20"), True),
        (D("-246.91"), False),
        (D("-10.00"), False),
        (D("5"), False),
    ]
    assert line[found[0].start : found[0].end].strip() == "1 234,56"


def test_find_amounts_skips_masks_dates_and_hostile_numbers() -> None:
    assert find_amounts("12,00  99,00", masks=[(7, 12)]) == find_amounts("12,00")
    assert find_amounts("31/12/2024 12:30") == []
    assert find_amounts("Total " + "9" * 5000 + ",00") == []
    assert find_amounts("Total 1e999999") == []
    assert find_amounts("1.2345") == []  # money has at most two decimals


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "month_first", "expected"),
    [
        ("31/12/2024", False, date(2024, 12, 31)),
        ("02/03/2024", False, date(2024, 3, 2)),
        ("02/03/2024", True, date(2024, 2, 3)),
        ("12/31/2024", False, date(2024, 12, 31)),  # only month first can be read
        ("31/12/2024", True, date(2024, 12, 31)),  # only day first can be read
        ("31.12.24", False, date(2024, 12, 31)),
        ("31 - 12 - 2024", False, date(2024, 12, 31)),
        ("2024-12-31", True, date(2024, 12, 31)),
        ("2024/12/31", False, date(2024, 12, 31)),
        ("31 décembre 2024", False, date(2024, 12, 31)),
        ("31 DECEMBRE 2024", False, date(2024, 12, 31)),
        ("1er janvier 2025", False, date(2025, 1, 1)),
        ("15 févr. 2024", False, date(2024, 2, 15)),
        ("31. Dezember 2024", False, date(2024, 12, 31)),
        ("3 März 2024", False, date(2024, 3, 3)),
        ("3 Maerz 2024", False, date(2024, 3, 3)),
        ("3 maart 2024", False, date(2024, 3, 3)),
        ("Dec 31, 2024", False, date(2024, 12, 31)),
        ("December 1st, 2024", False, date(2024, 12, 1)),
        ("01-Jan-2021", False, date(2021, 1, 1)),
        ("Thursday, 26 March 2020", False, date(2020, 3, 26)),
        ("le 5 de mayo 2024", False, None),
        ("31/02/2024", False, None),
        ("13/13/2024", False, None),
        ("2024-12-31/1", False, date(2024, 12, 31)),
        ("1999-12-31", False, None),  # 2000-2099 only
        ("01/01/2100", False, None),
        ("31/12/2024/1", False, None),
        ("1.234,56", False, None),
        ("soon", False, None),
    ],
)
def test_find_dates(written: str, month_first: bool, expected: date | None) -> None:
    found = find_dates(written, month_first=month_first)
    assert (found[0].value if found else None) == expected


def test_find_dates_in_order_with_where_they_are() -> None:
    text = "Facture du 2024-01-15, échéance 14 février 2024 (ou 01/03/2024)"
    found = find_dates(text)
    assert [f.value for f in found] == [date(2024, 1, 15), date(2024, 2, 14), date(2024, 3, 1)]
    assert text[found[1].start : found[1].end] == "14 février 2024"


def test_find_dates_range_can_be_widened() -> None:
    assert find_dates("01/01/1990", earliest=date(1900, 1, 1))[0].value == date(1990, 1, 1)


def test_month_names_exact_or_by_prefix() -> None:
    assert month_number("Févr") == month_number("fevr") == month_number("FEB") == 2
    assert month_number("Febr") is None
    assert month_number("Febr", prefix=True) == 2
    assert month_number("jui", prefix=True) is None  # juin or juillet
    assert month_number("ju", prefix=True) is None
    assert parse_date("5 Sept. 2024") == date(2024, 9, 5)
    assert parse_date("5 jui 2024") is None
    assert set(MONTHS.values()) == set(range(1, 13))
    assert all(name == name.lower() for name in MONTHS)


def test_date_order_says_which_order_a_text_can_only_be_read_in() -> None:
    assert date_order("01/31/2021") == 1
    assert date_order("31/01/2021") == -1
    assert date_order("02/03/2021") == 0
    assert date_order("2021-01-31") == 0
    assert date_order("01/31/2021 and 02/28/2021, 31/01/2021") == 1


def test_hostile_text_is_read_in_bounded_time() -> None:
    text = ("12/" * 20_000) + "1" + ("\u202e" * 1000) + "31 décembre " * 1000
    assert len(find_dates(text)) <= 1
    assert parse_amount("1" * 10_000) is None


# --- currencies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("12,00 €", "EUR"),
        ("12,00 euros", "EUR"),
        ("eur 12", "EUR"),
        ("$12.00", "USD"),
        ("US$ 12", "USD"),
        ("CAD $12.00", "CAD"),  # a code outweighs a bare $
        ("£10", "GBP"),
        ("CHF 1'234.50", "CHF"),
        ("Fr. 12.50", "CHF"),
        ("Rs 100", "INR"),
        ("₱ 100", "PHP"),
        ("SEK 100", "SEK"),
        ("12.00", None),
    ],
)
def test_currency_of(written: str, expected: str | None) -> None:
    assert currency_of(written) == expected


def test_currency_votes_weigh_a_bare_dollar_less() -> None:
    votes = currency_votes("Total 12,00 €  $ $ $")
    assert votes["EUR"] == 2.0
    assert votes["USD"] == pytest.approx(1.8)
    assert currency_votes("€ " * 1000, limit=200)["EUR"] == 400.0


# --- identifiers --------------------------------------------------------------------------------


def test_vat_check_valid_wrong_check_or_not_a_vat_number() -> None:
    assert vat_check("FR44732829320") is True
    assert vat_check("FR45732829320") is False  # well-formed, wrong key
    assert vat_check("DE136695976") is True
    assert vat_check("GB980780684") is True  # British: checked apart from the EU's
    assert vat_check("FRABC") is None
    assert vat_check("XX123456789") is None


def test_vat_id_in_text() -> None:
    assert vat_id_in("TVA intracom. : FR 44 732 829 320") == "FR44732829320"
    assert vat_id_in("N° TVA FR45732829320") is None  # never corrected
    assert vat_id_in("USt-IdNr. DE136695976, Seite 1") == "DE136695976"
    assert vat_id_in("FR\u202e44732829320") is None  # the caller cleans text first
    assert vat_id_in("9" * 5000) is None


def test_iban() -> None:
    assert (
        iban_in("IBAN : FR14 2004 1010 0505 0001 3M02 606 BIC : PSSTFRPPXXX") == "FR1420041010050500013M02606"
    )
    assert iban_in("FR14 2004 1010 0505 0001 3M02 607") is None
    assert iban_at("FR1420041010050500013M02606PSST") == "FR1420041010050500013M02606"
    assert iban_at("FR14") is None


def test_french_identifiers() -> None:
    assert french_id("732829320") == "732829320"
    assert french_id("73282932000074") == "73282932000074"
    assert french_id("73282932000075") is None
    assert french_id("732829321") is None
    assert french_id("7328293200") is None
    assert siren_siret_in("RCS Paris 732 829 320 – SIRET 732.829.320.00074") == (
        "732829320",
        "73282932000074",
    )
    # a SIRET whose check fails gives no SIREN: its first nine digits are not trusted
    assert siren_siret_in("SIRET 732 829 320 00075") == (None, None)


# --- one line of text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("  ACME\u202e SARL \n\t Paris  ", 100, "ACME SARL Paris"),
        ("Evil\u202eCorp\u200b", 100, "EvilCorp"),
        ("a\x00b\x0bc\x1fd", 100, "abcd"),
        ("\ud800x\ue000y", 100, "xy"),  # surrogates and private use
        ("abc def", 4, "abc"),  # no trailing space after the cut
        ("", 10, ""),
        (None, 10, ""),
        ("\u2066\u2069", 10, ""),
    ],
)
def test_one_line(text: str | None, limit: int, expected: str) -> None:
    assert one_line(text, limit) == expected


def test_without_refused_keeps_line_breaks_and_what_it_is_told() -> None:
    assert without_refused("a\u202eb\nc\fd") == "ab\ncd"
    assert without_refused("a\u202eb\nc\fd", keep="\f") == "ab\nc\fd"
    assert without_refused("plain text") == "plain text"
