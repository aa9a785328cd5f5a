"""Lines, drafts and issued invoices (their running state: test_domain_receivable)."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from domain_helpers import draft_for, std_line

from invoicing.domain.invoice import (
    AllowanceCharge,
    Discount,
    DocumentType,
    InvoiceReference,
    Line,
    Source,
    compute_totals,
    issue,
)
from invoicing.domain.parties import Client, Seller
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import EXEMPTIONS, VatTreatment

ISSUED_ON = date(2026, 11, 23)
DEFAULT_TERMS = PaymentTerms(30)


def half_up(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def exempt_line(key: str, price: str = "100") -> Line:
    return Line(f"Ligne {key}", Decimal(1), "u", Decimal(price), VatTreatment.exempt(key))


# --- lines ----------------------------------------------------------------------------------------


def test_line_amounts_follow_the_rounding_rule() -> None:
    line = std_line("0.333333", quantity="3.0001", discount=Discount(percent=Decimal("12.5")))
    gross = half_up(Decimal("3.0001") * Decimal("0.333333"))
    assert line.gross_amount == gross
    assert line.discount_amount == half_up(gross * Decimal("0.125"))
    assert line.net_amount == gross - half_up(gross * Decimal("0.125"))


def test_amount_discount_is_taken_in_cents() -> None:
    line = std_line("10", discount=Discount(amount=Decimal("2.505")))
    assert line.discount_amount == Decimal("2.51")
    assert line.net_amount == Decimal("7.49")


@pytest.mark.parametrize("quantity", ["0", "-1", "-0.0001"])
def test_line_quantity_must_be_positive(quantity: str) -> None:
    with pytest.raises(ValueError, match="quantity must be positive"):
        std_line("10", quantity=quantity)


def test_line_unit_price_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        std_line("-0.01")
    assert std_line("0").net_amount == 0  # a free line is allowed


@pytest.mark.parametrize(
    "discount",
    [Discount(amount=Decimal("10.01")), Discount(amount=Decimal("10.005"))],
)
def test_line_discount_cannot_exceed_the_line(discount: Discount) -> None:
    with pytest.raises(ValueError, match="discount exceeds"):
        std_line("10", discount=discount)


@pytest.mark.parametrize(
    "discount",
    [Discount(amount=Decimal("10.00")), Discount(amount=Decimal("10.004")), Discount(percent=Decimal(100))],
)
def test_line_discount_up_to_the_whole_line_is_allowed(discount: Discount) -> None:
    assert std_line("10", discount=discount).net_amount == Decimal("0.00")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"percent": Decimal(10), "amount": Decimal(1)},
        {"percent": Decimal("100.01")},
        {"percent": Decimal(-1)},
        {"amount": Decimal("-0.01")},
    ],
)
def test_discount_invariants(kwargs: dict[str, Decimal]) -> None:
    with pytest.raises(ValueError, match="discount"):
        Discount(**kwargs)


# --- drafts ---------------------------------------------------------------------------------------


def test_draft_needs_a_line_and_an_ordered_period(company: Client) -> None:
    with pytest.raises(ValueError, match="at least one line"):
        draft_for(company)
    with pytest.raises(ValueError, match="period ends before"):
        draft_for(company, std_line("1"), period_start=date(2026, 11, 2), period_end=date(2026, 11, 1))
    one_day = draft_for(company, std_line("1"), period_start=date(2026, 11, 2), period_end=date(2026, 11, 2))
    assert one_day.period_start == one_day.period_end


def test_credit_note_must_reference_the_invoice_it_corrects(company: Client) -> None:
    with pytest.raises(ValueError, match="credit note must reference"):
        draft_for(company, std_line("1"), document_type=DocumentType.CREDIT_NOTE)


def test_invoice_must_not_reference_a_corrected_invoice(company: Client) -> None:
    ref = InvoiceReference("FA2026-00001", date(2026, 10, 1))
    with pytest.raises(ValueError, match="only a credit note"):
        draft_for(company, std_line("1"), corrects=ref)
    credit = draft_for(company, std_line("1"), document_type=DocumentType.CREDIT_NOTE, corrects=ref)
    assert credit.corrects == ref


# --- issuing --------------------------------------------------------------------------------------


def test_issue_takes_the_due_date_from_the_client_terms(seller: Seller, company: Client) -> None:
    assert company.payment_terms == PaymentTerms(45, end_of_month=True)
    invoice = issue(
        draft_for(company, std_line("100")),
        seller=seller,
        number="FA2026-00001",
        issue_date=ISSUED_ON,
        default_terms=DEFAULT_TERMS,
        invoice_id="inv-1",
    )
    assert invoice.payment_terms == company.payment_terms
    # 23/11/2026 + 45 days = 07/01/2027, then the end of that month.
    assert invoice.due_date == date(2027, 1, 31)
    assert invoice.issue_date == ISSUED_ON
    assert invoice.number == "FA2026-00001"
    assert invoice.totals == compute_totals(invoice.lines)


def test_issue_falls_back_to_the_default_terms(seller: Seller, person: Client) -> None:
    assert person.payment_terms is None
    invoice = issue(
        draft_for(person, std_line("100")),
        seller=seller,
        number="FA2026-00002",
        issue_date=ISSUED_ON,
        default_terms=DEFAULT_TERMS,
        invoice_id="inv-2",
    )
    assert invoice.payment_terms == DEFAULT_TERMS
    assert invoice.due_date == ISSUED_ON + timedelta(days=30)


def test_credit_note_is_due_on_its_issue_date(seller: Seller, company: Client) -> None:
    draft = draft_for(
        company,
        std_line("100"),
        document_type=DocumentType.CREDIT_NOTE,
        corrects=InvoiceReference("FA2026-00001", date(2026, 10, 1)),
        credit_reason="Erreur de quantité",
    )
    credit = issue(
        draft,
        seller=seller,
        number="AV2026-00001",
        issue_date=ISSUED_ON,
        default_terms=DEFAULT_TERMS,
        invoice_id="c",
    )
    assert credit.is_credit_note
    assert credit.due_date == ISSUED_ON
    assert credit.payment_terms == PaymentTerms(0)


def test_issue_uses_the_source_for_the_id_and_needs_one(seller: Seller, company: Client) -> None:
    source = Source("incoming/ventes-novembre.csv", "ab" * 32, "C001|FA")
    invoice = issue(
        draft_for(company, std_line("1"), source=source),
        seller=seller,
        number="FA2026-00003",
        issue_date=ISSUED_ON,
        default_terms=DEFAULT_TERMS,
    )
    assert invoice.invoice_id == source.invoice_id
    with pytest.raises(ValueError, match="invoice id is needed"):
        issue(
            draft_for(company, std_line("1")),
            seller=seller,
            number="FA2026-00004",
            issue_date=ISSUED_ON,
            default_terms=DEFAULT_TERMS,
        )


def test_source_invoice_id_is_deterministic() -> None:
    sha = hashlib.sha256(b"file").hexdigest()
    a = Source("incoming/a.csv", sha, "C001")
    expected = "inv-" + hashlib.sha256(f"{sha}|C001".encode()).hexdigest()[:32]
    assert a.invoice_id == expected
    assert Source("incoming/a.csv", sha, "C001").invoice_id == a.invoice_id
    # The same content uploaded under another name is the same invoice; another group is not.
    assert Source("incoming/copy-of-a.csv", sha, "C001").invoice_id == a.invoice_id
    assert Source("incoming/a.csv", sha, "C002").invoice_id != a.invoice_id
    assert Source("incoming/a.csv", hashlib.sha256(b"other").hexdigest(), "C001").invoice_id != a.invoice_id


def test_invoice_refuses_totals_that_do_not_match_its_lines(seller: Seller, company: Client) -> None:
    invoice = issue(
        draft_for(company, std_line("100")),
        seller=seller,
        number="FA2026-00005",
        issue_date=ISSUED_ON,
        default_terms=DEFAULT_TERMS,
        invoice_id="inv-5",
    )
    other = compute_totals((std_line("100.01"),))
    with pytest.raises(ValueError, match="totals do not match"):
        dataclasses.replace(invoice, totals=other)
    with pytest.raises(ValueError, match="due date before issue date"):
        dataclasses.replace(invoice, due_date=ISSUED_ON - timedelta(days=1))


def test_exemptions_are_listed_once_in_line_order_in_the_client_language(
    seller: Seller, company: Client, belgian: Client
) -> None:
    lines = (
        exempt_line("export"),
        std_line("10"),
        exempt_line("intracom"),
        exempt_line("export", "5"),
        exempt_line("autoliquidation"),
    )
    adjustment = AllowanceCharge(True, Decimal("9.00"), "Port", VatTreatment.exempt("franchise"))
    order = ["export", "intracom", "autoliquidation", "franchise"]
    for client, attribute in ((company, "text_fr"), (belgian, "text_en")):
        invoice = issue(
            draft_for(client, *lines, adjustments=(adjustment,)),
            seller=seller,
            number="FA2026-00006",
            issue_date=ISSUED_ON,
            default_terms=DEFAULT_TERMS,
            invoice_id="inv-6",
        )
        assert invoice.exemptions == tuple(getattr(EXEMPTIONS[key], attribute) for key in order)
        assert invoice.has_standard_vat


def test_no_exemption_wording_without_an_exempt_line(seller: Seller, company: Client) -> None:
    invoice = issue(
        draft_for(company, std_line("10"), std_line("10", rate="5.5")),
        seller=seller,
        number="FA2026-00007",
        issue_date=ISSUED_ON,
        default_terms=DEFAULT_TERMS,
        invoice_id="inv-7",
    )
    assert invoice.exemptions == ()
    only_exempt = issue(
        draft_for(company, exempt_line("intracom")),
        seller=seller,
        number="FA2026-00008",
        issue_date=ISSUED_ON,
        default_terms=DEFAULT_TERMS,
        invoice_id="inv-8",
    )
    assert not only_exempt.has_standard_vat


# --- VAT treatments -------------------------------------------------------------------------------


def test_vat_treatment_invariants() -> None:
    with pytest.raises(ValueError, match="unknown French VAT rate"):
        VatTreatment.standard(Decimal(19))
    with pytest.raises(ValueError, match="rate must be 0"):
        VatTreatment(EXEMPTIONS["export"].category, Decimal(20), EXEMPTIONS["export"])
    with pytest.raises(ValueError, match="needs its exemption"):
        VatTreatment(EXEMPTIONS["export"].category, Decimal(0), EXEMPTIONS["intracom"])
    assert VatTreatment.standard(Decimal("20.00")).key == VatTreatment.standard(Decimal(20)).key
