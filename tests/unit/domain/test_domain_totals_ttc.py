"""Prices including VAT (``Draft.prices_include_vat``): the rounding policy of ``invoicing.domain.money``.

Per rate, VAT = round_half_up(TTC x rate / (100 + rate)), base = TTC - VAT, the base split over the
rate's lines in whole cents. Expectations are recomputed here with plain ``Decimal`` and integer
arithmetic, never with the code under test.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from domain_helpers import draft_for, std_line
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.codec import draft_from_dict, draft_to_dict, invoice_from_dict, invoice_to_dict
from invoicing.domain.invoice import (
    AllowanceCharge,
    CreditedLine,
    Discount,
    DocumentType,
    Line,
    LineAmounts,
    Source,
    compute_totals,
    credit_note_draft,
    issue,
)
from invoicing.domain.money import allocate, unit_price_for, vat_included
from invoicing.domain.parties import Client, Seller
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import FRENCH_RATES, VatTreatment

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ttc_line(price: str | Decimal, quantity: str | int = 1, rate: str | Decimal = "20") -> Line:
    return Line("Article", Decimal(quantity), "u", Decimal(price), VatTreatment.standard(Decimal(rate)))


def ttc(*lines: Line):  # type: ignore[no-untyped-def]
    return compute_totals(lines, prices_include_vat=True)


def two_places(value: Decimal) -> bool:
    return value.as_tuple().exponent == -2


def xpath_round(value: Decimal) -> Decimal:
    """XPath's ``round()``: half towards positive infinity, what the schematrons compute with."""
    return (value + Decimal("0.5")).to_integral_value(rounding="ROUND_FLOOR")


def schematron_accepts(basis: Decimal, vat: Decimal, rate: Decimal) -> bool:
    """BR-CO-17 and BR-S-09 of the EN 16931 CII schematron, as written in its XSLT:
    ``|VAT| - 1 <= round(|base| x rate / 100 x 100) div 100 <= |VAT| + 1`` (BR-CO-17) and the same with
    strict inequalities, ``round(|base| x rate) div 100`` (BR-S-09): a tolerance of one unit of currency."""
    computed = xpath_round(abs(basis) * rate) / HUNDRED
    return abs(vat) - 1 < computed < abs(vat) + 1


# --- the rule, on one line ---------------------------------------------------------------------------


def test_nine_ninety_nine_is_invoiced_at_twenty_percent() -> None:
    """The total HT + round(HT x 20 %) cannot reach: 8,32 gives 9,98 and 8,33 gives 10,00."""
    assert compute_totals((std_line("8.32"),)).grand_total == Decimal("9.98")
    assert compute_totals((std_line("8.33"),)).grand_total == Decimal("10.00")
    totals = ttc(ttc_line("9.99"))
    assert (totals.tax_basis_total, totals.vat_total, totals.grand_total) == (
        Decimal("8.32"),
        Decimal("1.67"),
        Decimal("9.99"),
    )
    assert totals.lines == (LineAmounts(Decimal("8.32"), Decimal("8.32")),)
    assert totals.line_total == totals.tax_basis_total
    assert (totals.allowance_total, totals.charge_total) == (Decimal("0.00"), Decimal("0.00"))
    [row] = totals.breakdown
    assert (row.vat.rate, row.basis, row.amount) == (Decimal(20), Decimal("8.32"), Decimal("1.67"))


@pytest.mark.parametrize("rate", FRENCH_RATES)
def test_every_amount_in_cents_is_reached_at_every_rate(rate: Decimal) -> None:
    """Every cent value from 0,01 € to 20,00 €: longer than the period of the rounding pattern at each
    rate (100 + rate cents x 10 at 5,5 % and 2,1 %), so every case the rule can meet is here."""
    unreachable_before = 0
    for cents in range(1, 2001):
        paid = Decimal(cents) / HUNDRED
        totals = ttc(ttc_line(paid, rate=rate))
        vat = half_up(paid * rate / (HUNDRED + rate))
        assert (totals.grand_total, totals.vat_total, totals.tax_basis_total) == (paid, vat, paid - vat)
        assert all(two_places(v) for v in (totals.grand_total, totals.vat_total, totals.tax_basis_total))
        # Within a cent of what the rule of prices excluding VAT gives on that base, and well inside
        # what EN 16931 accepts.
        assert abs(vat - half_up(totals.tax_basis_total * rate / HUNDRED)) <= CENT
        assert schematron_accepts(totals.tax_basis_total, vat, rate)
        base = paid * HUNDRED / (HUNDRED + rate)
        reachable = {
            b + half_up(b * rate / HUNDRED)
            for b in (half_up(base) - CENT, half_up(base), half_up(base) + CENT)
        }
        unreachable_before += paid not in reachable
    # What prices excluding VAT could not invoice, of these 2 000 amounts: one in six at 20 %, 9 % at
    # 10 %, 5 % at 5,5 %, 2 % at 2,1 %. Every one of them is invoiced now.
    assert (
        unreachable_before
        == {Decimal(20): 333, Decimal(10): 182, Decimal("5.5"): 104, Decimal("2.1"): 41}[rate]
    )


# --- several lines per rate -------------------------------------------------------------------------


def test_the_base_is_split_over_the_lines_in_whole_cents() -> None:
    """Two 9,99 € articles: 19,98 TTC, 3,33 of VAT, 16,65 HT; 8,325 each, the odd cent to the first."""
    totals = ttc(ttc_line("9.99"), ttc_line("9.99"))
    assert totals.vat_total == Decimal("3.33")
    assert [a.net_amount for a in totals.lines] == [Decimal("8.33"), Decimal("8.32")]


def test_the_odd_cents_go_to_the_largest_remainders_then_the_largest_line() -> None:
    """30,00 + 10,00 at 20 %: 33,33 HT split 24,9975 / 8,3325: 25,00 and 8,33."""
    totals = ttc(ttc_line("10", 3), ttc_line("1.4286", 7))
    assert totals.lines == (
        LineAmounts(Decimal("8.3333"), Decimal("25.00")),  # 3 x 8,3333 = 24,9999 -> 25,00
        LineAmounts(Decimal("1.19"), Decimal("8.33")),
    )
    # 0,03 + 0,09: 0,10 HT, shares 0,025 and 0,075, equal remainders: the cent to the larger line.
    tied = ttc(ttc_line("0.03"), ttc_line("0.09"))
    assert tied.tax_basis_total == Decimal("0.10")
    assert [a.net_amount for a in tied.lines] == [Decimal("0.02"), Decimal("0.08")]


def test_rates_are_kept_apart_and_ordered_like_prices_excluding_vat() -> None:
    totals = ttc(ttc_line("4.99", 3, "5.5"), ttc_line("9.99"), ttc_line("4.90"), ttc_line("1.20", 2, "2.1"))
    assert [b.vat.rate for b in totals.breakdown] == [Decimal(20), Decimal("5.5"), Decimal("2.1")]
    rows = {b.vat.rate: (b.basis, b.amount) for b in totals.breakdown}
    assert rows == {
        Decimal(20): (Decimal("12.41"), Decimal("2.48")),  # 14,89 TTC
        Decimal("5.5"): (Decimal("14.19"), Decimal("0.78")),  # 14,97 TTC
        Decimal("2.1"): (Decimal("2.35"), Decimal("0.05")),  # 2,40 TTC
    }
    assert totals.grand_total == Decimal("32.26")


def test_lines_without_vat_keep_their_amount() -> None:
    exempt = Line("Export", Decimal(2), "u", Decimal("12.50"), VatTreatment.exempt("export"))
    totals = ttc(exempt, ttc_line("9.99"))
    assert totals.lines[0] == LineAmounts(Decimal("12.50"), Decimal("25.00"))
    assert totals.grand_total == Decimal("34.99")
    assert [(b.basis, b.amount) for b in totals.breakdown] == [
        (Decimal("8.32"), Decimal("1.67")),
        (Decimal("25.00"), Decimal("0.00")),
    ]


def test_a_free_line_stays_free() -> None:
    totals = ttc(ttc_line("0"), ttc_line("0.01"), ttc_line("0", 3))
    assert [a.net_amount for a in totals.lines] == [Decimal("0.00"), Decimal("0.01"), Decimal("0.00")]
    assert totals.grand_total == Decimal("0.01")


@st.composite
def sales(draw: st.DrawFn) -> tuple[Line, ...]:
    """1 to 4 French rates, 1 to 6 lines each (quantities 1 to 40, or a fraction), a total from 0,50 €
    to 10 000 € split over the lines at random."""
    rates = draw(st.lists(st.sampled_from(FRENCH_RATES), min_size=1, max_size=4, unique=True))
    count = sum(draw(st.lists(st.integers(1, 6), min_size=len(rates), max_size=len(rates))))
    total = draw(st.integers(50, 1_000_000))
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=count - 1, max_size=count - 1)))
    amounts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    lines = []
    for cents in amounts:
        quantity = draw(st.sampled_from([Decimal(1), Decimal(2), Decimal(3), Decimal(7), Decimal("2.5")]))
        quantity = draw(st.one_of(st.just(quantity), st.integers(1, 40).map(Decimal)))
        price = unit_price_for(Decimal(cents) / HUNDRED, quantity, 12)
        lines.append(ttc_line(price, quantity, draw(st.sampled_from(rates))))
    return tuple(lines)


@settings(max_examples=80, deadline=None)
@given(lines=sales())
def test_the_total_is_what_the_prices_add_up_to(lines: tuple[Line, ...]) -> None:
    totals = ttc(*lines)
    paid = sum((half_up(line.quantity * line.unit_price) for line in lines), Decimal(0))
    assert totals.grand_total == paid
    assert totals.tax_basis_total + totals.vat_total == totals.grand_total
    assert totals.line_total == totals.tax_basis_total == sum(a.net_amount for a in totals.lines)
    for row in totals.breakdown:
        positions = [i for i, line in enumerate(lines) if line.vat.key == row.vat.key]
        rate_paid = sum(half_up(lines[i].quantity * lines[i].unit_price) for i in positions)
        assert row.amount == half_up(rate_paid * row.vat.rate / (HUNDRED + row.vat.rate))
        assert row.basis == rate_paid - row.amount
        assert sum(totals.lines[i].net_amount for i in positions) == row.basis  # BR-S-08, exactly
        assert schematron_accepts(row.basis, row.amount, row.vat.rate)  # BR-CO-17, BR-S-09
        for i in positions:  # each line within a cent of its exact share of the base
            exact = (
                half_up(lines[i].quantity * lines[i].unit_price) * row.basis / rate_paid if rate_paid else 0
            )
            assert abs(totals.lines[i].net_amount - exact) < CENT
    for line, amounts in zip(lines, totals.lines, strict=True):
        assert two_places(amounts.net_amount)
        assert amounts.net_amount >= 0
        # BT-146: at most six decimals (BR-FR-DEC-03), and quantity x price is the net amount.
        assert -amounts.unit_price.as_tuple().exponent <= 6  # type: ignore[operator]
        assert half_up(line.quantity * amounts.unit_price) == amounts.net_amount
    assert ttc(*lines) == totals  # deterministic


# --- the helpers ---------------------------------------------------------------------------------------


def test_vat_included_rounds_half_up() -> None:
    assert vat_included(Decimal("9.99"), Decimal(20)) == Decimal("1.67")  # 1,665
    assert vat_included(Decimal("1.06"), Decimal(6)) == Decimal("0.06")  # 0,06 exactly
    assert vat_included(Decimal("10.00"), Decimal(0)) == Decimal("0.00")


@settings(max_examples=100, deadline=None)
@given(
    total=st.integers(0, 10**9),
    weights=st.lists(st.integers(0, 10**8), min_size=1, max_size=30),
)
def test_allocate_adds_up_and_rounds_each_share_down_or_up(total: int, weights: list[int]) -> None:
    if not any(weights):
        total = 0
    parts = allocate(Decimal(total) / HUNDRED, [Decimal(w) / HUNDRED for w in weights])
    assert sum(parts) == Decimal(total) / HUNDRED
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        floor = total * weight // whole if whole else 0
        assert int(part * 100) in (floor, floor + 1)


def test_allocate_refuses_what_it_cannot_split() -> None:
    with pytest.raises(ValueError, match="over nothing"):
        allocate(Decimal("1.00"), [Decimal(0), Decimal(0)])
    with pytest.raises(ValueError, match="whole number of cents"):
        allocate(Decimal("1.001"), [Decimal(1)])
    with pytest.raises(ValueError, match="not negative"):
        allocate(Decimal("1.00"), [Decimal(-1), Decimal(2)])


@pytest.mark.parametrize(
    ("amount", "quantity", "price"),
    [
        ("8.32", "1", "8.32"),
        ("25.00", "3", "8.3333"),
        ("8.33", "7", "1.19"),
        ("16.67", "2", "8.335"),
        ("0.00", "3", "0.00"),
        ("100.00", "4", "25.00"),
        ("10.00", "0.3", "33.33"),
    ],
)
def test_unit_price_for_is_the_shortest_that_gives_the_amount(amount: str, quantity: str, price: str) -> None:
    found = unit_price_for(Decimal(amount), Decimal(quantity))
    assert str(found) == price
    assert half_up(Decimal(quantity) * found) == Decimal(amount)


def test_unit_price_for_stops_at_six_decimals() -> None:
    """No price of six decimals gives 0,01 for 30 001 units: the nearest is kept (the amount stays
    the line's: BT-131 is stated, never recomputed)."""
    assert unit_price_for(Decimal("0.01"), Decimal(30001)) == Decimal("0.000000")
    assert unit_price_for(Decimal("100.01"), Decimal(30001)) == Decimal("0.003334")


# --- the draft, its record, its credit note -------------------------------------------------------------


def test_prices_including_vat_take_no_discount_and_no_document_allowance(person: Client) -> None:
    with pytest.raises(ValueError, match="discount"):
        draft_for(person, std_line("10", discount=Discount(percent=Decimal(10))), prices_include_vat=True)
    shipping = AllowanceCharge(True, Decimal("4.90"), "Livraison", VatTreatment.standard("20"))
    with pytest.raises(ValueError, match="allowance or charge"):
        draft_for(person, std_line("10"), adjustments=(shipping,), prices_include_vat=True)


def test_a_draft_priced_including_vat(person: Client) -> None:
    lines = (ttc_line("9.99"), ttc_line("4.99", 3, "5.5"))
    including = draft_for(person, *lines, prices_include_vat=True)
    excluding = draft_for(person, *lines)
    assert including.totals() == ttc(*lines)
    assert including.totals().grand_total == Decimal("24.96")
    assert excluding.totals() == compute_totals(lines)
    assert excluding.totals().grand_total == Decimal("27.78")  # the same prices, read as HT


def test_prices_excluding_vat_state_each_lines_own_price_and_amount(person: Client) -> None:
    lines = (std_line("1234.5", "2.5", discount=Discount(percent=Decimal(10))), std_line("0.012345", "1200"))
    totals = draft_for(person, *lines).totals()
    assert totals.lines == tuple(LineAmounts(line.unit_price, line.net_amount) for line in lines)


def _issued(seller: Seller, client: Client):  # type: ignore[no-untyped-def]
    draft = draft_for(
        client,
        ttc_line("9.99"),
        ttc_line("9.99"),
        ttc_line("4.99", 3, "5.5"),
        prices_include_vat=True,
        source=Source("incoming/stripe/sale.json", "ab" * 32, "sale"),
    )
    return issue(
        draft,
        seller=seller,
        number="FA2026-00042",
        issue_date=date(2026, 11, 26),
        default_terms=PaymentTerms(0),
    )


def test_the_record_says_so_only_when_prices_include_vat(seller: Seller, person: Client) -> None:
    invoice = _issued(seller, person)
    record = invoice_to_dict(invoice)
    assert record["draft"]["prices_include_vat"] is True
    # 19,98 at 20 % (3,33 of VAT) and 14,97 at 5,5 % (0,78).
    assert record["totals"] == {"tax_basis_total": "30.84", "vat_total": "4.11", "grand_total": "34.95"}
    back = invoice_from_dict(record)
    assert back == invoice
    assert back.totals.lines == invoice.totals.lines
    # A record priced excluding VAT is written as before, and a record without the key (every record
    # stored until now) reads as prices excluding VAT.
    plain = dataclasses.replace(invoice.draft, prices_include_vat=False)
    assert "prices_include_vat" not in draft_to_dict(plain)
    assert draft_from_dict(draft_to_dict(plain)).prices_include_vat is False
    # The flag changes the totals, so a record edited to drop it no longer matches its stored totals.
    del record["draft"]["prices_include_vat"]
    with pytest.raises(ValueError, match="do not match"):
        invoice_from_dict(record)
    record["draft"]["prices_include_vat"] = "yes"
    with pytest.raises(ValueError, match="true or false"):
        invoice_from_dict(record)


def test_a_credit_note_credits_at_the_prices_invoiced(seller: Seller, person: Client) -> None:
    invoice = _issued(seller, person)
    source = Source("operator/credit-notes/FA2026-00042", "cd" * 32, "credit-note")
    full = credit_note_draft(invoice, reason="Retour", source=source)
    assert full.document_type is DocumentType.CREDIT_NOTE
    assert full.prices_include_vat
    assert full.totals().grand_total == invoice.totals.grand_total
    assert full.totals().breakdown == invoice.totals.breakdown
    one = credit_note_draft(invoice, reason="Retour", source=source, lines=(CreditedLine(3, Decimal(1)),))
    assert one.totals().grand_total == Decimal("4.99")
    assert [(b.basis, b.amount) for b in one.totals().breakdown] == [(Decimal("4.73"), Decimal("0.26"))]
