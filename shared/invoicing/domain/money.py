"""Money is ``Decimal`` in euros; rounding is explicit and happens in one place.

Rounding policy (French practice, EN 16931 rules BR-CO-10 to BR-CO-17):

1. A line's net amount is ``quantity x unit price`` rounded half-up to the cent, minus its
   discount (itself rounded half-up to the cent when given as a percentage).
2. The total excluding VAT (HT) is the exact sum of the rounded line amounts, plus document
   charges, minus document allowances.
3. VAT is computed once per rate on that rate's taxable base, rounded half-up to the cent
   (never line by line, so no rounding drift accumulates across lines).
4. Total VAT is the exact sum of the per-rate amounts; TTC = HT + TVA exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(amount: Decimal) -> Decimal:
    """Round half-up to the cent: 0.005 -> 0.01, -0.005 -> -0.01 (away from zero)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, rate_percent: Decimal) -> Decimal:
    """``rate_percent`` % of ``amount``, rounded half-up to the cent."""
    return round_money(amount * rate_percent / Decimal(100))


def to_decimal(value: str | int | Decimal) -> Decimal:
    """Exact conversion from a canonical string or int; floats are refused on purpose."""
    if isinstance(value, float):
        raise TypeError("floats are not accepted for money or quantities; pass a string")
    try:
        result = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def money_str(amount: Decimal) -> str:
    """Canonical machine form, two decimals: ``1234.50``."""
    return f"{round_money(amount):.2f}"
