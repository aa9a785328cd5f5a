"""The dunning calendar: when an unpaid invoice needs its next action.

Default sequence (DESIGN.md): a courtesy reminder 3 days before the due date, then on the
due date, and 7, 15 and 30 days after it; the last step hands over to a human.
"""

from __future__ import annotations

from datetime import date, timedelta

#: Days relative to the due date.
DEFAULT_OFFSETS: tuple[int, ...] = (-3, 0, 7, 15, 30)
#: Partition value of the sparse "by-next-action" index: present while an action is pending.
OPEN = "open"


def first_action_on(due: date, offsets: tuple[int, ...] = DEFAULT_OFFSETS) -> date:
    return due + timedelta(days=offsets[0])
