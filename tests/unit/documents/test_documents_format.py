"""Number, money and date formats: French typography (narrow no-break spaces) and English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from documents_helpers import en_money, fr_amount, fr_money

from invoicing.documents import format as fmt

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    "value", ["0", "0.5", "1234.5", "1234567.89", "999999999.99", "-1234.50", "12", "100000"]
)
def test_money_in_french_and_english(value: str) -> None:
    amount = Decimal(value)
    assert fmt.money(amount, "fr") == fr_money(amount)
    assert fmt.money(amount, "en") == en_money(amount)
    assert fmt.amount(amount, "fr") == fr_amount(amount)


def test_money_examples_written_out() -> None:
    assert fmt.money(Decimal("1234.50"), "fr") == f"1{NNBSP}234,50{NBSP}€"
    assert fmt.money(Decimal("1234.50"), "en") == "€1,234.50"
    assert fmt.amount(Decimal("1234.5"), "en") == "1,234.50"
    assert fmt.money(Decimal("0"), "fr") == f"0,00{NBSP}€"


def test_money_formatting_rounds_half_up_like_the_money_policy() -> None:
    assert fmt.money(Decimal("2.665"), "fr") == f"2,67{NBSP}€"


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [
        ("2.5", "2,5", "2.5"),
        ("2.50", "2,5", "2.5"),
        ("1200", f"1{NNBSP}200", "1,200"),
        ("0.0001", "0,0001", "0.0001"),
        ("3", "3", "3"),
        ("12345.6789", f"12{NNBSP}345,6789", "12,345.6789"),
    ],
)
def test_quantity_shows_only_the_decimals_it_needs(value: str, fr: str, en: str) -> None:
    assert fmt.quantity(Decimal(value), "fr") == fr
    assert fmt.quantity(Decimal(value), "en") == en


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [
        ("0.012345", "0,012345", "0.012345"),
        ("1.5", "1,50", "1.50"),
        ("1234.5", f"1{NNBSP}234,50", "1,234.50"),
        ("0.1", "0,10", "0.10"),
        ("99.123400", "99,1234", "99.1234"),
    ],
)
def test_unit_price_keeps_two_to_six_decimals(value: str, fr: str, en: str) -> None:
    assert fmt.unit_price(Decimal(value), "fr") == fr
    assert fmt.unit_price(Decimal(value), "en") == en


@pytest.mark.parametrize(
    ("rate", "fr", "en"),
    [
        ("5.5", f"5,5{NNBSP}%", "5.5%"),
        ("20", f"20{NNBSP}%", "20%"),
        ("2.1", f"2,1{NNBSP}%", "2.1%"),
        ("0", f"0{NNBSP}%", "0%"),
    ],
)
def test_percent(rate: str, fr: str, en: str) -> None:
    assert fmt.percent(Decimal(rate), "fr") == fr
    assert fmt.percent(Decimal(rate), "en") == en


def test_dates() -> None:
    assert fmt.day(date(2026, 11, 23), "fr") == "23/11/2026"
    assert fmt.day(date(2026, 1, 5), "en") == "05/01/2026"
    assert fmt.long_day(date(2026, 11, 23), "fr") == "23 novembre 2026"
    assert fmt.long_day(date(2027, 2, 1), "fr") == "1 février 2027"
    assert fmt.long_day(date(2026, 8, 1), "en") == "1 August 2026"


def test_unknown_locale_falls_back_to_french() -> None:
    assert fmt.money(Decimal("1234.5"), "de") == fmt.money(Decimal("1234.5"), "fr")


def test_grouped_identifiers() -> None:
    assert fmt.grouped("732829320", 3) == "732 829 320"
    assert fmt.siret("73282932000074") == "732 829 320 00074"


def test_percent_prints_a_discount_rate_as_given() -> None:
    assert fmt.percent(Decimal("12.345"), "fr") == f"12,345{NNBSP}%"
