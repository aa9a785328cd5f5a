"""Stored records: an invoice goes to a JSON-safe dict and comes back identical."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from domain_helpers import draft_for, std_line

from invoicing.domain.codec import invoice_from_dict, invoice_to_dict
from invoicing.domain.invoice import (
    AllowanceCharge,
    Discount,
    DocumentType,
    Invoice,
    InvoiceReference,
    Line,
    Source,
    issue,
)
from invoicing.domain.parties import Client, OperationCategory, Seller
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatTreatment


def walk(value: Any):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


@pytest.fixture
def rich_invoice(seller: Seller, belgian: Client) -> Invoice:
    seller = dataclasses.replace(
        seller, vat_on_debits=True, operation_category=OperationCategory.MIXED, phone="+33 4 78 00 00 00"
    )
    lines = (
        std_line(
            "1234.567891",
            quantity="2.5000",
            description="Audit «qualité» — phase 1",
            unit="jour",
            discount=Discount(percent=Decimal("7.5")),
            service_date=date(2026, 11, 3),
            source_row=2,
        ),
        std_line("19.99", quantity="3", rate="5.5", discount=Discount(amount=Decimal("1.50")), source_row=3),
        std_line("0.0125", quantity="1200", rate="2.1", service_date=date(2026, 11, 17), source_row=4),
        Line(
            "Livraison intracommunautaire", Decimal("1"), "u", Decimal("500"), VatTreatment.exempt("intracom")
        ),
    )
    adjustments = (
        AllowanceCharge(False, Decimal("25.00"), "Remise fidélité", VatTreatment.standard(Decimal(20)), "95"),
        AllowanceCharge(True, Decimal("12.40"), "Port", VatTreatment.standard(Decimal("5.5")), "FC"),
    )
    draft = draft_for(
        belgian,
        *lines,
        order_ref="PO-2026/118",
        adjustments=adjustments,
        source=Source("incoming/ventes.xlsx", "0f" * 32, "BE-OURTHE|2026-11"),
    )
    invoice = issue(
        draft,
        seller=seller,
        number="FA2026-00042",
        issue_date=date(2026, 11, 30),
        default_terms=PaymentTerms(60),
    )
    return invoice


def test_round_trip_gives_an_equal_invoice(rich_invoice: Invoice) -> None:
    record = json.loads(json.dumps(invoice_to_dict(rich_invoice)))  # really JSON-safe
    back = invoice_from_dict(record)
    assert back == rich_invoice
    assert back.lines[0].quantity.as_tuple() == Decimal("2.5000").as_tuple()  # exponent kept too
    assert back.buyer.payment_terms == PaymentTerms(30)
    assert back.locale == "en"
    assert invoice_to_dict(back) == invoice_to_dict(rich_invoice)


def test_record_holds_no_float(rich_invoice: Invoice) -> None:
    record = invoice_to_dict(rich_invoice)
    assert not any(isinstance(value, float) for value in walk(record))
    assert record["totals"]["grand_total"] == str(rich_invoice.totals.grand_total)


def test_credit_note_round_trip(seller: Seller, company: Client) -> None:
    draft = draft_for(
        company,
        std_line("100"),
        document_type=DocumentType.CREDIT_NOTE,
        corrects=InvoiceReference("FA2026-00001", date(2026, 10, 1)),
        credit_reason="Retour de marchandise",
    )
    credit = issue(
        draft,
        seller=seller,
        number="AV2026-00001",
        issue_date=date(2026, 11, 2),
        default_terms=PaymentTerms(30),
        invoice_id="cn-1",
    )
    assert invoice_from_dict(invoice_to_dict(credit)) == credit


@pytest.mark.parametrize("field", ["tax_basis_total", "vat_total", "grand_total"])
def test_tampered_stored_total_is_refused(rich_invoice: Invoice, field: str) -> None:
    record = invoice_to_dict(rich_invoice)
    record["totals"][field] = str(Decimal(record["totals"][field]) + Decimal("0.01"))
    with pytest.raises(ValueError, match="stored totals of FA2026-00042"):
        invoice_from_dict(record)


def test_tampered_line_is_refused(rich_invoice: Invoice) -> None:
    record = invoice_to_dict(rich_invoice)
    tampered = copy.deepcopy(record)
    tampered["draft"]["lines"][1]["unit_price"] = "19.98"
    with pytest.raises(ValueError, match="do not match"):
        invoice_from_dict(tampered)


def test_unknown_schema_is_refused(rich_invoice: Invoice) -> None:
    record = invoice_to_dict(rich_invoice)
    record["schema"] = 99
    with pytest.raises(ValueError, match="schema"):
        invoice_from_dict(record)
