"""Refused characters and how values are quoted back (issue: generation under attack)."""

from __future__ import annotations

import pytest

from invoicing.domain.problems import Problem
from invoicing.domain.text import QUOTE_LIMIT, forbidden_characters, quoted


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Audit\x0bconseil", ("U+000B",)),
        ("Audit\x0cconseil", ("U+000C",)),
        ("a\x1cb\x1dc\x1ed\x1ff", ("U+001C", "U+001D", "U+001E", "U+001F")),
        ("nul\x00", ("U+0000",)),
        ("del\x7f", ("U+007F",)),
        ("c1\x85", ("U+0085",)),
        ("Evil\u202eCorp", ("U+202E",)),
        ("Ev\u200bil Corp", ("U+200B",)),
        ("join\u200d", ("U+200D",)),
        ("\u2066isolate\u2069", ("U+2066", "U+2069")),
        ("bom\ufeffinside", ("U+FEFF",)),
        ("private\ue000", ("U+E000",)),
    ],
)
def test_control_format_and_private_characters_are_found(text: str, found: tuple[str, ...]) -> None:
    assert forbidden_characters(text) == found


@pytest.mark.parametrize(
    "text",
    ["Audit normal", "ligne 1\nligne 2", "a\tb", "Crème brûlée — 5,5 %", "Ελληνικά", "Кириллица", "咨询服务"],
)
def test_ordinary_text_passes(text: str) -> None:
    assert forbidden_characters(text) == ()


def test_quoted_values_are_visible_and_bounded() -> None:
    assert quoted("Evil\u202eCorp\n") == "Evil\\u202eCorp\\n"
    long = quoted("x" * 10_000)
    assert len(long) == QUOTE_LIMIT + 1
    assert long.endswith("…")


def test_a_problem_quotes_its_value_bounded() -> None:
    problem = Problem("bad_number", row=2, column="prix", value="9" * 100_000 + "\x0b")
    assert len(problem.value) == QUOTE_LIMIT + 1
    assert Problem("bad_number", value="a\x0bb").value == "a\\u000bb"
