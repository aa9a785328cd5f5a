"""The catalogue of input problems: every code has French and English text that formats."""

from __future__ import annotations

import string

import pytest

from invoicing.domain.problems import MESSAGES, InputRejected, Problem


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_formats_in_french_and_english(code: str) -> None:
    fr, en = MESSAGES[code]
    names = placeholders(fr) | placeholders(en)
    assert placeholders(fr) == placeholders(en), "both languages say the same things"
    params = {name: f"<{name}>" for name in names}
    problem = Problem(code, row=3, column="prix", value="abc", params=params)
    assert problem.reason_fr
    assert problem.reason_en
    assert problem.reason_fr != problem.reason_en
    for name in names:  # every value given lands in the text
        assert f"<{name}>" in problem.reason_fr
        assert f"<{name}>" in problem.reason_en
    assert "{" not in problem.reason_fr + problem.reason_en


def test_problem_refuses_unknown_codes() -> None:
    with pytest.raises(KeyError, match="unknown problem code"):
        Problem("no_such_code")


def test_str_names_row_column_value_and_reason() -> None:
    problem = Problem("too_precise", row=7, column="quantite", value="1,23456", params={"places": 4})
    assert str(problem) == "row 7, column quantite, value '1,23456': Too many decimal places (at most 4)."
    assert problem.reason_fr == "Trop de décimales (au plus 4)."
    assert str(Problem("empty_file")) == "The file is empty."


def test_params_do_not_take_part_in_equality() -> None:
    assert Problem("too_large", params={"limit": 1}) == Problem("too_large", params={"limit": 2})
    assert hash(Problem("too_large", params={"limit": 1})) == hash(Problem("too_large"))


def test_input_rejected_needs_a_problem_and_keeps_them_all() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        InputRejected([])
    problems = [Problem("required", row=2, column="client"), Problem("bad_date", row=3, column="date")]
    error = InputRejected(problems)
    assert error.problems == tuple(problems)
    assert "2 problem(s)" in str(error)
    assert "row 2" in str(error)
