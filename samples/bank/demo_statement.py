"""Fill ``releve-demo.csv``, the demo's bank statement, with what the demo issued.

The demo's invoice numbers carry the year it runs in and its dates are "today", so the sample is
a template with two kinds of placeholders:

- ``{facture C001 3054,00}``: the number of the invoice (not a credit note) of client ``C001``
  whose total incl. VAT is 3 054,00 (exactly one must exist);
- ``{jour}``, ``{jour+3}``, ``{jour-2}``: that day, as dd/mm/yyyy, counted from the day given.

Used by ``make demo`` and by tests/integration/test_bank_import.py::

    fill = runpy.run_path(str(SAMPLES / "bank" / "demo_statement.py"))["fill"]
    data = fill((SAMPLES / "bank" / "releve-demo.csv").read_text("utf-8"), repo.all(), day)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

_INVOICE = re.compile(r"\{facture (\S+) ([\d\s.,]+)\}")
_DAY = re.compile(r"\{jour([+-]\d+)?\}")


def fill(template: str, invoices: Iterable[Any], day: date) -> bytes:
    """The statement, as bytes in UTF-8. ``invoices``: ``StoredInvoice`` values (the demo's
    ``InvoiceRepository.all()``). Raises ``LookupError`` when a placeholder names no invoice or
    several."""
    issued = [s.invoice for s in invoices if not s.invoice.is_credit_note]

    def number(found: re.Match[str]) -> str:
        ref = found[1]
        total = Decimal("".join(found[2].split()).replace(",", "."))
        hits = [i.number for i in issued if i.buyer.ref == ref and i.totals.grand_total == total]
        if len(hits) != 1:
            raise LookupError(f"{found[0]}: {len(hits)} invoices of {ref} total {total} (one expected)")
        return hits[0]

    text = _INVOICE.sub(number, template)
    text = _DAY.sub(lambda m: (day + timedelta(days=int(m[1] or 0))).strftime("%d/%m/%Y"), text)
    return text.encode("utf-8")
