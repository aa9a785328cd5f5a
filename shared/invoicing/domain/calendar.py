"""The business calendar: French working days and the moments emails go out.

Invoices are sent and reminders land on business days (issue 8): not on a Saturday, a Sunday
or a French public holiday. The public holidays are those of metropolitan France from the
``holidays`` library (New Year's Day, Easter Monday, 1 and 8 May, Ascension, Whit Monday,
14 July, 15 August, 1 and 11 November, Christmas). ``subdiv="57"`` (Moselle) or ``"6AE"``
(Alsace, Bas-Rhin and Haut-Rhin) adds Good Friday and 26 December for businesses there (the
library's subdivision codes; it refuses others with ``NotImplementedError``); the default is
metropolitan France. Whit Monday counts as a holiday: it is a
"journée de solidarité" that many businesses work, but nobody expects a reminder that day.

Times: every function that returns a moment takes an aware ``now`` and returns an aware
datetime in the business's time zone (Europe/Paris by default), so daylight saving time is
the time zone database's business, never a fixed offset's. A wall-clock time that does not
exist that day (02:30 on the last Sunday of March) is read as the moment after the gap
(03:30 summer time); one that happens twice (02:30 on the last Sunday of October) as its
first occurrence. With the default 09:00, neither case arises in Europe/Paris.

Slots are inclusive: when ``now`` is exactly a slot, that slot is returned, so recomputing a
slot from itself gives the same slot (a retried computation never skips a day).

Pure: no I/O (the time zone database comes from ``tzdata`` when the system has none).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# Lambda's Amazon Linux 2023 image does not guarantee /usr/share/zoneinfo; zoneinfo falls
# back to this package (see services.clock).
import tzdata  # noqa: F401

PARIS = "Europe/Paris"
MORNING = time(9)

_ONE_DAY = timedelta(days=1)
#: No run of French non-business days is longer than this (a weekend plus two holidays).
_MAX_SEARCH_DAYS = 31


@lru_cache(maxsize=64)
def _holidays(year: int, subdiv: str | None) -> frozenset[date]:
    # Imported on first use: importing ``holidays`` costs ~0.1 s, which a function that never
    # asks about the calendar (the webhook) should not pay at cold start.
    from holidays.countries.france import France

    return frozenset(France(years=year, subdiv=subdiv))


def _day(value: date) -> date:
    if isinstance(value, datetime):
        raise TypeError("a calendar day is a date; for a datetime, take its date in the business's time zone")
    return value


def is_holiday(d: date, *, subdiv: str | None = None) -> bool:
    """A French public holiday (whatever day of the week it falls on)."""
    d = _day(d)
    return d in _holidays(d.year, subdiv)


def is_business_day(d: date, *, subdiv: str | None = None) -> bool:
    """Monday to Friday and not a French public holiday."""
    d = _day(d)
    return d.weekday() < 5 and not is_holiday(d, subdiv=subdiv)


def next_business_day(d: date, *, include_today: bool = True, subdiv: str | None = None) -> date:
    """The first business day on or after ``d`` (strictly after with ``include_today=False``)."""
    day = _day(d) if include_today else _day(d) + _ONE_DAY
    for _ in range(_MAX_SEARCH_DAYS):
        if is_business_day(day, subdiv=subdiv):
            return day
        day += _ONE_DAY
    raise AssertionError(f"no business day within {_MAX_SEARCH_DAYS} days of {d}")  # pragma: no cover


def previous_business_day(d: date, *, include_today: bool = True, subdiv: str | None = None) -> date:
    """The last business day on or before ``d`` (strictly before with ``include_today=False``).

    For steps that must not slip past a date (a courtesy notice before the due date)."""
    day = _day(d) if include_today else _day(d) - _ONE_DAY
    for _ in range(_MAX_SEARCH_DAYS):
        if is_business_day(day, subdiv=subdiv):
            return day
        day -= _ONE_DAY
    raise AssertionError(f"no business day within {_MAX_SEARCH_DAYS} days of {d}")  # pragma: no cover


def at_local_time(d: date, at: time, tz: str = PARIS) -> datetime:
    """The moment the wall clocks of ``tz`` show ``at`` on day ``d`` (aware, in ``tz``).

    A time in the spring-forward gap is moved past the gap; a time of the autumn fold is its
    first occurrence (see the module's docstring)."""
    zone = ZoneInfo(tz)
    wall = datetime.combine(_day(d), at.replace(tzinfo=None, fold=0), tzinfo=zone)
    # A round trip through UTC normalises a non-existent wall time (fold=0 reads it with the
    # offset before the transition, i.e. the instant just after the gap).
    return wall.astimezone(UTC).astimezone(zone)


def _local(now: datetime, tz: str) -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (e.g. datetime.now(UTC))")
    return now.astimezone(ZoneInfo(tz))


def next_business_morning(
    now: datetime, tz: str = PARIS, at: time = MORNING, *, subdiv: str | None = None
) -> datetime:
    """The first ``at`` (09:00) in ``tz`` on a business day, at or after ``now``.

    Before 09:00 on a business day: that day at 09:00. From 09:00 onwards, or on a weekend or
    holiday: the next business day at 09:00. Exactly 09:00 on a business day is that moment.
    """
    local = _local(now, tz)
    day = next_business_day(local.date(), subdiv=subdiv)
    slot = at_local_time(day, at, tz)
    if slot < now:
        slot = at_local_time(next_business_day(day, include_today=False, subdiv=subdiv), at, tz)
    return slot


def _month_slot(year: int, month: int, day: int, at: time, tz: str, subdiv: str | None) -> datetime:
    last = _stdlib_calendar.monthrange(year, month)[1]
    nominal = date(year, month, min(day, last))
    return at_local_time(next_business_day(nominal, subdiv=subdiv), at, tz)


def nth_day_of_month_at(
    now: datetime, day: int = 1, tz: str = PARIS, at: time = MORNING, *, subdiv: str | None = None
) -> datetime:
    """The first monthly slot at or after ``now``: day ``day`` of a month at ``at`` in ``tz``
    ("tous les 1er du mois à 9h").

    - A day the month does not have (the 31st in April, the 30th in February) is the
      month's last day.
    - When that day is not a business day, the slot is the next business day, at ``at``
      (1 May 2026, a Friday and a holiday, gives Monday 4 May): an email never leaves on a
      weekend or holiday, and never before the day the business chose. The shifted slot may
      fall in the next month (the 30th on a Saturday gives the 1st or later).
    """
    if not isinstance(day, int) or not 1 <= day <= 31:
        raise ValueError("the day of the month is from 1 to 31")
    local = _local(now, tz)
    # Start one month back: the previous month's slot may have been pushed past now's date.
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    for _ in range(4):
        slot = _month_slot(year, month, day, at, tz, subdiv)
        if slot >= now:
            return slot
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    raise AssertionError("no monthly slot within three months")  # pragma: no cover
