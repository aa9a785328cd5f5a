"""Payment terms (reading, due dates, the L441-10 cap) and late-payment penalties."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

import pytest

from invoicing.domain.terms import LatePenalty, PaymentTerms


def last_day(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@pytest.mark.parametrize(
    ("text", "days", "end_of_month"),
    [
        ("30", 30, False),
        ("30 jours", 30, False),
        ("  30   JOURS  ", 30, False),
        ("30j", 30, False),
        ("30 jours net", 30, False),
        ("45 jours fin de mois", 45, True),
        ("45 FDM", 45, True),
        ("45 Jours Fin De Mois", 45, True),
        ("60 days", 60, False),
        ("30 days end of month", 30, True),
        ("30 EOM", 30, True),
        ("comptant", 0, False),
        ("Comptant", 0, False),
        ("à réception", 0, False),
        ("a reception", 0, False),
        ("on receipt", 0, False),
        ("0", 0, False),
    ],
)
def test_parse_reads_the_usual_french_and_english_forms(text: str, days: int, end_of_month: bool) -> None:
    assert PaymentTerms.parse(text) == PaymentTerms(days, end_of_month)


@pytest.mark.parametrize(
    "text",
    ["", "trente jours", "fin de mois", "net 30", "30 jours le 10", "-30", "30.5", "1000", "400 jours"],
)
def test_parse_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match="payment terms"):
        PaymentTerms.parse(text)


def test_parse_reads_a_reception_with_an_unaccented_capital() -> None:
    assert PaymentTerms.parse("A réception") == PaymentTerms(0)


@pytest.mark.parametrize(
    "terms", [PaymentTerms(0), PaymentTerms(30), PaymentTerms(45, True), PaymentTerms(90)]
)
def test_canonical_form_reads_back_to_the_same_terms(terms: PaymentTerms) -> None:
    assert PaymentTerms.parse(terms.canonical()) == terms


def test_describe_in_both_languages() -> None:
    assert PaymentTerms(45, True).describe("fr") == "45 jours fin de mois"
    assert PaymentTerms(45, True).describe("en") == "45 days end of month"
    assert PaymentTerms(30).describe("fr") == "30 jours"
    assert PaymentTerms(0).describe("fr") == "Paiement à réception"
    assert PaymentTerms(0).describe("en") == "Payment on receipt"


@pytest.mark.parametrize(
    ("terms", "issued", "expected"),
    [
        # plain days, across a year boundary
        (PaymentTerms(30), date(2026, 12, 15), date(2027, 1, 14)),
        (PaymentTerms(0), date(2026, 12, 31), date(2026, 12, 31)),
        # N days then the end of that month, across a year boundary
        (PaymentTerms(30, True), date(2026, 12, 10), date(2027, 1, 31)),
        # February of a leap year (2028) and of a common year
        (PaymentTerms(30, True), date(2028, 1, 15), date(2028, 2, 29)),
        (PaymentTerms(30, True), date(2027, 1, 15), date(2027, 2, 28)),
        (PaymentTerms(30), date(2028, 1, 30), date(2028, 2, 29)),
    ],
)
def test_due_date(terms: PaymentTerms, issued: date, expected: date) -> None:
    assert terms.due_date(issued) == expected
    # The same, derived from the rule: issue + N days, then the end of that month when agreed.
    rule = issued + timedelta(days=terms.days)
    assert expected == (last_day(rule) if terms.end_of_month else rule)


def test_ninety_days_are_capped_at_sixty_days_after_issue() -> None:
    issued = date(2026, 3, 1)
    assert PaymentTerms.parse("90 jours").due_date(issued) == issued + timedelta(days=60) == date(2026, 4, 30)


def test_sixty_days_end_of_month_are_capped_at_sixty_days_after_issue() -> None:
    issued = date(2026, 3, 10)
    uncapped = last_day(issued + timedelta(days=60))
    assert uncapped == date(2026, 5, 31)
    assert PaymentTerms.parse("60 jours fin de mois").due_date(issued) == issued + timedelta(days=60)


def test_forty_five_days_end_of_month_is_a_derogation_and_is_not_capped() -> None:
    issued = date(2026, 12, 20)
    due = PaymentTerms.parse("45 jours fin de mois").due_date(issued)
    assert due == last_day(issued + timedelta(days=45)) == date(2027, 2, 28)
    assert (due - issued).days > 60  # beyond the plain 60-day cap, and still allowed


def test_sixty_days_exactly_is_not_shortened() -> None:
    issued = date(2026, 1, 31)
    assert PaymentTerms(60).due_date(issued) == issued + timedelta(days=60)


def test_due_date_never_exceeds_the_legal_maximum() -> None:
    for days in range(0, 366, 7):
        for end_of_month in (False, True):
            terms = PaymentTerms(days, end_of_month)
            for issued in (date(2026, 1, 31), date(2027, 12, 15), date(2028, 2, 29)):
                due = terms.due_date(issued)
                assert issued <= due
                if end_of_month and days <= 45:
                    assert due == last_day(issued + timedelta(days=days))
                else:
                    assert due <= issued + timedelta(days=60)


@pytest.mark.parametrize(
    ("terms", "legal"),
    [
        (PaymentTerms(0), True),
        (PaymentTerms(60), True),
        (PaymentTerms(61), False),
        (PaymentTerms(45, True), True),
        (PaymentTerms(46, True), False),
        (PaymentTerms(60, True), False),
    ],
)
def test_legal_property(terms: PaymentTerms, legal: bool) -> None:
    assert terms.legal is legal


@pytest.mark.parametrize("days", [-1, 366])
def test_terms_out_of_range_are_refused(days: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        PaymentTerms(days)


def test_zero_days_end_of_month_is_not_described_as_on_receipt() -> None:
    terms = PaymentTerms(0, True)
    assert terms.due_date(date(2026, 11, 3)) == date(2026, 11, 30)
    assert terms.describe("fr") != "Paiement à réception"


# --- late penalty ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ecb+10", LatePenalty("ecb+10")),
        (" ECB+10 ", LatePenalty("ecb+10")),
        ("legal-x3", LatePenalty("legal-x3")),
        ("12,5 %", LatePenalty("fixed", Decimal("12.5"))),
        ("10%", LatePenalty("fixed", Decimal("10"))),
    ],
)
def test_late_penalty_parse(text: str, expected: LatePenalty) -> None:
    assert LatePenalty.parse(text) == expected
    assert LatePenalty.parse(expected.canonical()) == expected


@pytest.mark.parametrize("text", ["", "abc", "douze %"])
def test_late_penalty_parse_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="late penalty"):
        LatePenalty.parse(text)


def test_late_penalty_invariants() -> None:
    assert LatePenalty() == LatePenalty("ecb+10")
    with pytest.raises(ValueError, match="unknown"):
        LatePenalty("usury")
    with pytest.raises(ValueError, match="needs a rate"):
        LatePenalty("fixed")
    with pytest.raises(ValueError, match="needs a rate"):
        LatePenalty("ecb+10", Decimal(10))


@pytest.mark.parametrize("text", ["-5", "nan"])
def test_late_penalty_refuses_a_rate_that_is_not_a_positive_number(text: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):  # any clear refusal
        LatePenalty.parse(text)


def test_late_penalty_describe() -> None:
    fixed = LatePenalty("fixed", Decimal("12.5"))
    assert fixed.describe("fr") == "taux de 12,5 % par an"
    assert fixed.describe("en") == "12.5 % per year"
    assert "BCE" in LatePenalty().describe("fr")
    assert "ECB" in LatePenalty().describe("en")
    assert "trois fois" in LatePenalty("legal-x3").describe("fr")
