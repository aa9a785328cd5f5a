"""Invoice numbers: chronological and continuous per series, without gap or duplicate.

A pattern such as ``FA{year}-{seq:05d}`` turns a sequence value into a number. The sequence
itself lives in the numbering table and is advanced in the same DynamoDB transaction that
writes the invoice (``invoicing.adapters.invoices``); this module holds the pure rules.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date

#: BR-FR-01/02: at most 35 characters, letters, digits and + - _ / only.
_VALID_NUMBER = re.compile(r"^[A-Za-z0-9+\-_/]{1,35}$")
_FIELDS = {"year", "yy", "seq"}


@dataclass(frozen=True, slots=True)
class NumberingPattern:
    """A numbering series: ``template`` uses ``{year}``, ``{yy}`` and ``{seq}`` (with a width)."""

    template: str
    yearly_reset: bool = True

    def __post_init__(self) -> None:
        fields = {name for _, name, _, _ in string.Formatter().parse(self.template) if name is not None}
        if "seq" not in fields:
            raise ValueError(f"numbering pattern {self.template!r} must contain {{seq}}")
        unknown = fields - _FIELDS
        if unknown:
            raise ValueError(f"numbering pattern {self.template!r}: unknown field(s) {sorted(unknown)}")
        if self.yearly_reset and not fields & {"year", "yy"}:
            raise ValueError(
                f"numbering pattern {self.template!r} restarts every year, so it must contain "
                "{year} or {yy}, or numbers would repeat"
            )
        try:
            self.format(99999, date(2099, 12, 31))
        except ValueError as exc:
            raise ValueError(f"numbering pattern {self.template!r}: {exc}") from exc

    def series(self, issued: date) -> str:
        """The counter a number is drawn from: one per pattern, and per year when it restarts."""
        return f"{self.template}#{issued.year}" if self.yearly_reset else self.template

    def format(self, seq: int, issued: date) -> str:
        if seq < 1:
            raise ValueError("sequence values start at 1")
        number = self.template.format(seq=seq, year=issued.year, yy=f"{issued.year % 100:02d}")
        if not _VALID_NUMBER.match(number):
            raise ValueError(
                f"number {number!r} breaks BR-FR-01/02 (35 letters, digits or + - _ / at most): the "
                f"series {self.template!r} is exhausted; widen it or start a new pattern"
            )
        return number
