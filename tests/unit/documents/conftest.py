"""Invoices rendered once per test session: rendering and reading back a PDF is the slow part."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from documents_helpers import COMPANY, ENGLISH, PERSON, exempt, line, make_invoice

from invoicing.documents.pdf import render_pdf
from invoicing.domain.invoice import AllowanceCharge, Discount, DocumentType, Invoice, InvoiceReference
from invoicing.domain.parties import Client
from invoicing.domain.vat import VatTreatment


@pytest.fixture(scope="session")
def business_invoice() -> Invoice:
    """One page, a business buyer, every VAT rate kind, a discount and an exempt line."""
    lines = (
        line("Audit organisationnel", "2.5", "1234.5", unit="jour", discount=Discount(percent=Decimal(10))),
        line("Livres techniques", "3", "12.99", rate="5.5"),
        line("Impressions couleur", "1200", "0.012345", rate="10", unit="page"),
        exempt("Matériel livré hors UE", "1", "100", "export"),
    )
    return make_invoice(COMPANY, lines, order_ref="PO-2026/118")


@pytest.fixture(scope="session")
def business_pdf(business_invoice: Invoice) -> bytes:
    return render_pdf(business_invoice)


@pytest.fixture(scope="session")
def consumer_invoice() -> Invoice:
    return make_invoice(
        PERSON,
        (line("Dépannage chauffe-eau", "1", "180", rate="10"),),
        period_start=date(2026, 11, 12),
        period_end=date(2026, 11, 12),
        number="FA2026-00043",
    )


@pytest.fixture(scope="session")
def consumer_pdf(consumer_invoice: Invoice) -> bytes:
    return render_pdf(consumer_invoice)


@pytest.fixture(scope="session")
def english_invoice() -> Invoice:
    lines = (
        line("Consulting", "3", "950", rate="20"),
        exempt("Intra-community supply of goods", "10", "99.90", "intracom"),
    )
    shipping = AllowanceCharge(True, Decimal("35.00"), "Shipping", VatTreatment.standard(Decimal(20)), "FC")
    return make_invoice(ENGLISH, lines, adjustments=(shipping,), number="FA2026-00044")


@pytest.fixture(scope="session")
def english_pdf(english_invoice: Invoice) -> bytes:
    return render_pdf(english_invoice)


@pytest.fixture(scope="session")
def credit_note() -> Invoice:
    return make_invoice(
        COMPANY,
        (line("Audit organisationnel (jour annulé)", "1", "1234.5"),),
        document_type=DocumentType.CREDIT_NOTE,
        corrects=InvoiceReference("FA2026-00007", date(2026, 10, 15)),
        credit_reason="Journée d'audit du 14/10 annulée",
        number="AV2026-00003",
    )


@pytest.fixture(scope="session")
def credit_note_pdf(credit_note: Invoice) -> bytes:
    return render_pdf(credit_note)


@pytest.fixture(scope="session")
def long_invoice() -> Invoice:
    lines = tuple(
        line(
            f"Article {n:03d} "
            + ("avec une désignation assez longue pour tenir sur deux lignes " * (n % 3 == 0)),
            str(n),
            f"{n}.25",
            rate=("20", "10", "5.5")[n % 3],
        )
        for n in range(1, 61)
    )
    return make_invoice(COMPANY, lines, number="FA2026-00045")


@pytest.fixture(scope="session")
def long_pdf(long_invoice: Invoice) -> bytes:
    return render_pdf(long_invoice)


@pytest.fixture(scope="session")
def foreign_script_invoice() -> Invoice:
    """Names outside fonts.CHARSET: the renderer falls back to the full font."""
    buyer = Client(ref="GR-01", name="Αθηνά Nguyễn", address=PERSON.address)
    return make_invoice(buyer, (line("Traduction ελληνικά / tiếng Việt", "2", "80"),), number="FA2026-00046")


@pytest.fixture(scope="session")
def foreign_script_pdf(foreign_script_invoice: Invoice) -> bytes:
    return render_pdf(foreign_script_invoice)
