"""Money: half-up rounding to the cent, percentages, and no float anywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicing.domain.money import CENT, money_str, percent_of, round_money, to_decimal


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.005", "0.01"),
        ("0.004999", "0.00"),
        ("2.675", "2.68"),  # binary floats famously give 2.67 here
        ("2.665", "2.67"),  # half-up, not banker's rounding (which gives 2.66)
        ("1.125", "1.13"),
        ("-0.005", "-0.01"),  # away from zero
        ("-2.675", "-2.68"),
        ("10", "10.00"),
        ("1234.5", "1234.50"),
    ],
)
def test_round_money_is_half_up_at_the_cent(amount: str, expected: str) -> None:
    result = round_money(Decimal(amount))
    assert result == Decimal(expected)
    assert str(result) == expected  # exactly two decimal places
    assert result.as_tuple().exponent == CENT.as_tuple().exponent


@pytest.mark.parametrize("value", [0.1, 1, "0.10"])
def test_round_money_refuses_anything_but_decimal(value: object) -> None:
    with pytest.raises(TypeError):
        round_money(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        ("100.00", "20", "20.00"),
        ("0.99", "20", "0.20"),  # 0.198
        ("0.25", "10", "0.03"),  # 0.025 -> half-up
        ("19.99", "5.5", "1.10"),  # 1.09945
        ("47.62", "2.1", "1.00"),  # 1.00002
        ("-0.25", "10", "-0.03"),
        ("123.45", "0", "0.00"),
    ],
)
def test_percent_of_rounds_half_up_after_multiplying(amount: str, rate: str, expected: str) -> None:
    exact = Decimal(amount) * Decimal(rate) / 100
    assert percent_of(Decimal(amount), Decimal(rate)) == Decimal(expected)
    # Whatever the rounding, the result is within half a cent of the exact value.
    assert abs(percent_of(Decimal(amount), Decimal(rate)) - exact) <= Decimal("0.005")


@pytest.mark.parametrize("value", [0.1, 2.5, float("nan")])
def test_to_decimal_refuses_floats(value: float) -> None:
    with pytest.raises(TypeError):
        to_decimal(value)


@pytest.mark.parametrize(("value", "expected"), [("0.1", "0.1"), (3, "3"), ("1234.5600", "1234.5600")])
def test_to_decimal_is_exact(value: str | int, expected: str) -> None:
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", "-inf", "1,5"])
def test_to_decimal_refuses_what_is_not_a_finite_number(value: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        to_decimal(value)


def test_money_str_is_the_two_decimal_machine_form() -> None:
    assert money_str(Decimal("1234.5")) == "1234.50"
    assert money_str(Decimal("0.005")) == "0.01"
    assert money_str(Decimal("-3")) == "-3.00"
