"""The Factur-X PDF: every case rendered, its XML extracted back out of the PDF with the
factur-x package's own reader and checked against the official rules; the structure is the one
factur-x's generate_from_binary writes; the visible invoice and the XML say the same."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from decimal import Decimal

import facturx_cases as cases
import facturx_validation as fv
import pdfplumber
import pytest
from documents_helpers import norm
from facturx import generate_from_binary, get_facturx_xml_from_pdf
from facturx.facturx import generate_xmp_bytes
from lxml import etree
from pypdf import PdfReader

from invoicing.documents import format as fmt
from invoicing.documents.cii import _PROFILES, build_cii
from invoicing.documents.cii_read import read_cii
from invoicing.documents.facturx import AF_RELATIONSHIP, xmp_metadata
from invoicing.documents.pdf import render_pdf
from invoicing.documents.render import render
from invoicing.domain.einvoicing import FACTURX_PROFILES
from invoicing.domain.invoice import Invoice

logging.getLogger("factur-x").setLevel(logging.WARNING)


@pytest.fixture(scope="module", autouse=True)
def compiled_rules() -> None:
    if all(path.exists() for path in fv.STYLESHEETS.values()):
        fv.compile_all()


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[Invoice, bytes, bytes]]:
    out = {}
    for name, invoice in cases.all_cases().items():
        documents = render(invoice)
        out[name] = (invoice, documents.pdf, documents.xml)
    return out


def embedded_file(pdf: bytes):
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    filespec = root["/AF"][0].get_object()
    return root, filespec, filespec["/EF"]["/F"].get_object()


def test_profiles_agree_across_layers() -> None:
    assert set(_PROFILES) == set(FACTURX_PROFILES) == {"basic", "en16931", "extended"}


@pytest.mark.parametrize("name", cases.CASES)
def test_xml_extracted_from_the_pdf_passes_the_official_rules(rendered, name: str) -> None:
    invoice, pdf, xml = rendered[name]
    # factur-x's own reader finds it, under the name the specification gives, and checks the XSD.
    filename, extracted = get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert extracted == xml == build_cii(invoice)
    result = fv.validate(extracted, "en16931")
    assert result.passed, result.summary()
    assert not result.fatal


@pytest.mark.parametrize("name", cases.CASES)
def test_what_the_pdf_carries_reads_back_as_the_invoice(rendered, name: str) -> None:
    invoice, pdf, _ = rendered[name]
    doc = read_cii(get_facturx_xml_from_pdf(pdf, check_xsd=False)[1])
    totals = invoice.totals
    assert doc.number == invoice.number
    assert doc.type_code == invoice.document_type.value
    assert doc.issue_date == invoice.issue_date
    assert doc.seller.name == invoice.seller.legal_name
    assert doc.seller.siren == invoice.seller.siren
    assert doc.buyer.name == invoice.buyer.name
    assert doc.buyer.vat_id == invoice.buyer.vat_id
    assert [line.net_amount for line in doc.lines] == [line.net_amount for line in invoice.lines]
    assert [line.quantity for line in doc.lines] == [line.quantity for line in invoice.lines]
    assert doc.totals.tax_basis_total == totals.tax_basis_total
    assert doc.totals.tax_total == totals.vat_total
    assert doc.totals.grand_total == totals.grand_total
    assert sorted((b.basis, b.amount) for b in doc.vat_breakdown) == sorted(
        (b.basis, b.amount) for b in totals.breakdown
    )
    if invoice.draft.corrects:
        (reference,) = doc.invoice_references
        assert (reference.number, reference.issue_date) == (
            invoice.draft.corrects.number,
            invoice.draft.corrects.issue_date,
        )


@pytest.mark.parametrize("profile", FACTURX_PROFILES)
def test_attachment_and_xmp_are_those_the_specification_requires(profile: str) -> None:
    invoice = cases.build("single_rate_services_s1")
    documents = render(invoice, profile)
    root, filespec, stream = embedded_file(documents.pdf)
    assert str(filespec["/AFRelationship"]) == f"/{AF_RELATIONSHIP[profile]}" == "/Alternative"
    assert str(filespec["/F"]) == str(filespec["/UF"]) == "factur-x.xml"
    assert str(stream["/Subtype"]) == "/text/xml"
    assert stream.get_data() == documents.xml
    params = stream["/Params"]
    assert params["/Size"] == len(documents.xml)
    assert params["/CheckSum"].original_bytes == hashlib.md5(documents.xml).digest()  # noqa: S324 - PDF spec
    assert "/ModDate" in params
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert [str(names[0])] == ["factur-x.xml"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    level = {"basic": "BASIC", "en16931": "EN 16931", "extended": "EXTENDED"}[profile]
    assert f"<fx:ConformanceLevel>{level}</fx:ConformanceLevel>" in xmp
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
    assert "<fx:DocumentType>INVOICE</fx:DocumentType>" in xmp


def _canonical_xmp(xmp: str | bytes) -> bytes:
    """An XMP packet with its dates, producer and creator tool blanked, canonicalised to compare."""
    text = xmp.decode() if isinstance(xmp, bytes) else xmp
    text = re.sub(r"<\?xpacket[^>]*\?>", "", text)
    root = etree.fromstring(text.strip().encode(), etree.XMLParser(remove_blank_text=True))
    for element in root.iter():
        tag = etree.QName(element).localname
        if tag in ("CreateDate", "ModifyDate", "MetadataDate", "Producer", "CreatorTool"):
            element.text = ""
    return etree.tostring(root, method="c14n")


def test_our_xmp_is_the_one_factur_x_writes_but_for_dates_and_tool_names() -> None:
    invoice = cases.build("discounts")
    ours = xmp_metadata(invoice, "en16931", title="T", subject="S")
    theirs = generate_xmp_bytes(
        "factur-x", "en16931", None, {"title": "T", "author": invoice.seller.legal_name, "subject": "S"}
    )
    assert _canonical_xmp(ours) == _canonical_xmp(theirs)


def test_same_structure_as_factur_x_generate_from_binary() -> None:
    """The reference path (factur-x rewriting our visual PDF with pypdf) and ours agree."""
    invoice = cases.build("mixed_rates_m1")
    xml = build_cii(invoice)
    ours = render_pdf(invoice, facturx=xml)
    metadata = {"author": invoice.seller.legal_name, "title": "T", "subject": "S", "keywords": "Factur-X"}
    reference = generate_from_binary(
        render_pdf(invoice),
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        afrelationship="alternative",
        pdf_metadata=metadata,
    )
    for pdf in (ours, reference):
        _, filespec, stream = embedded_file(pdf)
        assert str(filespec["/AFRelationship"]) == "/Alternative"
        assert str(filespec["/F"]) == "factur-x.xml"
        assert str(stream["/Subtype"]) == "/text/xml"
        assert stream.get_data() == xml
        assert stream["/Params"]["/CheckSum"].original_bytes == hashlib.md5(xml).digest()  # noqa: S324
        assert get_facturx_xml_from_pdf(pdf, check_xsd=True) == ("factur-x.xml", xml)


def test_rendering_is_deterministic_with_the_xml() -> None:
    invoice = cases.build("english_buyer")
    assert render(invoice).pdf == render(invoice).pdf


@pytest.mark.parametrize(
    "name", ["single_rate_services_s1", "mixed_rates_m1", "discounts", "credit_note_partial"]
)
def test_the_visible_invoice_says_what_the_xml_says(rendered, name: str) -> None:
    invoice, pdf, xml = rendered[name]
    doc = read_cii(xml)
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        text = norm(" ".join(page.extract_text() or "" for page in opened.pages))
    locale = invoice.locale
    assert doc.number in text
    assert fmt.day(doc.issue_date, locale) in text
    if doc.due_date and not invoice.is_credit_note:
        assert fmt.day(doc.due_date, locale) in text
    for amount in (doc.totals.tax_basis_total, doc.totals.tax_total, doc.totals.grand_total):
        assert norm(fmt.money(amount, locale)) in text
    for line in doc.lines:
        assert norm(fmt.amount(line.net_amount, locale)) in text
    assert doc.seller.name in text
    assert doc.buyer.name in text
    assert fmt.grouped(doc.seller.siren, 3) in text
    for breakdown in doc.vat_breakdown:
        assert norm(fmt.amount(breakdown.basis, locale)) in text
        assert norm(fmt.amount(breakdown.amount, locale)) in text
    assert sum((b.amount for b in doc.vat_breakdown), Decimal(0)) == doc.totals.tax_total
