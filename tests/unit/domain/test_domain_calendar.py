"""The business calendar: French business days, the next business morning, monthly slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.calendar import (
    at_local_time,
    is_business_day,
    is_holiday,
    next_business_day,
    next_business_morning,
    nth_day_of_month_at,
    previous_business_day,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 1, 1),  # Jour de l'an, Thursday
        date(2026, 4, 6),  # Lundi de Pâques
        date(2026, 5, 1),  # Fête du travail, Friday
        date(2026, 5, 8),  # Victoire 1945, Friday
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Lundi de Pentecôte
        date(2026, 7, 14),  # Fête nationale, Tuesday
        date(2025, 8, 15),  # Assomption, a Friday in 2025
        date(2027, 11, 1),  # Toussaint, a Monday in 2027
        date(2026, 11, 11),  # Armistice, Wednesday
        date(2026, 12, 25),  # Noël, Friday
    ],
)
def test_weekday_public_holidays_are_not_business_days(holiday: date) -> None:
    assert holiday.weekday() < 5, "the case only proves something on a weekday"
    assert is_holiday(holiday)
    assert not is_business_day(holiday)


@pytest.mark.parametrize("holiday", [date(2026, 8, 15), date(2026, 11, 1)])
def test_holidays_on_a_weekend_are_still_holidays_and_not_moved(holiday: date) -> None:
    assert holiday.weekday() >= 5
    assert is_holiday(holiday)
    # France does not move a holiday that falls on a weekend to the Monday.
    assert is_business_day(holiday + timedelta(days=7 - holiday.weekday()))


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 3),  # Good Friday: a working day outside Alsace-Moselle
        date(2026, 12, 24),
        date(2025, 12, 26),  # Saint-Étienne: idem
        date(2026, 3, 30),
        date(2026, 6, 15),
    ],
)
def test_ordinary_weekdays_are_business_days(day: date) -> None:
    assert is_business_day(day)
    assert not is_holiday(day)


def test_alsace_moselle_adds_good_friday_and_saint_etienne() -> None:
    for subdiv in ("57", "6AE"):
        assert not is_business_day(date(2026, 4, 3), subdiv=subdiv)
        assert not is_business_day(date(2025, 12, 26), subdiv=subdiv)
        assert next_business_day(date(2026, 4, 3), subdiv=subdiv) == date(2026, 4, 7)


def test_weekends_are_not_business_days() -> None:
    assert not is_business_day(date(2026, 3, 7))
    assert not is_business_day(date(2026, 3, 8))


def test_next_and_previous_business_day() -> None:
    friday = date(2026, 3, 6)
    assert next_business_day(friday) == friday
    assert next_business_day(friday, include_today=False) == date(2026, 3, 9)
    assert next_business_day(date(2026, 3, 7)) == date(2026, 3, 9)
    # Ascension Thursday: Friday 15 May is a business day (the "pont" is not a holiday).
    assert next_business_day(date(2026, 5, 14)) == date(2026, 5, 15)
    # Friday 1 May (holiday) -> Monday 4 May; Friday 8 May -> Monday 11 May.
    assert next_business_day(date(2026, 5, 1)) == date(2026, 5, 4)
    assert next_business_day(date(2026, 5, 8)) == date(2026, 5, 11)
    # Easter weekend: Saturday 4 April -> Tuesday 7 April.
    assert next_business_day(date(2026, 4, 4)) == date(2026, 4, 7)
    assert previous_business_day(date(2026, 4, 6)) == date(2026, 4, 3)
    assert previous_business_day(date(2026, 3, 9), include_today=False) == friday
    assert previous_business_day(date(2026, 3, 9)) == date(2026, 3, 9)


def test_year_boundary() -> None:
    # Thursday 31 Dec 2026 -> Friday 1 Jan 2027 is a holiday -> Monday 4 Jan.
    assert next_business_day(date(2026, 12, 31), include_today=False) == date(2027, 1, 4)
    assert previous_business_day(date(2027, 1, 3)) == date(2026, 12, 31)
    assert next_business_morning(paris(2026, 12, 31, 18)) == paris(2027, 1, 4, 9)
    # Wednesday 31 Dec 2025 evening -> Thursday 1 Jan holiday -> Friday 2 Jan 2026.
    assert next_business_morning(paris(2025, 12, 31, 18)) == paris(2026, 1, 2, 9)
    # Given in UTC on 31 Dec, already 1 Jan in Paris.
    assert next_business_morning(utc(2026, 12, 31, 23, 30)) == paris(2027, 1, 4, 9)


def test_dates_not_datetimes() -> None:
    with pytest.raises(TypeError, match="date"):
        is_business_day(paris(2026, 3, 6, 12))


# --- next business morning ----------------------------------------------------------------


def test_friday_evening_goes_out_monday_morning() -> None:
    result = next_business_morning(paris(2026, 3, 6, 18))
    assert result == paris(2026, 3, 9, 9)
    assert result.tzinfo == PARIS
    assert result.isoformat() == "2026-03-09T09:00:00+01:00"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(2026, 3, 9, 8, 59), paris(2026, 3, 9, 9)),  # before 09:00 on a business day: today
        (paris(2026, 3, 9, 9), paris(2026, 3, 9, 9)),  # exactly 09:00: now (inclusive)
        (paris(2026, 3, 9, 9, 0, 0, 1), paris(2026, 3, 10, 9)),  # just after: tomorrow
        (paris(2026, 3, 9, 0, 0), paris(2026, 3, 9, 9)),  # midnight
        (paris(2026, 3, 7, 8), paris(2026, 3, 9, 9)),  # Saturday morning: Monday
        (paris(2026, 4, 3, 18), paris(2026, 4, 7, 9)),  # Good Friday evening, Easter Monday: Tuesday
        (paris(2026, 5, 13, 10), paris(2026, 5, 15, 9)),  # eve of Ascension: Friday
        (paris(2026, 4, 30, 12), paris(2026, 5, 4, 9)),  # 1 May on a Friday: Monday
        (paris(2026, 7, 13, 9, 30), paris(2026, 7, 15, 9)),  # 14 July
    ],
)
def test_next_business_morning(now: datetime, expected: datetime) -> None:
    assert next_business_morning(now) == expected


def test_alsace_moselle_morning() -> None:
    assert next_business_morning(paris(2026, 4, 2, 18)) == paris(2026, 4, 3, 9)
    assert next_business_morning(paris(2026, 4, 2, 18), subdiv="57") == paris(2026, 4, 7, 9)


def test_spring_forward_night_29_march_2026() -> None:
    # Friday 27 March 10:00 CET -> Monday 30 March 09:00 CEST: 07:00 UTC, not 08:00.
    result = next_business_morning(paris(2026, 3, 27, 10))
    assert result.astimezone(UTC) == utc(2026, 3, 30, 7)
    assert result.isoformat() == "2026-03-30T09:00:00+02:00"
    # During the night of the change, given in UTC (01:30 UTC = 03:30 CEST, just after the gap).
    assert next_business_morning(utc(2026, 3, 29, 1, 30)).astimezone(UTC) == utc(2026, 3, 30, 7)
    # Monday after the change: 06:30 UTC is 08:30 in Paris, so today at 09:00 (07:00 UTC).
    assert next_business_morning(utc(2026, 3, 30, 6, 30)).astimezone(UTC) == utc(2026, 3, 30, 7)
    assert next_business_morning(utc(2026, 3, 30, 7, 30)).astimezone(UTC) == utc(2026, 3, 31, 7)


def test_fall_back_night_25_october_2026() -> None:
    # Friday 23 Oct 18:00 CEST -> Monday 26 Oct 09:00 CET: 08:00 UTC.
    result = next_business_morning(paris(2026, 10, 23, 18))
    assert result.astimezone(UTC) == utc(2026, 10, 26, 8)
    assert result.isoformat() == "2026-10-26T09:00:00+01:00"
    # Both occurrences of 02:30 on Sunday 25 October lead to Monday 09:00 CET.
    first = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=0)
    second = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1)
    assert first.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    assert second.astimezone(UTC) == utc(2026, 10, 25, 1, 30)
    assert next_business_morning(first) == next_business_morning(second) == paris(2026, 10, 26, 9)
    # Monday 26 October: 07:30 UTC is 08:30 CET, so today at 09:00 (08:00 UTC).
    assert next_business_morning(utc(2026, 10, 26, 7, 30)).astimezone(UTC) == utc(2026, 10, 26, 8)


def test_wall_times_in_the_gap_and_the_fold() -> None:
    # 02:30 does not exist on 29 March 2026: the moment after the gap, 03:30 CEST.
    gap = at_local_time(date(2026, 3, 29), time(2, 30))
    assert gap.astimezone(UTC) == utc(2026, 3, 29, 1, 30)
    assert (gap.hour, gap.minute, gap.utcoffset()) == (3, 30, timedelta(hours=2))
    # 02:30 happens twice on 25 October 2026: the first one, still CEST.
    fold = at_local_time(date(2026, 10, 25), time(2, 30))
    assert fold.astimezone(UTC) == utc(2026, 10, 25, 0, 30)


def test_other_time_zone_and_hour() -> None:
    result = next_business_morning(utc(2026, 3, 6, 13), tz="America/Martinique", at=time(8))
    assert result.isoformat() == "2026-03-09T08:00:00-04:00"
    assert next_business_morning(paris(2026, 3, 9, 10), at=time(14)) == paris(2026, 3, 9, 14)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_business_morning(datetime(2026, 3, 6, 18))  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        nth_day_of_month_at(datetime(2026, 3, 6, 18))  # noqa: DTZ001


# Hypothesis bounds are naive, read in the ``timezones`` given.
moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda d: d.astimezone(PARIS))


@settings(max_examples=300)
@given(now=moments)
def test_next_business_morning_is_the_first_slot_at_or_after_now(now: datetime) -> None:
    result = next_business_morning(now)
    assert result >= now
    assert result.tzinfo == PARIS
    assert (result.hour, result.minute, result.second, result.microsecond) == (9, 0, 0, 0)
    assert is_business_day(result.date())
    day = now.astimezone(PARIS).date()
    while day < result.date():  # no business morning was skipped
        assert not is_business_day(day) or at_local_time(day, time(9)) < now
        day += timedelta(days=1)
    assert next_business_morning(result) == result


# --- monthly slots --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "day", "expected"),
    [
        (paris(2026, 3, 15, 12), 1, paris(2026, 4, 1, 9)),  # Wednesday 1 April
        (paris(2026, 4, 1, 8), 1, paris(2026, 4, 1, 9)),
        (paris(2026, 4, 1, 9), 1, paris(2026, 4, 1, 9)),  # exactly the slot
        (paris(2026, 4, 1, 9, 1), 1, paris(2026, 5, 4, 9)),  # 1 May is a Friday holiday: Monday 4
        (paris(2026, 5, 2, 10), 1, paris(2026, 5, 4, 9)),  # May's slot, pushed past 1 May
        (paris(2026, 5, 4, 9, 1), 1, paris(2026, 6, 1, 9)),
        (paris(2026, 10, 15, 12), 1, paris(2026, 11, 2, 9)),  # 1 Nov a Sunday and a holiday
        (paris(2026, 12, 2, 12), 1, paris(2027, 1, 4, 9)),  # 1 Jan 2027 a Friday holiday: year boundary
        (paris(2026, 3, 1, 12), 1, paris(2026, 3, 2, 9)),  # Sunday 1 March: Monday 2, 09:00 CET
        (paris(2026, 2, 10, 12), 30, paris(2026, 3, 2, 9)),  # no 30 Feb: Sat 28 Feb -> Mon 2 March
        (paris(2026, 4, 10, 12), 31, paris(2026, 4, 30, 9)),  # no 31 April: Thursday 30 April
        (paris(2026, 10, 15, 12), 31, paris(2026, 11, 2, 9)),  # Sat 31 Oct, Sun 1 Nov -> Mon 2 Nov
        (paris(2026, 11, 1, 12), 31, paris(2026, 11, 2, 9)),  # October's slot, still ahead on 1 Nov
        (paris(2026, 11, 2, 10), 31, paris(2026, 11, 30, 9)),
        (paris(2026, 3, 20, 12), 30, paris(2026, 3, 30, 9)),  # the Monday after the DST change
    ],
)
def test_nth_day_of_month(now: datetime, day: int, expected: datetime) -> None:
    assert nth_day_of_month_at(now, day) == expected


def test_monthly_slot_keeps_paris_time_across_dst() -> None:
    assert nth_day_of_month_at(utc(2026, 3, 20), 30).astimezone(UTC) == utc(2026, 3, 30, 7)
    assert nth_day_of_month_at(utc(2026, 10, 20), 26).astimezone(UTC) == utc(2026, 10, 26, 8)


@pytest.mark.parametrize("day", [0, 32, -1])
def test_day_of_month_is_checked(day: int) -> None:
    with pytest.raises(ValueError, match="1 to 31"):
        nth_day_of_month_at(paris(2026, 3, 1), day)


@settings(max_examples=200)
@given(now=moments, day=st.integers(1, 31))
def test_monthly_slot_is_a_business_morning_on_or_after_the_chosen_day(now: datetime, day: int) -> None:
    result = nth_day_of_month_at(now, day)
    assert result >= now
    assert (result.hour, result.minute) == (9, 0)
    assert is_business_day(result.date())
    assert result - now < timedelta(days=36)
    assert nth_day_of_month_at(result, day) == result
