"""Factur-X: the structured invoice (CII XML) embedded in the PDF/A-3B, as the Factur-X 1.0
specification requires.

- the XML is attached as ``factur-x.xml`` (MIME text/xml), associated with the document
  catalog (``/AF``) with relationship ``Alternative`` for the BASIC, EN 16931 and EXTENDED
  profiles (the PDF and the XML are equivalent invoices) and ``Data`` below them;
- the XMP metadata declares PDF/A-3B and the Factur-X extension schema (document type,
  file name, version, conformance level). It is the factur-x package's own XMP, built by its
  ``generate_xmp_object``, dated with the invoice's issue date so rendering stays deterministic.

The attachment is written by fpdf2 while the invoice is rendered (its PDF/A-3 associated-file
support), instead of by factur-x's ``generate_from_binary``: that function re-reads and
re-writes the whole PDF with pypdf, which costs as much as rendering the invoice (7 ms of
14 on our benchmark invoice). tests/unit/documents/test_facturx_pdf.py checks that both give
the same structure, and that factur-x reads our PDFs back.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time

from facturx.facturx import FACTURX_FILENAME, FACTURX_LEVEL2xmp, generate_xmp_object
from fpdf import FPDF
from fpdf.syntax import PDFDate
from fpdf.syntax import create_dictionary_string as pdf_dict
from lxml import etree

from invoicing.domain.einvoicing import FACTURX_PROFILES
from invoicing.domain.invoice import Invoice

#: Factur-X 1.0.05+ (ZUGFeRD 2.1): Alternative for BASIC and up, Data for MINIMUM/BASIC WL.
AF_RELATIONSHIP = {"minimum": "Data", "basicwl": "Data", "basic": "Alternative", "en16931": "Alternative",
                   "extended": "Alternative"}  # fmt: skip
_URN = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"


def issue_timestamp(invoice: Invoice) -> datetime:
    """The instant every date inside the PDF uses: the issue date, midnight UTC."""
    return datetime.combine(invoice.issue_date, time(0, 0), tzinfo=UTC)


def xmp_metadata(invoice: Invoice, profile: str, *, title: str, subject: str) -> str:
    """The PDF/A-3B + Factur-X XMP packet body (<x:xmpmeta>), from the factur-x package."""
    stamp = issue_timestamp(invoice).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    root = generate_xmp_object(
        {
            "pdfa3_flavor": "B",
            "title": title,
            "author": invoice.seller.legal_name,
            "subject": subject,
            "producer": "fpdf2",
            "creator_tool": "invoicing-automation",
            "timestamp": stamp,
            "version": "1.0",
            "documenttype": "INVOICE",  # credit notes too: Factur-X has one document type
            "xml_filename": FACTURX_FILENAME,
            "xmp_level": FACTURX_LEVEL2xmp[profile],
            "urn": _URN,
        }
    )
    return etree.tostring(root, encoding="unicode")


def attach(pdf: FPDF, invoice: Invoice, xml: bytes, profile: str) -> None:
    """Embed ``xml`` into ``pdf`` (before output) as the Factur-X invoice of ``profile``."""
    if profile not in FACTURX_PROFILES:
        raise ValueError(f"unknown Factur-X profile {profile!r}; use one of {FACTURX_PROFILES}")
    stamp = issue_timestamp(invoice)
    embedded = pdf.embed_file(
        bytes=xml,
        basename=FACTURX_FILENAME,
        desc="Factur-X XML file",
        mime_type="text/xml",
        associated_file_relationship=AF_RELATIONSHIP[profile],
        compress=True,
    )
    # fpdf2 2.8.9 computes /CheckSum over the compressed stream; the PDF specification
    # (7.11.4.2) wants the MD5 of the file itself, as factur-x writes it. So the parameters
    # are set here, with fpdf2's own serialisers.
    date = PDFDate(stamp, with_tz=True).serialize()
    embedded.params = pdf_dict(
        {
            "/Size": len(xml),
            "/CreationDate": date,
            "/ModDate": date,
            "/CheckSum": f"<{hashlib.md5(xml, usedforsecurity=False).hexdigest()}>",
        }
    )
    pdf.set_xmp_metadata(xmp_metadata(invoice, profile, title=pdf.title or "", subject=pdf.subject or ""))
