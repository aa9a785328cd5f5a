"""Builders shared by the domain tests (imported as a plain module, like ingest_helpers)."""

from __future__ import annotations

from invoicing.domain.invoice import Draft, Line
from invoicing.domain.parties import Client
from tests import factories


def std_line(price: str, quantity: str = "1", rate: str = "20", **kwargs) -> Line:
    """A standard-rated line (quantity x price at ``rate`` %)."""
    return factories.line(kwargs.pop("description", "Prestation"), quantity, price, rate, **kwargs)


def draft_for(client: Client, *lines: Line, **kwargs) -> Draft:
    return factories.draft(client, *lines, **kwargs)
