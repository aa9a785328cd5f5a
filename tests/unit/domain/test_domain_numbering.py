"""Numbering patterns: what a valid series looks like and how numbers are formed (BR-FR-01/02)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from invoicing.domain.numbering import NumberingPattern

#: BR-FR-01/02, restated here: at most 35 letters, digits or + - _ /.
VALID_NUMBER = re.compile(r"[A-Za-z0-9+\-_/]{1,35}")


@pytest.mark.parametrize(
    ("template", "yearly_reset", "seq", "issued", "expected"),
    [
        ("FA{year}-{seq:05d}", True, 42, date(2026, 3, 1), "FA2026-00042"),
        ("F{yy}/{seq:04d}", True, 7, date(2027, 1, 2), "F27/0007"),
        ("F{yy}/{seq:04d}", True, 7, date(2005, 1, 2), "F05/0007"),  # two digits, zero-padded
        ("AV_{year}+{seq}", True, 123456, date(2026, 12, 31), "AV_2026+123456"),
        ("INV{seq:06d}", False, 1, date(2026, 3, 1), "INV000001"),
    ],
)
def test_format(template: str, yearly_reset: bool, seq: int, issued: date, expected: str) -> None:
    number = NumberingPattern(template, yearly_reset).format(seq, issued)
    assert number == expected
    assert VALID_NUMBER.fullmatch(number)


@pytest.mark.parametrize(
    ("template", "yearly_reset", "message"),
    [
        ("FA{year}-", True, "must contain {seq}"),
        ("FA-0001", False, "must contain {seq}"),
        ("FA-{seq:05d}", True, "restarts every year"),
        ("FA {year}-{seq}", True, "at most"),  # space
        ("FA#{year}-{seq}", True, "at most"),  # '#'
        ("FA.{year}.{seq}", True, "at most"),  # '.'
        ("FA{{{year}}}{seq}", True, "at most"),  # literal braces
        ("Facture-é{year}{seq}", True, "at most"),  # non-ASCII letter
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ-{year}-{seq}", True, "at most"),  # 27 + 4 + 1 + 5 = 37 chars
        ("FA{month}-{seq}", False, "unknown field"),
        ("FA{}-{seq}", False, "unknown field"),
        ("FA{seq}{seq.real}", False, "unknown field"),
    ],
)
def test_invalid_patterns_are_refused(template: str, yearly_reset: bool, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        NumberingPattern(template, yearly_reset)


def test_longest_accepted_pattern_is_exactly_thirty_five_characters() -> None:
    prefix = "A" * 26
    NumberingPattern(prefix + "{year}{seq:05d}")  # 26 + 4 + 5 = 35
    with pytest.raises(ValueError, match="at most"):
        NumberingPattern(prefix + "B{year}{seq:05d}")  # 36


def test_yearly_series_is_one_counter_per_year() -> None:
    pattern = NumberingPattern("FA{year}-{seq:05d}")
    assert pattern.series(date(2026, 1, 1)) == pattern.series(date(2026, 12, 31))
    assert pattern.series(date(2026, 12, 31)) != pattern.series(date(2027, 1, 1))


def test_continuous_series_is_one_counter_across_years() -> None:
    pattern = NumberingPattern("FA-{seq:06d}", yearly_reset=False)
    assert (
        pattern.series(date(2026, 12, 31))
        == pattern.series(date(2027, 1, 1))
        == pattern.series(date(2040, 6, 1))
    )


def test_series_differ_between_patterns() -> None:
    issued = date(2026, 5, 5)
    assert NumberingPattern("FA{year}-{seq}").series(issued) != NumberingPattern("AV{year}-{seq}").series(
        issued
    )


@pytest.mark.parametrize("seq", [0, -1])
def test_sequence_starts_at_one(seq: int) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        NumberingPattern("FA{year}-{seq:05d}").format(seq, date(2026, 1, 1))


def test_format_never_gives_an_invalid_number() -> None:
    pattern = NumberingPattern("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123{seq}", yearly_reset=False)  # 30 + 5 = 35
    with pytest.raises(ValueError, match=r"\S"):  # any clear refusal
        pattern.format(1_000_000, date(2026, 1, 1))  # would be 37 characters
