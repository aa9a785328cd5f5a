"""Late-payment penalties (Code de commerce L441-10 and D441-5), computed to a date.

What the law says, and how it is applied here:

- Penalties run **from the day after the due date**, without any notice, on the amount
  **incl. VAT still due**, at the rate the seller states (``LatePenalty``, on the seller):

  - ``ecb+10``: the ECB main refinancing rate plus 10 points. The rate of each half-year is
    the one in force on 1 January (first half-year) or on 1 July (second half-year);
  - ``legal-x3``: three times the legal interest rate (taux d'intérêt légal) of the
    half-year, the rate published for creditors who are *not* private persons (the creditor
    here is always the business);
  - ``fixed``: a contractual yearly rate.

  The reference rates are configuration (``ReferenceRates``, supplied by the stack). A
  half-year that is needed and missing is refused with ``MissingReferenceRate`` naming it:
  a penalty is never computed on a guessed rate.
- A fixed **recovery fee** of 40 EUR (``RECOVERY_FEE_EUR``) is owed once per invoice paid late,
  only by a business debtor (never by a private consumer).
- Penalties are stated in reminders and formal notices; they are **never added to the
  invoice** (nothing here changes a receivable).

The outstanding schedule: ``(on, amount)`` entries, each saying "at the end of day ``on``,
``amount`` incl. VAT was still due" (after that day's payments, refunds and credit notes).
Before the first entry nothing was due. Interest for day ``d`` is owed on the amount still
due at the end of day ``d - 1``, so the day of payment is a day late: days late = payment
date - due date (paid on the due date: 0 days, nothing owed, no fee).

Day count: **simple interest on a fixed 365-day year, leap years included** -- for each
late day, ``amount x yearly rate / 100 / 365``. It is the formula the French administration
publishes for commercial late-payment penalties (amount incl. VAT x rate x days late / 365);
the rates are yearly rates, and dividing by 365 in a leap year too never claims more than
the rate stated (actual/366 would ask 1/366 less per day in a leap year; the difference is
at most 0.3 % of the penalty, and the choice is ``DAY_COUNT_BASIS``, one constant).

Rounding policy: each period's interest (``PenaltyPeriod.interest``) is kept unrounded,
the total is the exact sum of ``amount x rate x days`` over the periods divided once by
``100 x 365`` and **rounded half-up to the cent once, at the end** (``round_money``).
Summing rounded periods would make the total depend on how the days were split (a partial
payment, a half-year boundary); rounding once does not.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, Inexact, localcontext
from itertools import pairwise
from types import MappingProxyType
from typing import NamedTuple

from invoicing.domain.money import ZERO, round_money, to_decimal
from invoicing.domain.receivable import Receivable
from invoicing.domain.terms import RECOVERY_FEE_EUR, LatePenalty

#: Days in the year the yearly rate is divided by, every year (leap years included).
DAY_COUNT_BASIS = 365
#: Points added to the ECB main refinancing rate by default (L441-10).
ECB_MARGIN_POINTS = Decimal(10)
#: Multiple of the legal interest rate (L441-10: the floor of any agreed rate).
LEGAL_RATE_MULTIPLE = Decimal(3)

_HUNDRED = Decimal(100)
_DIVISOR = _HUNDRED * DAY_COUNT_BASIS


class HalfYear(NamedTuple):
    """A half-year: ``half`` 1 is January-June, 2 is July-December. Equal to the plain tuple
    ``(year, half)``, so ``{(2026, 1): ...}`` works as a key."""

    year: int
    half: int

    @classmethod
    def of(cls, day: date) -> HalfYear:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def parse(cls, text: str) -> HalfYear:
        """Read ``2026-H1``, ``2026-S2`` (semestre) or ``2026-1``."""
        cleaned = text.strip().upper().replace(" ", "")
        year, sep, half = cleaned.partition("-")
        half = half.removeprefix("H").removeprefix("S")
        if not (sep and year.isdigit() and len(year) == 4 and half in ("1", "2")):
            raise ValueError(f"a half-year is written like 2026-H1 or 2026-H2, not {text!r}")
        return cls(int(year), int(half))

    @property
    def start(self) -> date:
        """The day whose rate in force applies to the whole half-year (1 January or 1 July)."""
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def label(self) -> str:
        return f"{self.year}-H{self.half}"

    def next(self) -> HalfYear:
        return HalfYear(self.year, 2) if self.half == 1 else HalfYear(self.year + 1, 1)


class MissingReferenceRate(ValueError):
    """A reference rate the computation needs is not configured. ``which`` is ``ecb`` or
    ``legal``; ``half_year`` the half-year missing."""

    def __init__(self, which: str, half_year: HalfYear) -> None:
        name = (
            "ECB main refinancing rate" if which == "ecb" else "legal interest rate (professional creditor)"
        )
        day = half_year.start
        super().__init__(
            f"no {name} is configured for {half_year.label} (the rate in force on "
            f"{day.day} {'January' if day.month == 1 else 'July'} {day.year}); add it to the stack's "
            "reference rates: late-payment penalties are never computed on a guessed rate"
        )
        self.which = which
        self.half_year = half_year


RateTable = Mapping[HalfYear, Decimal]


def _rate_table(
    rates: Mapping[HalfYear, Decimal] | Mapping[tuple[int, int], Decimal], what: str
) -> RateTable:
    table: dict[HalfYear, Decimal] = {}
    for key, value in rates.items():
        year, half = key
        if not (isinstance(year, int) and isinstance(half, int) and half in (1, 2) and 1 <= year <= 9999):
            raise ValueError(f"{what}: {key!r} is not a half-year (year, 1 or 2)")
        rate = to_decimal(value)
        if rate < 0:
            raise ValueError(f"{what} for {HalfYear(year, half).label} cannot be negative ({rate})")
        table[HalfYear(year, half)] = rate
    return MappingProxyType(table)


@dataclass(frozen=True, slots=True)
class ReferenceRates:
    """The published reference rates per half-year, in yearly percent (``Decimal("4.50")`` is
    4.50 %): the ECB main refinancing rate in force on 1 January / 1 July, and the French legal
    interest rate for creditors other than private persons. Configuration, never guessed."""

    ecb_refinancing: RateTable = field(default_factory=dict)
    legal_interest: RateTable = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ecb_refinancing", _rate_table(self.ecb_refinancing, "ECB refinancing rate"))
        object.__setattr__(self, "legal_interest", _rate_table(self.legal_interest, "legal interest rate"))

    @classmethod
    def parse(
        cls, ecb_refinancing: Mapping[str, str] | None = None, legal_interest: Mapping[str, str] | None = None
    ) -> ReferenceRates:
        """From configuration text: ``{"2026-H1": "2.15", "2026-H2": "2.15"}`` (floats refused)."""
        return cls(
            {HalfYear.parse(k): to_decimal(v) for k, v in (ecb_refinancing or {}).items()},
            {HalfYear.parse(k): to_decimal(v) for k, v in (legal_interest or {}).items()},
        )

    def ecb(self, half_year: HalfYear) -> Decimal:
        try:
            return self.ecb_refinancing[half_year]
        except KeyError:
            raise MissingReferenceRate("ecb", half_year) from None

    def legal(self, half_year: HalfYear) -> Decimal:
        try:
            return self.legal_interest[half_year]
        except KeyError:
            raise MissingReferenceRate("legal", half_year) from None


def penalty_rate(penalty: LatePenalty, on: date, rates: ReferenceRates | None = None) -> Decimal:
    """The yearly penalty rate in percent applying on day ``on`` (for its half-year).

    ``rates`` may be omitted for a contractual (``fixed``) rate; the other kinds raise
    ``MissingReferenceRate`` when the half-year of ``on`` is not configured."""
    if penalty.kind == "fixed":
        assert penalty.rate is not None  # LatePenalty guarantees it
        return penalty.rate
    half_year = HalfYear.of(on)
    table = rates or ReferenceRates()
    if penalty.kind == "ecb+10":
        return table.ecb(half_year) + ECB_MARGIN_POINTS
    if penalty.kind == "legal-x3":
        return table.legal(half_year) * LEGAL_RATE_MULTIPLE
    raise ValueError(f"unknown late penalty kind {penalty.kind!r}")  # pragma: no cover - LatePenalty refuses


@dataclass(frozen=True, slots=True)
class PenaltyPeriod:
    """Consecutive late days (``start`` to ``end`` inclusive) with one amount due and one rate.
    ``interest`` is ``amount x yearly_rate / 100 x days / 365``, unrounded."""

    start: date
    end: date
    days: int
    amount: Decimal
    yearly_rate: Decimal
    interest: Decimal


@dataclass(frozen=True, slots=True)
class PenaltyStatement:
    """The late-payment penalties of one invoice computed to ``as_of`` (inclusive)."""

    due_date: date
    as_of: date
    penalty: LatePenalty
    #: The late days on which something was due, split where the amount or the rate changes.
    periods: tuple[PenaltyPeriod, ...]
    #: Interest, summed exactly over the periods and rounded half-up to the cent once.
    interest: Decimal
    #: ``RECOVERY_FEE_EUR`` (to the cent) when a business debtor paid or pays late, else 0.00.
    recovery_fee: Decimal
    #: Incl. VAT, still due at the end of ``as_of``.
    still_due: Decimal

    @property
    def total(self) -> Decimal:
        return self.interest + self.recovery_fee

    @property
    def late(self) -> bool:
        """Whether anything was due after the due date (up to ``as_of``)."""
        return bool(self.periods)

    @property
    def days_late(self) -> int:
        """The number of days on which an amount was overdue."""
        return sum(p.days for p in self.periods)


Schedule = Sequence[tuple[date, Decimal]]


def late_penalties(
    outstanding: Schedule,
    due_date: date,
    as_of: date,
    penalty: LatePenalty,
    rates: ReferenceRates | None = None,
    *,
    business_debtor: bool,
) -> PenaltyStatement:
    """The penalties owed on ``as_of`` (inclusive) for an invoice due on ``due_date``.

    ``outstanding``: ``(on, amount)`` entries in strictly increasing date order, each the
    amount incl. VAT still due at the end of day ``on`` (see the module docstring; build it
    from a receivable with ``outstanding_schedule``). Nothing is owed when ``as_of`` is not
    after the due date or nothing was due on any late day."""
    for name, value in (("due_date", due_date), ("as_of", as_of)):
        if isinstance(value, datetime) or not isinstance(value, date):
            raise TypeError(f"{name} must be a date, not {type(value).__name__}")
    if as_of >= date.max:
        raise ValueError(f"penalties cannot be stated on {as_of}")
    days, amounts = _checked(outstanding)

    def due_at_end_of(day: date) -> Decimal:
        index = bisect_left(days, day + timedelta(days=1)) - 1  # last entry dated on or before ``day``
        return amounts[index] if index >= 0 else ZERO

    first_late = due_date + timedelta(days=1)
    periods: list[PenaltyPeriod] = []
    if as_of >= first_late:
        cuts = {first_late, as_of + timedelta(days=1)}
        cuts.update(on + timedelta(days=1) for on in days if first_late <= on < as_of)
        if penalty.kind != "fixed":
            cuts.update(_half_year_starts(first_late, as_of))
        for start, stop in pairwise(sorted(cuts)):
            amount = due_at_end_of(start - timedelta(days=1))
            if amount == 0:
                continue
            rate = penalty_rate(penalty, start, rates)
            last = periods[-1] if periods else None
            if (
                last
                and last.end + timedelta(days=1) == start
                and (last.amount, last.yearly_rate) == (amount, rate)
            ):
                periods[-1] = _period(last.start, stop, amount, rate)  # a cut that changed nothing
            else:
                periods.append(_period(start, stop, amount, rate))
    with localcontext() as ctx:
        ctx.prec = 60
        exact = sum((_numerator(p.amount, p.yearly_rate, p.days) for p in periods), Decimal(0))
        interest = round_money(exact / _DIVISOR)
    fee = round_money(RECOVERY_FEE_EUR) if periods and business_debtor else round_money(ZERO)
    return PenaltyStatement(
        due_date=due_date,
        as_of=as_of,
        penalty=penalty,
        periods=tuple(periods),
        interest=interest,
        recovery_fee=fee,
        still_due=round_money(due_at_end_of(as_of)),
    )


def _period(start: date, stop: date, amount: Decimal, rate: Decimal) -> PenaltyPeriod:
    """The days from ``start`` to the day before ``stop``."""
    days = (stop - start).days
    interest = _numerator(amount, rate, days) / _DIVISOR
    return PenaltyPeriod(start, stop - timedelta(days=1), days, amount, rate, interest)


def _numerator(amount: Decimal, rate: Decimal, days: int) -> Decimal:
    """``amount x rate x days``, exactly (refused rather than rounded if it cannot be)."""
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.traps[Inexact] = True
        return amount * rate * days


def _half_year_starts(first: date, last: date) -> Iterable[date]:
    """1 January and 1 July strictly after ``first`` and up to ``last``."""
    half_year, final = HalfYear.of(first).next(), HalfYear.of(last)
    while half_year <= final:
        yield half_year.start
        half_year = half_year.next()


def _checked(outstanding: Schedule) -> tuple[list[date], list[Decimal]]:
    days: list[date] = []
    amounts: list[Decimal] = []
    for on, amount in outstanding:
        if isinstance(on, datetime) or not isinstance(on, date):
            raise TypeError(f"an outstanding entry is dated with a date, not {type(on).__name__}")
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise TypeError(f"the amount due on {on} must be a finite Decimal, not {amount!r}")
        if amount < 0:
            raise ValueError(f"the amount due on {on} cannot be negative ({amount})")
        if days and on <= days[-1]:
            raise ValueError(
                f"outstanding entries must be in strictly increasing date order ({on} after {days[-1]})"
            )
        days.append(on)
        amounts.append(amount)
    return days, amounts


def outstanding_schedule(receivable: Receivable) -> tuple[tuple[date, Decimal], ...]:
    """The amount incl. VAT still due at the end of the issue date and of every day a payment,
    refund or credit note is dated, never negative (an overpayment leaves 0 due)."""
    if receivable.is_credit_note:
        raise ValueError(f"{receivable.number} is a credit note: it carries no late-payment penalties")
    changes: dict[date, Decimal] = {receivable.issue_date: ZERO}
    for credit in receivable.credits:
        changes[credit.on] = changes.get(credit.on, ZERO) - credit.amount
    for payment in receivable.payments:
        changes[payment.on] = changes.get(payment.on, ZERO) - payment.amount
    for refund in receivable.refunds:
        changes[refund.on] = changes.get(refund.on, ZERO) + refund.amount
    balance = receivable.total
    schedule: list[tuple[date, Decimal]] = []
    for on in sorted(changes):
        balance += changes[on]
        schedule.append((on, max(balance, ZERO)))
    return tuple(schedule)


def receivable_penalties(
    receivable: Receivable,
    as_of: date,
    penalty: LatePenalty,
    rates: ReferenceRates | None = None,
    *,
    business_debtor: bool,
) -> PenaltyStatement:
    """``late_penalties`` of an issued invoice from its running state (its own due date and the
    dated payments, refunds and credit notes recorded on it)."""
    return late_penalties(
        outstanding_schedule(receivable),
        receivable.due_date,
        as_of,
        penalty,
        rates,
        business_debtor=business_debtor,
    )
