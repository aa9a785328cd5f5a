"""The dunning policy: which reminders go out, when, in which tone, and when a human takes over.

A policy is a list of steps, each a day relative to the due date and a tone, then the
escalation to the owner (with a formal notice) a number of days after the due date:

- ``courtesy``: a friendly notice before the due date;
- ``gentle``: "s'agit-il d'un oubli ?";
- ``firm``: payment terms recalled, late-payment penalties stated;
- ``final``: last notice before formal notice or collection, penalties stated;
- ``escalation``: not an email to the customer: the owner is told the sequence is over and
  receives a ready-to-sign formal notice. The sequence stops there.

The default is the one the seeds describe: courtesy 3 days before the due date, gentle at
J+7, firm at J+15, final at J+30, escalation at J+38 (the final reminder's 8 days elapsed).

It is configuration, written as JSON (a stack parameter, or ``config/dunning.json`` in the
bucket, checked when uploaded)::

    {"steps": [{"day": -3, "tone": "courtesy"}, {"day": 7, "tone": "gentle"},
               {"day": 15, "tone": "firm"}, {"day": 30, "tone": "final"}],
     "escalate_day": 38, "min_gap_days": 3}

A step may repeat: ``{"from": 3, "to": 9, "every": 3, "tone": "gentle"}`` is days 3, 6 and 9.
The seeds' second example, "7 days before, on the day, every 3 days for a week, then weekly
for a month"::

    {"steps": [{"day": -7, "tone": "courtesy"}, {"day": 0, "tone": "courtesy"},
               {"from": 3, "to": 9, "every": 3, "tone": "gentle"},
               {"from": 16, "to": 30, "every": 7, "tone": "firm"}],
     "escalate_day": null}

``"escalate_day": null`` ends the sequence after the last step without escalation.
Reminders fall on business days: the daily run does nothing on a weekend or a French public
holiday, and the next run carries out the latest step that fell due meanwhile.

Pure: no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

COURTESY, GENTLE, FIRM, FINAL, ESCALATION = "courtesy", "gentle", "firm", "final", "escalation"
#: The tones of reminders to the customer, courteous to firm.
REMINDER_TONES: tuple[str, ...] = (COURTESY, GENTLE, FIRM, FINAL)
#: Tones whose reminder states the late-payment penalties (only once the invoice is late).
PENALTY_TONES = frozenset({FIRM, FINAL})

DEFAULT_OFFSETS: tuple[int, ...] = (-3, 7, 15, 30, 38)
DEFAULT_TONES: tuple[str, ...] = (COURTESY, GENTLE, FIRM, FINAL, ESCALATION)
DEFAULT_MIN_GAP_DAYS = 3

#: Bounds a policy must stay within: a step a year after the due date, or a hundred steps,
#: is a typo, not a policy.
MIN_DAY, MAX_DAY = -60, 365
MAX_STEPS = 40
MAX_GAP_DAYS = 30
MAX_POLICY_CHARS = 20_000


class PolicyError(ValueError):
    """The policy text is not a valid policy; the message says where and why (English)."""


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    """When each step falls (days from the due date, strictly increasing), its tone, and the
    least gap between two actions. The last tone may be ``escalation``."""

    offsets: tuple[int, ...] = DEFAULT_OFFSETS
    #: Left out: ``default_tones(offsets)``.
    tones: tuple[str, ...] = ()
    min_gap_days: int = DEFAULT_MIN_GAP_DAYS

    def __post_init__(self) -> None:
        if not self.tones:
            object.__setattr__(self, "tones", default_tones(self.offsets))
        check_steps(self.offsets, self.tones, self.min_gap_days)

    @classmethod
    def parse(cls, text: str) -> DunningPolicy:
        """A policy from its JSON text; ``PolicyError`` says what is wrong."""
        if not isinstance(text, str) or not text.strip():
            raise PolicyError("the policy is empty")
        if len(text) > MAX_POLICY_CHARS:
            raise PolicyError(f"the policy is {len(text)} characters long, more than {MAX_POLICY_CHARS}")
        try:
            data = json.loads(text, parse_float=lambda v: _refuse_float(v))
        except PolicyError:
            raise
        except json.JSONDecodeError as exc:
            raise PolicyError(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, nesting 9,000 deep
            raise PolicyError(f"not a policy: {type(exc).__name__}") from None
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: Any) -> DunningPolicy:
        if not isinstance(data, dict):
            raise PolicyError('a policy is a JSON object: {"steps": [...], "escalate_day": 38}')
        unknown = sorted(set(data) - {"steps", "escalate_day", "min_gap_days"})
        if unknown:
            raise PolicyError(
                f"unknown key(s): {', '.join(unknown)} (expected steps, escalate_day, min_gap_days)"
            )
        steps = data.get("steps")
        if not isinstance(steps, list) or not steps:
            raise PolicyError('"steps" must be a non-empty list')
        offsets: list[int] = []
        tones: list[str] = []
        for n, step in enumerate(steps, start=1):
            for day in _expand(step, n):
                offsets.append(day)
                tones.append(_tone(step, n))
        escalate = data.get("escalate_day", DEFAULT_OFFSETS[-1])
        if escalate is not None:
            offsets.append(_int(escalate, '"escalate_day"'))
            tones.append(ESCALATION)
        gap = _int(data.get("min_gap_days", DEFAULT_MIN_GAP_DAYS), '"min_gap_days"')
        return cls(tuple(offsets), tuple(tones), gap)

    def to_data(self) -> dict[str, Any]:
        escalates = bool(self.tones) and self.tones[-1] == ESCALATION
        steps = [
            {"day": d, "tone": t} for d, t in zip(self.offsets, self.tones, strict=True) if t != ESCALATION
        ]
        return {
            "steps": steps,
            "escalate_day": self.offsets[-1] if escalates else None,
            "min_gap_days": self.min_gap_days,
        }

    def describe(self) -> str:
        """One line per step, for the command line and the README (English)."""
        lines = []
        for day, tone in zip(self.offsets, self.tones, strict=True):
            when = "on the due date" if day == 0 else f"{abs(day)} day(s) {'before' if day < 0 else 'after'}"
            lines.append(f"{when}: {tone}")
        lines.append(f"at least {self.min_gap_days} day(s) between two actions")
        return "\n".join(lines)


def default_tones(offsets: tuple[int, ...]) -> tuple[str, ...]:
    """Tones for bare offsets: the default policy's own; otherwise courtesy before the due date,
    then gentle, firm for the ones in between, final for the last (no escalation)."""
    if tuple(offsets) == DEFAULT_OFFSETS:
        return DEFAULT_TONES
    after = [d for d in offsets if d >= 0]
    tones = [COURTESY] * (len(offsets) - len(after))
    for n in range(len(after)):
        tones.append(FINAL if n == len(after) - 1 and n > 0 else GENTLE if n == 0 else FIRM)
    return tuple(tones)


def check_steps(offsets: tuple[int, ...], tones: tuple[str, ...], min_gap_days: int) -> None:
    if len(offsets) != len(tones):
        raise PolicyError("each step needs one tone")
    if not offsets:
        raise PolicyError("a policy has at least one step")
    if len(offsets) > MAX_STEPS:
        raise PolicyError(f"{len(offsets)} steps: at most {MAX_STEPS}")
    for day in offsets:
        if not isinstance(day, int) or isinstance(day, bool) or not MIN_DAY <= day <= MAX_DAY:
            raise PolicyError(f"step day {day!r} is outside {MIN_DAY}..{MAX_DAY} days from the due date")
    if list(offsets) != sorted(set(offsets)):
        raise PolicyError(f"step days must be strictly increasing: {list(offsets)}")
    for n, tone in enumerate(tones, start=1):
        last = n == len(tones)
        if tone == ESCALATION and not last:
            raise PolicyError("the escalation can only be the last step")
        if tone not in (*REMINDER_TONES, ESCALATION):
            raise PolicyError(f"step {n}: unknown tone {tone!r} (expected {', '.join(REMINDER_TONES)})")
    for n, (day, tone) in enumerate(zip(offsets, tones, strict=True), start=1):
        if tone in PENALTY_TONES and day < 1:
            raise PolicyError(
                f"step {n}: a {tone} reminder states late-payment penalties: it comes after the due "
                f"date (day 1 or later), not on day {day}"
            )
    if tones == (ESCALATION,):
        raise PolicyError("a policy needs at least one reminder before the escalation")
    if (
        not isinstance(min_gap_days, int)
        or isinstance(min_gap_days, bool)
        or not 0 <= min_gap_days <= MAX_GAP_DAYS
    ):
        raise PolicyError(f"min_gap_days must be 0..{MAX_GAP_DAYS}, not {min_gap_days!r}")


def _refuse_float(value: str) -> int:
    raise PolicyError(f"days are whole numbers, not {value}")


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{what} must be a whole number of days, not {value!r}")
    return value


def _tone(step: dict[str, Any], n: int) -> str:
    tone = step.get("tone")
    if tone not in REMINDER_TONES:
        raise PolicyError(f"step {n}: tone must be one of {', '.join(REMINDER_TONES)}, not {tone!r}")
    return str(tone)


def _expand(step: Any, n: int) -> list[int]:
    if not isinstance(step, dict):
        raise PolicyError(f'step {n}: expected {{"day": 7, "tone": "gentle"}}, not {step!r}')
    keys = set(step) - {"tone"}
    if keys == {"day"}:
        return [_int(step["day"], f'step {n}: "day"')]
    if keys == {"from", "to", "every"}:
        start = _int(step["from"], f'step {n}: "from"')
        stop = _int(step["to"], f'step {n}: "to"')
        every = _int(step["every"], f'step {n}: "every"')
        if every < 1 or stop < start:
            raise PolicyError(f'step {n}: "every" must be at least 1 and "to" not before "from"')
        if (stop - start) // every + 1 > MAX_STEPS:
            raise PolicyError(f"step {n}: more than {MAX_STEPS} repetitions")
        return list(range(start, stop + 1, every))
    raise PolicyError(f'step {n}: give either "day", or "from", "to" and "every" (and a "tone")')
