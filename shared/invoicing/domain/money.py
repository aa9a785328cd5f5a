"""Money is ``Decimal`` in euros; rounding is explicit and happens in one place.

Rounding policy (French practice, EN 16931 rules BR-CO-10 to BR-CO-17). A document's prices are
either excluding VAT (HT, the default: business-to-business practice and every spreadsheet import)
or including VAT (TTC, ``Draft.prices_include_vat``: consumer prices, what a sale paid online
charged). Both give totals with HT + TVA = TTC exactly, and VAT computed once per rate (never line
by line, so no rounding drift accumulates across lines); they differ in which amount is given and
which is derived.

Prices excluding VAT (HT):

1. A line's net amount is ``quantity x unit price`` rounded half-up to the cent, minus its
   discount (itself rounded half-up to the cent when given as a percentage).
2. The total excluding VAT (HT) is the exact sum of the rounded line amounts, plus document
   charges, minus document allowances.
3. VAT is computed once per rate on that rate's taxable base, rounded half-up to the cent
   (``percent_of``).
4. Total VAT is the exact sum of the per-rate amounts; TTC = HT + TVA exactly.

Under this rule HT + round(HT x rate) skips some totals including VAT: at 20 % about one in six
(9,99 €: 8,32 HT gives 9,98, 8,33 HT gives 10,00), 9 % at 10 %, 5 % at 5,5 %. Hence the other mode.

Prices including VAT (TTC):

1. A line's amount including VAT is ``quantity x unit price`` rounded half-up to the cent (no line
   discount, no document allowance or charge: the prices are what is paid).
2. Per rate, the total including VAT is the exact sum of those line amounts; its VAT is
   ``TTC x rate / (100 + rate)`` rounded half-up to the cent (``vat_included``) and its taxable
   base is ``TTC - VAT``. Every amount in cents is reached, so the invoice's TTC is exactly the sum
   of its prices.
3. Each line's net amount excluding VAT (EN 16931 BT-131) is derived: the rate's base is split over
   its lines in proportion to their amounts including VAT, in whole cents that add up exactly to the
   base (``allocate``: each line its exact share rounded down, the cents left one each to the largest
   remainders, then the largest line, then the first). The net unit price (BT-146) is the shortest
   price of at most six decimals (the French CIUS, BR-FR-DEC-03) whose quantity x price rounds to
   that net amount (``unit_price_for``); the net amount is the line's amount whatever the price.
4. HT is the sum of the bases, TVA the sum of the per-rate VAT, TTC = HT + TVA exactly.

The VAT of a rate is then within a cent of ``round(base x rate)`` (the error of one rounding, times
1 + rate), where EN 16931 accepts a difference below one euro (BR-CO-17, BR-S-09): every document of
either mode passes the official rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

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


def vat_included(amount: Decimal, rate_percent: Decimal) -> Decimal:
    """The VAT an amount including VAT at ``rate_percent`` % contains, rounded half-up to the cent:
    ``amount x rate / (100 + rate)`` (9,99 at 20 % holds 1,67 of VAT)."""
    return round_money(amount * rate_percent / (Decimal(100) + rate_percent))


def allocate(total: Decimal, weights: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """``total`` (whole cents, not negative) split in proportion to ``weights`` (not negative), in whole
    cents adding up to it exactly.

    Each part is its exact share rounded down to the cent; the cents left over (fewer than there are
    parts) go one each to the largest remainders, ties to the largest weight, then to the first. All
    weights zero: ``total`` must be zero too. Integer arithmetic throughout, so exact at any size.
    """
    cents = _cents(total)
    units = [_cents(w) for w in weights]
    if cents < 0 or any(u < 0 for u in units):
        raise ValueError("allocate splits amounts that are not negative")
    whole = sum(units)
    if whole == 0:
        if cents:
            raise ValueError(f"cannot split {total} over nothing")
        return tuple(ZERO for _ in units)
    parts = [divmod(cents * u, whole) for u in units]
    left = cents - sum(q for q, _ in parts)
    order = sorted(range(len(units)), key=lambda i: (-parts[i][1], -units[i], i))
    shares = [q for q, _ in parts]
    for i in order[:left]:
        shares[i] += 1
    return tuple(Decimal(s).scaleb(-2) for s in shares)


def _cents(amount: Decimal) -> int:
    if round_money(amount) != amount:
        raise ValueError(f"not a whole number of cents: {amount}")
    return int(amount * 100)


def unit_price_for(amount: Decimal, quantity: Decimal, max_places: int = 6) -> Decimal:
    """A unit price whose line amount, ``quantity x price`` rounded half-up to the cent, is ``amount``:
    the shortest of 2, 4 or 6... decimals (up to ``max_places``) that gives it exactly; when none does
    (only for quantities of ten thousand and more), ``amount / quantity`` to ``max_places`` decimals."""
    if quantity <= 0:
        raise ValueError("a unit price needs a positive quantity")
    with localcontext() as context:
        context.prec = 50
        exact = amount / quantity
        price = exact
        for places in range(2, max_places + 1, 2):
            price = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            if round_money(quantity * price) == amount:
                break
    return _trimmed(price)


def _trimmed(price: Decimal) -> Decimal:
    """Trailing zeros past the cents dropped (``8.330000`` -> ``8.33``, ``1.250`` -> ``1.25``)."""
    if price.as_tuple().exponent >= -2:  # type: ignore[operator]
        return price.quantize(CENT)
    normal = price.normalize()
    return normal if normal.as_tuple().exponent < -2 else price.quantize(CENT)  # type: ignore[operator]


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
