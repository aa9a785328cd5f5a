"""Everything stored for an issued document: the PDF and, with Factur-X, its CII XML."""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.documents.pdf import render_pdf
from invoicing.domain.invoice import Invoice


@dataclass(frozen=True, slots=True)
class Rendered:
    pdf: bytes
    xml: bytes | None = None


def render(invoice: Invoice) -> Rendered:
    return Rendered(pdf=render_pdf(invoice))
