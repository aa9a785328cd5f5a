"""The dunning policy: the default, the seeds' examples, its JSON form, and hostile policies,
each refused with a ``PolicyError`` that names the problem."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from invoicing.domain.dunning_policy import (
    DEFAULT_MIN_GAP_DAYS,
    DEFAULT_OFFSETS,
    DEFAULT_TONES,
    MAX_POLICY_CHARS,
    MAX_STEPS,
    DunningPolicy,
    PolicyError,
    default_tones,
)

#: The default policy as the module's documentation writes it.
DEFAULT_TEXT = """
{"steps": [{"day": -3, "tone": "courtesy"}, {"day": 7, "tone": "gentle"},
           {"day": 15, "tone": "firm"}, {"day": 30, "tone": "final"}],
 "escalate_day": 38, "min_gap_days": 3}
"""
#: The seeds' second example: "7 days before, on the day, every 3 days for a week, then weekly
#: for a month", without escalation.
SEEDS_SECOND_EXAMPLE = (
    '{"steps": [{"day": -7, "tone": "courtesy"}, {"day": 0, "tone": "courtesy"}, '
    '{"from": 3, "to": 9, "every": 3, "tone": "gentle"}, '
    '{"from": 16, "to": 30, "every": 7, "tone": "firm"}], "escalate_day": null}'
)


def policy_text(steps: object = None, **top: object) -> str:
    """A policy's JSON: one gentle step at J+7 unless told, plus the top-level keys given."""
    steps = [{"day": 7, "tone": "gentle"}] if steps is None else steps
    return json.dumps({"steps": steps, **top})


# --- the default and the seeds' examples ---------------------------------------------------------


def test_the_default_policy() -> None:
    p = DunningPolicy()
    assert (p.offsets, p.min_gap_days) == ((-3, 7, 15, 30, 38), 3)
    assert p.tones == ("courtesy", "gentle", "firm", "final", "escalation")
    assert (p.offsets, p.tones, p.min_gap_days) == (DEFAULT_OFFSETS, DEFAULT_TONES, DEFAULT_MIN_GAP_DAYS)
    assert DunningPolicy.parse(DEFAULT_TEXT) == p


def test_escalate_day_and_min_gap_default_to_the_default_policy_s() -> None:
    steps = [
        {"day": -3, "tone": "courtesy"},
        {"day": 7, "tone": "gentle"},
        {"day": 15, "tone": "firm"},
        {"day": 30, "tone": "final"},
    ]
    assert DunningPolicy.parse(json.dumps({"steps": steps})) == DunningPolicy()


def test_the_seeds_second_example_repeats_steps_and_does_not_escalate() -> None:
    p = DunningPolicy.parse(SEEDS_SECOND_EXAMPLE)
    # -7 and 0; from 3 to 9 every 3: 3, 6, 9; from 16 to 30 every 7: 16, 23, 30.
    assert p.offsets == (-7, 0, 3, 6, 9, 16, 23, 30)
    assert p.tones == ("courtesy", "courtesy", "gentle", "gentle", "gentle", "firm", "firm", "firm")
    assert p.min_gap_days == 3
    assert "escalation" not in p.tones


def test_a_repetition_stops_at_its_last_day_within_to() -> None:
    p = DunningPolicy.parse(
        policy_text([{"from": 1, "to": 10, "every": 4, "tone": "firm"}], escalate_day=None)
    )
    assert p.offsets == (1, 5, 9)  # 13 would pass "to"


# --- its JSON form and description ---------------------------------------------------------------


def test_to_data_is_the_documented_form() -> None:
    assert DunningPolicy().to_data() == {
        "steps": [
            {"day": -3, "tone": "courtesy"},
            {"day": 7, "tone": "gentle"},
            {"day": 15, "tone": "firm"},
            {"day": 30, "tone": "final"},
        ],
        "escalate_day": 38,
        "min_gap_days": 3,
    }
    assert DunningPolicy.parse(SEEDS_SECOND_EXAMPLE).to_data()["escalate_day"] is None


@pytest.mark.parametrize(
    "policy",
    [
        DunningPolicy(),
        DunningPolicy.parse(SEEDS_SECOND_EXAMPLE),
        DunningPolicy(offsets=(0, 10), min_gap_days=0),
        DunningPolicy(offsets=(-60, 365), tones=("courtesy", "escalation"), min_gap_days=30),
    ],
    ids=["default", "seeds-second", "bare-offsets", "bounds"],
)
def test_a_policy_comes_back_from_its_json_form(policy: DunningPolicy) -> None:
    assert DunningPolicy.from_data(policy.to_data()) == policy
    assert DunningPolicy.parse(json.dumps(policy.to_data())) == policy


def test_describe_says_each_step_in_words() -> None:
    assert DunningPolicy().describe().splitlines() == [
        "3 day(s) before: courtesy",
        "7 day(s) after: gentle",
        "15 day(s) after: firm",
        "30 day(s) after: final",
        "38 day(s) after: escalation",
        "at least 3 day(s) between two actions",
    ]
    assert DunningPolicy.parse(SEEDS_SECOND_EXAMPLE).describe().splitlines()[:2] == [
        "7 day(s) before: courtesy",
        "on the due date: courtesy",
    ]


@pytest.mark.parametrize(
    ("offsets", "tones"),
    [
        (DEFAULT_OFFSETS, DEFAULT_TONES),
        ((-3, 0, 7, 15, 30), ("courtesy", "gentle", "firm", "firm", "final")),  # the previous default
        ((-7, -1, 0, 10, 20), ("courtesy", "courtesy", "gentle", "firm", "final")),
        ((0,), ("gentle",)),
        ((-3,), ("courtesy",)),
        ((5, 10), ("gentle", "final")),
    ],
)
def test_bare_offsets_get_default_tones(offsets: tuple[int, ...], tones: tuple[str, ...]) -> None:
    assert default_tones(offsets) == tones
    assert DunningPolicy(offsets=offsets).tones == tones


def test_the_bounds_themselves_are_accepted() -> None:
    edge = policy_text([{"day": -60, "tone": "courtesy"}, {"day": 300, "tone": "final"}], escalate_day=365)
    assert DunningPolicy.parse(edge).offsets == (-60, 300, 365)
    assert DunningPolicy.parse(policy_text(min_gap_days=0)).min_gap_days == 0
    assert DunningPolicy.parse(policy_text(min_gap_days=30)).min_gap_days == 30
    forty = [{"from": 1, "to": 1 + 39 * 5, "every": 5, "tone": "firm"}]  # 40 days, no escalation
    assert len(DunningPolicy.parse(policy_text(forty, escalate_day=None)).offsets) == MAX_STEPS
    padded = policy_text() + " " * (MAX_POLICY_CHARS - len(policy_text()))
    assert DunningPolicy.parse(padded).offsets == (7, 38)


# --- hostile policies --------------------------------------------------------------------------

HOSTILE = [
    ("not-json", "{steps: [}", r"not JSON: .*\(line 1, column 2\)"),
    ("bom", "\ufeff" + policy_text(), "not JSON: Unexpected UTF-8 BOM"),
    ("empty", "", "the policy is empty"),
    ("blank", "  \n ", "the policy is empty"),
    ("not-an-object", "[1, 2]", "a policy is a JSON object"),
    ("a-string", '"-3, 7, 15"', "a policy is a JSON object"),
    ("float-day", policy_text([{"day": 7.5, "tone": "gentle"}]), "days are whole numbers, not 7.5"),
    ("float-whole-day", policy_text([{"day": 7.0, "tone": "gentle"}]), "days are whole numbers, not 7.0"),
    ("exponent-day", policy_text(escalate_day=4e1), "days are whole numbers, not 40.0"),
    ("float-gap", policy_text(min_gap_days=2.5), "days are whole numbers, not 2.5"),
    (
        "nan-day",
        '{"steps": [{"day": NaN, "tone": "gentle"}]}',
        '"day" must be a whole number of days, not nan',
    ),
    (
        "bool-day",
        policy_text([{"day": True, "tone": "gentle"}]),
        '"day" must be a whole number of days, not True',
    ),
    (
        "bool-every",
        policy_text([{"from": 1, "to": 9, "every": True, "tone": "gentle"}]),
        '"every" must be a whole',
    ),
    (
        "bool-escalate",
        policy_text(escalate_day=False),
        '"escalate_day" must be a whole number of days, not False',
    ),
    ("bool-gap", policy_text(min_gap_days=True), '"min_gap_days" must be a whole number of days, not True'),
    ("string-day", policy_text([{"day": "7", "tone": "gentle"}]), "whole number of days, not '7'"),
    ("unknown-tone", policy_text([{"day": 7, "tone": "rude"}]), "step 1: tone must be one of .*, not 'rude'"),
    ("escalation-as-step", policy_text([{"day": 7, "tone": "escalation"}]), "not 'escalation'"),
    ("no-tone", policy_text([{"day": 7}]), "step 1: tone must be one of .*, not None"),
    ("list-tone", policy_text([{"day": 7, "tone": ["gentle"]}]), r"not \['gentle'\]"),
    ("unknown-key", policy_text(steps_after=[]), r"unknown key\(s\): steps_after \(expected steps"),
    ("unknown-step-key", policy_text([{"day": 7, "tone": "gentle", "hour": 9}]), 'step 1: give either "day"'),
    (
        "day-and-range",
        policy_text([{"day": 7, "from": 1, "to": 2, "every": 1, "tone": "gentle"}]),
        'step 1: give either "day", or "from", "to" and "every"',
    ),
    ("step-not-object", policy_text([7]), "step 1: expected"),
    (
        "decreasing-days",
        policy_text([{"day": 15, "tone": "firm"}, {"day": 7, "tone": "gentle"}]),
        r"strictly increasing: \[15, 7, 38\]",
    ),
    (
        "repeated-day",
        policy_text([{"day": 7, "tone": "gentle"}, {"day": 7, "tone": "firm"}]),
        r"strictly increasing: \[7, 7, 38\]",
    ),
    (
        "escalate-before-last-step",
        policy_text([{"day": 7, "tone": "gentle"}, {"day": 30, "tone": "final"}], escalate_day=20),
        r"strictly increasing: \[7, 30, 20\]",
    ),
    ("escalate-on-last-step", policy_text(escalate_day=7), r"strictly increasing: \[7, 7\]"),
    (
        "steps-past-the-default-escalation",
        policy_text([{"day": 7, "tone": "gentle"}, {"day": 45, "tone": "final"}]),
        r"strictly increasing: \[7, 45, 38\]",
    ),
    (
        "10000-repetitions",
        policy_text([{"from": 0, "to": 9999, "every": 1, "tone": "gentle"}]),
        "step 1: more than 40 repetitions",
    ),
    (
        "41-steps",
        policy_text(
            [{"day": -5, "tone": "courtesy"}, {"from": 0, "to": 195, "every": 5, "tone": "gentle"}],
            escalate_day=None,
        ),
        "41 steps: at most 40",
    ),
    (
        "41-steps-with-escalation",
        policy_text([{"from": 0, "to": 195, "every": 5, "tone": "gentle"}], escalate_day=300),
        "41 steps: at most 40",
    ),
    (
        "every-zero",
        policy_text([{"from": 1, "to": 9, "every": 0, "tone": "gentle"}]),
        '"every" must be at least 1',
    ),
    (
        "to-before-from",
        policy_text([{"from": 9, "to": 1, "every": 1, "tone": "gentle"}]),
        '"to" not before "from"',
    ),
    ("huge-text", policy_text() + " " * MAX_POLICY_CHARS, "characters long, more than 20000"),
    ("steps-not-a-list", policy_text({"day": 7, "tone": "gentle"}), '"steps" must be a non-empty list'),
    ("steps-empty", policy_text([]), '"steps" must be a non-empty list'),
    ("steps-missing", '{"escalate_day": 38}', '"steps" must be a non-empty list'),
    ("steps-null", '{"steps": null}', '"steps" must be a non-empty list'),
    ("min-gap-negative", policy_text(min_gap_days=-1), "min_gap_days must be 0..30, not -1"),
    ("min-gap-too-long", policy_text(min_gap_days=31), "min_gap_days must be 0..30, not 31"),
    ("day-too-early", policy_text([{"day": -61, "tone": "courtesy"}]), "step day -61 is outside -60..365"),
    (
        "day-too-late",
        policy_text([{"day": 366, "tone": "final"}], escalate_day=None),
        "step day 366 is outside",
    ),
    ("escalate-too-late", policy_text(escalate_day=400), "step day 400 is outside -60..365"),
    (
        "huge-range",
        policy_text([{"from": -(10**12), "to": 10**12, "every": 10**12, "tone": "gentle"}]),
        "step day -1000000000000 is outside",
    ),
]


@pytest.mark.parametrize(("text", "problem"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_a_hostile_policy_is_refused_saying_why(text: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        DunningPolicy.parse(text)


def test_hostile_text_is_refused_before_it_is_read() -> None:
    """20,000 characters at most: a 10 MB policy never reaches the JSON parser."""
    with pytest.raises(PolicyError, match="10000001 characters long"):
        DunningPolicy.parse("[" * 10_000_001)


def test_a_number_too_long_to_read_is_a_policy_error() -> None:
    with pytest.raises(PolicyError):
        DunningPolicy.parse('{"steps": [{"day": 1' + "0" * 5000 + ', "tone": "gentle"}]}')


def test_deeply_nested_json_is_a_policy_error() -> None:
    with pytest.raises(PolicyError):
        DunningPolicy.parse('{"steps": ' + "[" * 9_000 + "]" * 9_000 + "}")


@pytest.mark.parametrize(
    ("offsets", "tones", "gap", "problem"),
    [
        ((0, 10), ("gentle",), 3, "each step needs one tone"),
        ((0, 10), ("escalation", "final"), 3, "the escalation can only be the last step"),
        ((5,), ("escalation",), 3, "at least one reminder before the escalation"),
        ((0, 10), ("gentle", "loud"), 3, "step 2: unknown tone 'loud'"),
        ((), (), 3, "at least one step"),
        (tuple(range(41)), (), 3, "41 steps: at most 40"),
        ((True, 5), ("gentle", "final"), 3, "step day True"),
        ((0, 7.5), ("gentle", "final"), 3, "step day 7.5"),
        ((0, 10), (), True, "min_gap_days must be 0..30, not True"),
        ((0, 10), (), -1, "min_gap_days must be 0..30, not -1"),
    ],
)
def test_a_policy_built_in_code_is_checked_too(offsets, tones, gap, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        DunningPolicy(offsets=offsets, tones=tones, min_gap_days=gap)


# --- properties --------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-70, 400)
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(["courtesy", "gentle", "firm", "final", "escalation"])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
)
steps = st.dictionaries(
    st.sampled_from(["day", "from", "to", "every", "tone", "hour"]), json_scalars, max_size=4
) | st.fixed_dictionaries(
    {"day": st.integers(-70, 400), "tone": st.sampled_from(["courtesy", "gentle", "firm", "final", "rude"])}
)


@st.composite
def valid_policies(draw) -> DunningPolicy:
    offsets = sorted(draw(st.sets(st.integers(-60, 365), min_size=1, max_size=MAX_STEPS)))
    tones = draw(
        st.lists(
            st.sampled_from(["courtesy", "gentle", "firm", "final"]),
            min_size=len(offsets),
            max_size=len(offsets),
        )
    )
    if len(offsets) > 1 and draw(st.booleans()):
        tones[-1] = "escalation"
    # Firm and final reminders state penalties: only after the due date.
    tones = [
        ("gentle" if t in ("firm", "final") and d < 1 else t) for d, t in zip(offsets, tones, strict=True)
    ]
    return DunningPolicy(tuple(offsets), tuple(tones), draw(st.integers(0, 30)))


@st.composite
def near_valid_data(draw) -> dict:
    """A valid policy's data, sometimes with one field spoiled by any JSON value."""
    data = draw(valid_policies()).to_data()
    spoil = draw(st.sampled_from(["nothing", "escalate_day", "min_gap_days", "day", "tone", "key", "extra"]))
    value = draw(json_scalars)
    step = draw(st.sampled_from(data["steps"])) if data["steps"] else {}
    if spoil in ("escalate_day", "min_gap_days"):
        data[spoil] = value
    elif spoil in ("day", "tone"):
        step[spoil] = value
    elif spoil == "key":
        step[draw(st.sampled_from(["from", "to", "every", "hour"]))] = value
    elif spoil == "extra":
        data[draw(st.text(max_size=6))] = value
    return data


policy_data = (
    st.fixed_dictionaries(
        {},
        optional={
            "steps": st.lists(steps, max_size=8) | json_values,
            "escalate_day": json_scalars,
            "min_gap_days": json_scalars,
            "extra": json_scalars,
        },
    )
    | json_values
    | near_valid_data()
)


@settings(max_examples=500, deadline=None)
@given(data=policy_data)
def test_any_data_gives_a_valid_policy_or_a_policy_error(data) -> None:
    refusal: PolicyError | None = None
    try:
        p = DunningPolicy.from_data(data)
    except PolicyError as refused:  # anything else fails the test
        refusal = refused
    if refusal is not None:
        assert str(refusal)  # saying why
        return
    event("valid policy")
    assert list(p.offsets) == sorted(set(p.offsets))
    assert all(-60 <= day <= 365 for day in p.offsets)
    assert 1 <= len(p.offsets) <= MAX_STEPS
    assert 0 <= p.min_gap_days <= 30
    assert DunningPolicy.parse(json.dumps(p.to_data())) == p


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200) | st.builds(json.dumps, policy_data))
def test_any_text_gives_a_policy_or_a_policy_error(text: str) -> None:
    with contextlib.suppress(PolicyError):  # anything else fails the test
        DunningPolicy.parse(text)


@settings(max_examples=200, deadline=None)
@given(policy=valid_policies())
def test_every_valid_policy_survives_its_json_form_and_describes_each_step(policy: DunningPolicy) -> None:
    assert DunningPolicy.parse(json.dumps(policy.to_data())) == policy
    assert len(policy.describe().splitlines()) == len(policy.offsets) + 1
