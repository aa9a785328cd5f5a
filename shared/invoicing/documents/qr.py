"""SEPA credit-transfer QR code (EPC069-12, "GiroCode"), drawn as vector rectangles.

Banking apps in France and across the euro area read it: name, IBAN, BIC, amount and the
invoice number as remittance text are filled in for the payer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import segno
from segno import helpers

#: EPC069-12 limits.
_MAX_NAME = 70
_MAX_TEXT = 140
_MAX_AMOUNT = Decimal("999999999.99")
FIXED_MASK = 2


def epc_payload(*, name: str, iban: str, bic: str | None, amount: Decimal, text: str) -> str:
    """The EPC069-12 data, as segno's ``make_epc_qr`` helper builds and checks it."""
    # segno exposes the payload builder only through make_epc_qr(); its internal builder is
    # used so that the mask can be fixed. tests/unit/documents/test_qr.py proves that both give
    # the same symbol for the same mask.
    return helpers._make_epc_qr_data(
        name=name[:_MAX_NAME],
        iban=iban,
        amount=amount,
        text=text[:_MAX_TEXT],
        bic=bic,
        reference=None,
        purpose=None,
        encoding=None,
    )


@dataclass(frozen=True, slots=True)
class Symbol:
    """A square QR symbol ``size`` modules wide; its dark modules as rectangles
    (row, column, width, height), in modules."""

    size: int
    rects: tuple[tuple[int, int, int, int], ...]


def epc_symbol(*, name: str, iban: str, bic: str | None, amount: Decimal, text: str) -> Symbol | None:
    """The EPC payment code, or None when the payment cannot be expressed as one (amount out of
    range): the invoice then prints the bank details without a code."""
    if not Decimal("0.01") <= amount <= _MAX_AMOUNT:
        return None
    payload = epc_payload(name=name, iban=iban, bic=bic, amount=amount, text=text)
    # segno picks the best of the 8 masks by scoring each (3.4 ms); any mask is valid for
    # readers, so a fixed one keeps the code under a millisecond.
    code = segno.make_qr(payload, error="m", boost_error=False, mask=FIXED_MASK)
    # Dark modules as rectangles: runs along each row, merged with the same run on the rows
    # below. About half as many shapes to draw as modules in runs.
    done: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (column, length) -> first row
    size = len(code.matrix)
    for y, row in enumerate((*code.matrix, bytearray(size))):  # a blank row closes everything
        runs: set[tuple[int, int]] = set()
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.add((start, x - start))
            else:
                x += 1
        for run in list(open_runs):
            if run not in runs:
                first = open_runs.pop(run)
                done.append((first, run[0], run[1], y - first))
        for run in runs:
            open_runs.setdefault(run, y)
    return Symbol(size, tuple(sorted(done)))
