"""Late-payment penalties (L441-10): hand-computed cases, the arithmetic written out in comments.

Convention under test: days late = payment date (or the statement date) - due date; interest
= amount incl. VAT x yearly rate / 100 x days / 365, summed over periods of one amount and
one rate, rounded half-up to the cent once. The reference rates below are illustrative test
figures, not the published ones.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.money import round_money
from invoicing.domain.penalties import (
    HalfYear,
    MissingReferenceRate,
    PenaltyPeriod,
    ReferenceRates,
    late_penalties,
    outstanding_schedule,
    penalty_rate,
    receivable_penalties,
)
from invoicing.domain.receivable import Receivable
from invoicing.domain.terms import LatePenalty

D = Decimal
ECB = LatePenalty("ecb+10")
LEGAL = LatePenalty("legal-x3")
RATES = ReferenceRates(
    ecb_refinancing={(2026, 1): D("4.50"), (2026, 2): D("4.25")},
    legal_interest={(2026, 1): D("3.71"), (2026, 2): D("2.76")},
)


def receivable(total: str, issued: date, due: date) -> Receivable:
    return Receivable(
        invoice_id="inv-1",
        number="FA2026-00001",
        is_credit_note=False,
        total=D(total),
        issue_date=issued,
        due_date=due,
    )


# --- the rate ---------------------------------------------------------------------------------------


def test_rate_of_each_kind_for_the_half_year_of_the_day() -> None:
    assert penalty_rate(ECB, date(2026, 6, 30), RATES) == D("14.50")  # 4.50 + 10
    assert penalty_rate(ECB, date(2026, 7, 1), RATES) == D("14.25")  # 4.25 + 10
    assert penalty_rate(LEGAL, date(2026, 1, 1), RATES) == D("11.13")  # 3 x 3.71
    assert penalty_rate(LEGAL, date(2026, 12, 31), RATES) == D("8.28")  # 3 x 2.76
    assert penalty_rate(LatePenalty("fixed", D("12.5")), date(1999, 1, 1)) == D("12.5")  # no table needed


def test_a_missing_half_year_is_refused_by_name() -> None:
    with pytest.raises(
        MissingReferenceRate, match=r"ECB main refinancing rate .* 2027-H1 .*1 January 2027"
    ) as e:
        penalty_rate(ECB, date(2027, 3, 1), RATES)
    assert e.value.half_year == HalfYear(2027, 1)
    assert e.value.which == "ecb"
    with pytest.raises(MissingReferenceRate, match=r"legal interest rate .* 2025-H2 .*1 July 2025"):
        penalty_rate(LEGAL, date(2025, 12, 31), RATES)
    with pytest.raises(MissingReferenceRate, match="2026-H1"):
        penalty_rate(ECB, date(2026, 1, 1))  # no table at all


def test_reference_rates_from_configuration_text() -> None:
    rates = ReferenceRates.parse({"2026-H1": "4.50", "2026-s2": "4.25"}, {"2026-1": "3.71"})
    assert rates.ecb(HalfYear(2026, 2)) == D("4.25")
    assert rates.legal((2026, 1)) == D("3.71")  # a plain tuple is the same key
    assert HalfYear.parse("2026-H2").label == "2026-H2"
    assert HalfYear.parse("2026-H2").start == date(2026, 7, 1)
    for text in ("2026", "2026-H3", "26-H1", "H1-2026"):
        with pytest.raises(ValueError, match="half-year"):
            HalfYear.parse(text)
    with pytest.raises(ValueError, match="half-year"):
        ReferenceRates({(2026, 3): D("1")})
    with pytest.raises(ValueError, match="negative"):
        ReferenceRates({(2026, 1): D("-0.5")})
    with pytest.raises(TypeError, match="float"):
        ReferenceRates({(2026, 1): 4.5})  # type: ignore[dict-item]


# --- hand-computed cases ------------------------------------------------------------------------


def test_thirty_days_late_at_ecb_plus_ten() -> None:
    # Due 10 Jan 2026, stated on 9 Feb 2026: 11..31 Jan (21 days) + 1..9 Feb (9 days) = 30 days.
    # 10,000.00 x 14.50 % (4.50 + 10) x 30 / 365 = 4,350,000 / 36,500 = 119.178... -> 119.18
    s = late_penalties(
        [(date(2026, 1, 1), D("10000.00"))],
        date(2026, 1, 10),
        date(2026, 2, 9),
        ECB,
        RATES,
        business_debtor=True,
    )
    assert s.interest == D("119.18")
    assert s.recovery_fee == D("40.00")
    assert s.total == D("159.18")
    assert s.days_late == 30
    assert s.still_due == D("10000.00")
    assert s.periods == (
        PenaltyPeriod(
            date(2026, 1, 11), date(2026, 2, 9), 30, D("10000.00"), D("14.50"), s.periods[0].interest
        ),
    )
    assert round_money(s.periods[0].interest) == D("119.18")


def test_a_private_debtor_owes_no_recovery_fee() -> None:
    # Same as above: 119.18 of interest, but the 40 EUR fee is for business debtors only.
    s = late_penalties(
        [(date(2026, 1, 1), D("10000.00"))],
        date(2026, 1, 10),
        date(2026, 2, 9),
        ECB,
        RATES,
        business_debtor=False,
    )
    assert (s.interest, s.recovery_fee, s.total) == (D("119.18"), D("0.00"), D("119.18"))


def test_the_rate_changes_with_the_half_year() -> None:
    # Due 15 Jun 2026, stated on 15 Jul 2026.
    # 16..30 Jun: 15 days at 14.50 % (H1: 4.50 + 10); 1..15 Jul: 15 days at 14.25 % (H2: 4.25 + 10).
    # 10,000 x (14.50 x 15 + 14.25 x 15) / 36,500 = 10,000 x 431.25 / 36,500 = 118.150... -> 118.15
    s = late_penalties(
        [(date(2026, 5, 16), D("10000.00"))],
        date(2026, 6, 15),
        date(2026, 7, 15),
        ECB,
        RATES,
        business_debtor=True,
    )
    assert s.interest == D("118.15")
    assert [(p.start, p.end, p.days, p.yearly_rate) for p in s.periods] == [
        (date(2026, 6, 16), date(2026, 6, 30), 15, D("14.50")),
        (date(2026, 7, 1), date(2026, 7, 15), 15, D("14.25")),
    ]
    assert s.total == D("158.15")


def test_a_partial_payment_in_the_middle() -> None:
    # 10,000.00 due 10 Jan 2026; 4,000.00 paid on 25 Jan; stated on 9 Feb.
    # 11..25 Jan (the day of payment is late): 15 days on 10,000; 26 Jan..9 Feb: 6 + 9 = 15 days on 6,000.
    # 14.50 x (10,000 x 15 + 6,000 x 15) / 36,500 = 14.5 x 240,000 / 36,500 = 3,480,000 / 36,500
    # = 95.342... -> 95.34, plus the 40.00 fee.
    r = receivable("10000.00", date(2025, 12, 11), date(2026, 1, 10))
    r = r.record_payment("pay-1", D("4000.00"), date(2026, 1, 25))
    s = receivable_penalties(r, date(2026, 2, 9), ECB, RATES, business_debtor=True)
    assert s.interest == D("95.34")
    assert s.total == D("135.34")
    assert s.still_due == D("6000.00")
    assert [(p.start, p.end, p.days, p.amount) for p in s.periods] == [
        (date(2026, 1, 11), date(2026, 1, 25), 15, D("10000.00")),
        (date(2026, 1, 26), date(2026, 2, 9), 15, D("6000.00")),
    ]


def test_paid_on_the_due_date_owes_nothing() -> None:
    r = receivable("10000.00", date(2025, 12, 11), date(2026, 1, 10))
    paid = r.record_payment("pay-1", D("10000.00"), date(2026, 1, 10))
    s = receivable_penalties(paid, date(2026, 3, 1), ECB, RATES, business_debtor=True)
    assert (s.interest, s.recovery_fee, s.total, s.periods, s.late) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        (),
        False,
    )
    # Not due yet, or due today: nothing either (no rate is even looked up).
    for as_of in (date(2026, 1, 5), date(2026, 1, 10)):
        s = receivable_penalties(r, as_of, ECB, ReferenceRates(), business_debtor=True)
        assert (s.total, s.still_due) == (D("0.00"), D("10000.00"))


def test_paid_one_day_late_owes_a_day_and_the_fee() -> None:
    # Due 10 Jan, paid 11 Jan: 1 day. 10,000 x 14.50 x 1 / 36,500 = 3.972... -> 3.97; + 40.00.
    r = receivable("10000.00", date(2025, 12, 11), date(2026, 1, 10))
    r = r.record_payment("pay-1", D("10000.00"), date(2026, 1, 11))
    s = receivable_penalties(r, date(2026, 6, 30), ECB, RATES, business_debtor=True)
    assert (s.interest, s.recovery_fee, s.days_late, s.still_due) == (D("3.97"), D("40.00"), 1, D("0.00"))


def test_three_times_the_legal_rate() -> None:
    # 5,000.00 due 31 Jan 2026, stated on 1 Apr 2026: 28 (Feb) + 31 (Mar) + 1 = 60 days.
    # Rate 3 x 3.71 = 11.13 %. 5,000 x 11.13 x 60 / 36,500 = 3,339,000 / 36,500 = 91.479... -> 91.48
    s = late_penalties(
        [(date(2026, 1, 1), D("5000.00"))],
        date(2026, 1, 31),
        date(2026, 4, 1),
        LEGAL,
        RATES,
        business_debtor=True,
    )
    assert (s.interest, s.days_late, s.periods[0].yearly_rate) == (D("91.48"), 60, D("11.13"))


def test_a_contractual_rate_needs_no_reference_rate() -> None:
    # 2,400.00 due 20 Jun 2026 at 12.5 % a year, stated on 4 Aug: 10 (21..30 Jun) + 31 (Jul) + 4 = 45 days,
    # one period across the half-year (the rate does not change).
    # 2,400 x 12.5 x 45 / 36,500 = 1,350,000 / 36,500 = 36.986... -> 36.99
    fixed = LatePenalty("fixed", D("12.5"))
    s = late_penalties(
        [(date(2026, 5, 21), D("2400.00"))], date(2026, 6, 20), date(2026, 8, 4), fixed, business_debtor=True
    )
    assert s.interest == D("36.99")
    assert len(s.periods) == 1
    assert s.total == D("76.99")


def test_a_missing_half_year_is_refused_only_when_it_is_needed() -> None:
    only_h1 = ReferenceRates({(2026, 1): D("4.50")})
    schedule = [(date(2026, 5, 1), D("1000.00"))]
    with pytest.raises(MissingReferenceRate, match="2026-H2"):
        late_penalties(schedule, date(2026, 6, 20), date(2026, 7, 1), ECB, only_h1, business_debtor=True)
    # Paid on 25 June: nothing is due in the second half-year, so its rate is not needed.
    # 21..25 Jun: 5 days x 1,000 x 14.50 / 36,500 = 72,500 / 36,500 = 1.986... -> 1.99
    paid = [*schedule, (date(2026, 6, 25), D("0.00"))]
    s = late_penalties(paid, date(2026, 6, 20), date(2026, 9, 1), ECB, only_h1, business_debtor=True)
    assert s.interest == D("1.99")


def test_the_total_is_rounded_once() -> None:
    # 14.60 due 1 Jan 2026 at 10 %; 0.01 paid on 2 Jan; stated on 3 Jan.
    # Day 2 Jan: 14.60 x 10 / 36,500 = 0.004; day 3 Jan: 14.59 x 10 / 36,500 = 0.003997...
    # Rounded once: (146 + 145.9) / 36,500 = 0.007997... -> 0.01 (rounding each period would give 0.00).
    fixed = LatePenalty("fixed", D("10"))
    schedule = [(date(2025, 12, 1), D("14.60")), (date(2026, 1, 2), D("14.59"))]
    s = late_penalties(schedule, date(2026, 1, 1), date(2026, 1, 3), fixed, business_debtor=False)
    assert [round_money(p.interest) for p in s.periods] == [D("0.00"), D("0.00")]
    assert s.interest == D("0.01")


def test_a_leap_year_still_divides_by_365() -> None:
    # 36,500.00 due 28 Feb 2028 at 10 %, stated on 1 Mar 2028: 29 Feb and 1 Mar = 2 days.
    # 36,500 x 10 x 2 / 36,500 = 20.00 (on a 366-day year it would be 19.95).
    fixed = LatePenalty("fixed", D("10"))
    s = late_penalties(
        [(date(2028, 1, 1), D("36500.00"))], date(2028, 2, 28), date(2028, 3, 1), fixed, business_debtor=False
    )
    assert (s.days_late, s.interest) == (2, D("20.00"))


def test_a_cent_late_still_owes_the_recovery_fee() -> None:
    # 0.01 x 14.50 x 1 / 36,500 rounds to 0.00, but the invoice was paid late: the fee is due.
    s = late_penalties(
        [(date(2026, 1, 1), D("0.01"))],
        date(2026, 1, 10),
        date(2026, 1, 11),
        ECB,
        RATES,
        business_debtor=True,
    )
    assert (s.interest, s.recovery_fee) == (D("0.00"), D("40.00"))


def test_a_refund_makes_the_amount_due_again_from_the_next_day() -> None:
    # 1,000.00 due 10 Jan, paid on time on 5 Jan; 1,000.00 refunded on 31 Jan (a chargeback); stated 10 Feb.
    # 1..10 Feb: 10 days x 1,000 x 14.50 / 36,500 = 145,000 / 36,500 = 3.972... -> 3.97
    r = receivable("1000.00", date(2025, 12, 11), date(2026, 1, 10))
    r = r.record_payment("pay-1", D("1000.00"), date(2026, 1, 5)).refund(
        "re-1", "pay-1", D("1000.00"), date(2026, 1, 31)
    )
    s = receivable_penalties(r, date(2026, 2, 10), ECB, RATES, business_debtor=True)
    assert (s.periods[0].start, s.days_late, s.interest, s.total) == (
        date(2026, 2, 1),
        10,
        D("3.97"),
        D("43.97"),
    )


# --- the schedule from a receivable ---------------------------------------------------------------


def test_outstanding_schedule_follows_credits_payments_and_refunds_and_never_goes_negative() -> None:
    r = receivable("1200.00", date(2026, 1, 2), date(2026, 2, 1))
    r = r.credit("AV2026-00001", D("200.00"), date(2026, 1, 10))
    r = r.record_payment("pay-1", D("500.00"), date(2026, 2, 5))
    r = r.record_payment("pay-2", D("600.00"), date(2026, 2, 5))  # 100.00 overpaid
    r = r.refund("re-1", "pay-2", D("100.00"), date(2026, 2, 8))  # back to 0 due
    r = r.refund("re-2", "pay-2", D("300.00"), date(2026, 2, 20))  # 300 due again
    assert outstanding_schedule(r) == (
        (date(2026, 1, 2), D("1200.00")),
        (date(2026, 1, 10), D("1000.00")),
        (date(2026, 2, 5), D("0.00")),
        (date(2026, 2, 8), D("0.00")),
        (date(2026, 2, 20), D("300.00")),
    )


def test_a_credit_note_has_no_penalties() -> None:
    credit_note = Receivable("cn", "AV2026-00001", True, D("10.00"), date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(ValueError, match="credit note"):
        outstanding_schedule(credit_note)


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ([(date(2026, 1, 2), D("1")), (date(2026, 1, 1), D("1"))], "increasing"),
        ([(date(2026, 1, 2), D("1")), (date(2026, 1, 2), D("0"))], "increasing"),
        ([(date(2026, 1, 2), D("-1"))], "negative"),
        ([(date(2026, 1, 2), 1.5)], "Decimal"),
        ([(date(2026, 1, 2), D("NaN"))], "Decimal"),
        ([(datetime(2026, 1, 2), D("1"))], "date"),  # noqa: DTZ001 - refused whatever its zone
    ],
)
def test_bad_schedules_are_refused(schedule: list, error: str) -> None:
    with pytest.raises((ValueError, TypeError), match=error):
        late_penalties(schedule, date(2026, 1, 1), date(2026, 2, 1), ECB, RATES, business_debtor=True)


# --- properties -------------------------------------------------------------------------------------

WIDE_RATES = ReferenceRates(
    {(y, h): D(f"{(y * 7 + h * 3) % 5}.{h}5") for y in range(2025, 2030) for h in (1, 2)},
    {(y, h): D(f"{(y + h) % 4}.{h}1") for y in range(2025, 2030) for h in (1, 2)},
)
ISSUED = date(2026, 1, 5)
cents = st.integers(min_value=1, max_value=2_000_000).map(lambda n: D(n) / 100)
payments = st.lists(st.tuples(st.integers(0, 500), cents), max_size=5)
penalties = st.sampled_from([ECB, LEGAL, LatePenalty("fixed", D("12.5"))])


def _with_payments(total: Decimal, due_in: int, paid: list[tuple[int, Decimal]]) -> Receivable:
    r = receivable(f"{total:.2f}", ISSUED, ISSUED + timedelta(days=due_in))
    for n, (day, amount) in enumerate(paid):
        r = r.record_payment(f"pay-{n}", amount, ISSUED + timedelta(days=day))
    return r


@settings(max_examples=150, deadline=None)
@given(
    cents, st.integers(0, 60), payments, st.integers(0, 600), st.integers(1, 400), penalties, st.booleans()
)
def test_penalties_never_decrease_as_time_passes(
    total, due_in, paid, as_of, later, penalty, business
) -> None:
    r = _with_payments(total, due_in, paid)
    day = ISSUED + timedelta(days=as_of)
    before = receivable_penalties(r, day, penalty, WIDE_RATES, business_debtor=business)
    after = receivable_penalties(
        r, day + timedelta(days=later), penalty, WIDE_RATES, business_debtor=business
    )
    assert after.interest >= before.interest >= 0
    assert after.recovery_fee >= before.recovery_fee >= 0
    assert after.total >= before.total


@settings(max_examples=150, deadline=None)
@given(
    cents, st.integers(0, 60), payments, st.integers(0, 600), st.tuples(st.integers(0, 600), cents), penalties
)
def test_an_extra_payment_never_increases_penalties(total, due_in, paid, as_of, extra, penalty) -> None:
    r = _with_payments(total, due_in, paid)
    more = _with_payments(total, due_in, [*paid, extra])
    day = ISSUED + timedelta(days=as_of)
    assert (
        receivable_penalties(more, day, penalty, WIDE_RATES, business_debtor=True).total
        <= receivable_penalties(r, day, penalty, WIDE_RATES, business_debtor=True).total
    )


@settings(max_examples=100, deadline=None)
@given(cents, st.integers(0, 60), payments, st.integers(0, 600), penalties)
def test_periods_agree_with_a_day_by_day_sum(total, due_in, paid, as_of, penalty) -> None:
    # The oracle walks every day: amount due at the end of the day before x that day's rate / 36,500.
    r = _with_payments(total, due_in, paid)
    day = ISSUED + timedelta(days=as_of)
    s = receivable_penalties(r, day, penalty, WIDE_RATES, business_debtor=True)
    exact, late_days = D(0), 0
    d = r.due_date + timedelta(days=1)
    while d <= day:
        owed = max(r.total - sum((p.amount for p in r.payments if p.on < d), D(0)), D(0))
        if owed:
            exact += owed * penalty_rate(penalty, d, WIDE_RATES)
            late_days += 1
        d += timedelta(days=1)
    assert s.interest == round_money(exact / 36500)
    assert s.days_late == late_days
    assert s.recovery_fee == (D("40.00") if late_days else D("0.00"))
    assert all(p.amount > 0 and p.days == (p.end - p.start).days + 1 for p in s.periods)
