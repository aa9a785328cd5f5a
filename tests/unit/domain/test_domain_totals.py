"""The rounding policy of totals (invoicing.domain.money docstring), checked against the rule itself.

Every expectation is recomputed here with plain ``Decimal`` arithmetic, never with the code under test.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from domain_helpers import std_line

from invoicing.domain.invoice import AllowanceCharge, Discount, Line, compute_totals
from invoicing.domain.vat import EXEMPTIONS, FRENCH_RATES, VatCategory, VatTreatment

CENT = Decimal("0.01")


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def two_places(value: Decimal) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2


def test_vat_is_computed_per_rate_not_per_line() -> None:
    lines = tuple(std_line("0.33") for _ in range(3))
    per_line = sum(half_up(Decimal("0.33") * Decimal("0.20")) for _ in lines)
    per_rate = half_up(Decimal("0.99") * Decimal("0.20"))
    assert (per_line, per_rate) == (Decimal("0.21"), Decimal("0.20"))  # the case really discriminates

    totals = compute_totals(lines)

    assert totals.vat_total == per_rate
    assert totals.breakdown[0].basis == Decimal("0.99")
    assert totals.breakdown[0].amount == per_rate
    assert totals.grand_total == Decimal("1.19")


def test_line_amount_is_rounded_before_summing() -> None:
    # 0.125 + 0.125 = 0.25 exactly, but each line amount is rounded first: 0.13 + 0.13.
    lines = (std_line("0.125"), std_line("0.125"))
    assert compute_totals(lines).tax_basis_total == Decimal("0.26")


def test_rows_of_the_breakdown_are_one_per_category_and_rate() -> None:
    lines = (
        std_line("10", rate="20"),
        std_line("10", rate="5.5"),
        std_line("10", rate="20.0"),  # same rate written differently: same row
        Line("Export", Decimal(1), "u", Decimal(7), VatTreatment.exempt("export")),
        Line("Intracom", Decimal(1), "u", Decimal(3), VatTreatment.exempt("intracom")),
    )
    totals = compute_totals(lines)
    rows = {(b.vat.category, b.vat.rate.normalize()): b for b in totals.breakdown}
    assert set(rows) == {
        (VatCategory.STANDARD, Decimal(20)),
        (VatCategory.STANDARD, Decimal("5.5")),
        (VatCategory.EXPORT, Decimal(0)),
        (VatCategory.INTRA_EU, Decimal(0)),
    }
    assert len(totals.breakdown) == 4
    assert rows[VatCategory.STANDARD, Decimal(20)].basis == Decimal("20.00")
    assert rows[VatCategory.EXPORT, Decimal(0)].amount == 0
    assert totals.vat_total == Decimal("4.00") + half_up(Decimal("0.55"))


def test_document_allowances_and_charges_change_the_base_of_their_vat_category() -> None:
    rate20, rate10 = VatTreatment.standard(Decimal(20)), VatTreatment.standard(Decimal(10))
    lines = (std_line("100.00", rate="20"), std_line("50.00", rate="10"))
    adjustments = (
        AllowanceCharge(False, Decimal("10.00"), "Remise fidélité", rate20, "95"),
        AllowanceCharge(True, Decimal("4.99"), "Port", rate10, "FC"),
    )
    without = compute_totals(lines)
    totals = compute_totals(lines, adjustments)

    bases = {b.vat.rate.normalize(): (b.basis, b.amount) for b in totals.breakdown}
    assert bases[Decimal(20)] == (Decimal("90.00"), half_up(Decimal("90.00") * Decimal("0.2")))
    assert bases[Decimal(10)] == (Decimal("54.99"), half_up(Decimal("54.99") * Decimal("0.1")))
    assert totals.line_total == without.line_total == Decimal("150.00")
    assert totals.allowance_total == Decimal("10.00")
    assert totals.charge_total == Decimal("4.99")
    assert totals.tax_basis_total == Decimal("144.99")
    assert totals.vat_total == Decimal("18.00") + Decimal("5.50")
    assert totals.grand_total == totals.tax_basis_total + totals.vat_total


def test_a_charge_in_a_category_without_lines_gets_its_own_row() -> None:
    charge = AllowanceCharge(True, Decimal("12.00"), "Emballage", VatTreatment.standard(Decimal("5.5")))
    totals = compute_totals((std_line("100"),), (charge,))
    rows = {b.vat.rate.normalize(): b for b in totals.breakdown}
    assert rows[Decimal("5.5")].basis == Decimal("12.00")
    assert rows[Decimal("5.5")].amount == half_up(Decimal("12.00") * Decimal("0.055"))


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.005"])
def test_allowance_charge_amount_is_positive_and_in_cents(amount: str) -> None:
    with pytest.raises(ValueError, match="positive, in cents"):
        AllowanceCharge(True, Decimal(amount), "Port", VatTreatment.standard(Decimal(20)))


def test_totals_keep_two_places_whatever_the_exponent_of_an_adjustment() -> None:
    charge = AllowanceCharge(True, Decimal("10.000"), "Port", VatTreatment.standard(Decimal(20)))
    totals = compute_totals((std_line("100"),), (charge,))
    assert totals.tax_basis_total == Decimal("110.00")
    assert all(
        two_places(v)
        for v in (totals.charge_total, totals.tax_basis_total, totals.vat_total, totals.grand_total)
    )


# --- randomized check of the whole policy ---------------------------------------------------------

TREATMENTS = [VatTreatment.standard(rate) for rate in FRENCH_RATES] + [
    VatTreatment.exempt(key) for key in EXEMPTIONS
]


def _random_line(rng: random.Random) -> Line:
    quantity = Decimal(rng.randint(1, 2_000_000)).scaleb(-4)  # 0.0001 .. 200, up to 4 decimals
    price = Decimal(rng.choice([rng.randint(0, 1_000), rng.randint(0, 5_000_000_000)])).scaleb(-6)
    gross = half_up(quantity * price)
    discount = None
    kind = rng.random()
    if kind < 0.2:
        discount = Discount(percent=Decimal(rng.randint(0, 10_000)).scaleb(-2))
    elif kind < 0.35:
        discount = Discount(amount=Decimal(rng.randint(0, int(gross * 100))).scaleb(-2))
    return Line("x", quantity, "u", price, rng.choice(TREATMENTS), discount=discount)


def _expected_net(line: Line) -> Decimal:
    gross = half_up(line.quantity * line.unit_price)
    if line.discount is None:
        return gross
    if line.discount.percent is not None:
        return gross - half_up(gross * line.discount.percent / 100)
    assert line.discount.amount is not None
    return gross - half_up(line.discount.amount)


def test_rounding_policy_holds_on_random_invoices() -> None:
    rng = random.Random(20261123)
    for _ in range(2000):
        lines = tuple(_random_line(rng) for _ in range(rng.randint(1, 8)))
        adjustments = tuple(
            AllowanceCharge(
                rng.random() < 0.5,
                Decimal(rng.randint(1, 5_000)).scaleb(-2),
                "ajustement",
                rng.choice([line.vat for line in lines]),
            )
            for _ in range(rng.choice([0, 0, 1, 2]))
        )
        totals = compute_totals(lines, adjustments)

        nets = [_expected_net(line) for line in lines]
        charges = sum((a.amount for a in adjustments if a.is_charge), Decimal(0))
        allowances = sum((a.amount for a in adjustments if not a.is_charge), Decimal(0))
        bases: dict[tuple[VatCategory, Decimal], Decimal] = {}
        for line, net in zip(lines, nets, strict=True):
            key = (line.vat.category, line.vat.rate)
            bases[key] = bases.get(key, Decimal(0)) + net
        for adj in adjustments:
            key = (adj.vat.category, adj.vat.rate)
            bases[key] = bases.get(key, Decimal(0)) + (adj.amount if adj.is_charge else -adj.amount)
        expected_vat = {key: half_up(basis * key[1] / 100) for key, basis in bases.items()}

        context = (lines, adjustments, totals)
        assert [line.net_amount for line in lines] == nets, context
        assert totals.line_total == sum(nets), context
        assert totals.tax_basis_total == sum(nets) + charges - allowances, context
        assert totals.tax_basis_total + totals.vat_total == totals.grand_total, context
        assert totals.vat_total == sum(expected_vat.values()), context
        got = {(b.vat.category, b.vat.rate): (b.basis, b.amount) for b in totals.breakdown}
        assert len(got) == len(totals.breakdown), context  # one row per category and rate
        assert got == {key: (bases[key], expected_vat[key]) for key in bases}, context
        amounts = [
            totals.line_total,
            totals.allowance_total,
            totals.charge_total,
            totals.tax_basis_total,
            totals.vat_total,
            totals.grand_total,
            *(b.basis for b in totals.breakdown),
            *(b.amount for b in totals.breakdown),
            *(line.net_amount for line in lines),
        ]
        assert all(two_places(value) for value in amounts), context
