"""Builders shared by the domain tests (imported as a plain module, like ingest_helpers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from invoicing.domain.invoice import DocumentType, Draft, Line
from invoicing.domain.parties import Client
from invoicing.domain.vat import VatTreatment


def std_line(price: str, quantity: str = "1", rate: str = "20", **kwargs) -> Line:
    """A standard-rated line (quantity x price at ``rate`` %)."""
    return Line(
        kwargs.pop("description", "Prestation"),
        Decimal(quantity),
        kwargs.pop("unit", "u"),
        Decimal(price),
        VatTreatment.standard(Decimal(rate)),
        **kwargs,
    )


def draft_for(client: Client, *lines: Line, **kwargs) -> Draft:
    return Draft(
        kwargs.pop("document_type", DocumentType.INVOICE),
        client,
        tuple(lines),
        kwargs.pop("period_start", date(2026, 11, 1)),
        kwargs.pop("period_end", date(2026, 11, 30)),
        **kwargs,
    )
