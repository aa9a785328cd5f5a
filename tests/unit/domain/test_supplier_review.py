"""Supplier invoices: what makes one ready to book or waiting for the owner, and its purchase entry."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from invoicing.domain.accounting import (
    Account,
    AccountingError,
    Purchase,
    UnbalancedEntry,
    check_balanced,
    purchase_entry,
)
from invoicing.domain.supplier_invoice import Engine, SupplierInvoice, VatAmount
from invoicing.domain.supplier_review import Status, review

TODAY = date(2026, 11, 26)
D = Decimal


def good(**changes: object) -> SupplierInvoice:
    invoice = SupplierInvoice(
        engine=Engine.FACTURX,
        document_hash="a" * 64,
        supplier_name="Papeterie Martin SARL",
        supplier_siren="732829320",
        supplier_vat_id="FR44732829320",
        supplier_iban="FR7630006000011234567890189",
        invoice_number="F-2026-118",
        issue_date=date(2026, 11, 20),
        due_date=date(2026, 12, 20),
        currency="EUR",
        total_excl_tax=D("200.00"),
        total_tax=D("25.50"),
        total_incl_tax=D("225.50"),
        vat=(VatAmount(D("20"), D("100.00"), D("20.00")), VatAmount(D("5.5"), D("100.00"), D("5.50"))),
    ).with_confidence(1.0)
    return replace(invoice, **changes)  # type: ignore[arg-type]


def test_a_complete_consistent_invoice_is_ready() -> None:
    result = review(good(), today=TODAY)
    assert result.status is Status.READY
    assert result.problems == ()


def test_totals_that_do_not_add_up_wait_for_the_owner_with_the_figures() -> None:
    result = review(good(total_incl_tax=D("225.60")), today=TODAY)
    assert result.status is Status.TO_REVIEW
    (problem,) = [p for p in result.problems if p.code == "supplier_totals_mismatch"]
    assert "200.00" in problem.reason_en
    assert "225.50" in problem.reason_en
    assert "225.60" in problem.reason_en


def test_a_rate_whose_tax_is_off_by_more_than_a_cent_is_named() -> None:
    vat = (VatAmount(D("20"), D("100.00"), D("20.03")), VatAmount(D("5.5"), D("100.00"), D("5.47")))
    result = review(good(vat=vat), today=TODAY)
    assert result.codes == ("supplier_vat_rate_mismatch", "supplier_vat_rate_mismatch")
    assert "20.00 expected, 20.03 read" in result.problems[0].reason_en


def test_a_one_cent_rounding_per_rate_is_accepted_but_the_sum_must_match() -> None:
    vat = (VatAmount(D("20"), D("100.00"), D("20.01")), VatAmount(D("5.5"), D("100.00"), D("5.50")))
    assert review(good(vat=vat), today=TODAY).codes == ("supplier_vat_breakdown_mismatch",)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("supplier_siren", "732829321", "bad_siren"),
        ("supplier_siret", "73282932000075", "supplier_bad_siret"),
        ("supplier_vat_id", "FR00732829320", "bad_vat_id"),
        ("supplier_iban", "FR7630006000011234567890188", "supplier_bad_iban"),
        ("supplier_vat_id", "FR40303265045", "vat_id_siren_mismatch"),
    ],
)
def test_identifiers_are_checked_by_their_keys(field: str, value: str, code: str) -> None:
    result = review(good(**{field: value}), today=TODAY)
    assert code in result.codes
    assert next(p for p in result.problems if p.code == code).column == field


@pytest.mark.parametrize(
    ("issued", "due", "code"),
    [
        (date(2026, 11, 28), None, "supplier_date_future"),
        (date(2025, 11, 1), None, "supplier_date_old"),
        (date(2026, 11, 20), date(2026, 11, 1), "supplier_due_before_issue"),
    ],
)
def test_implausible_dates(issued: date, due: date | None, code: str) -> None:
    assert code in review(good(issue_date=issued, due_date=due), today=TODAY).codes


def test_tomorrow_is_not_the_future_across_time_zones() -> None:
    assert review(good(issue_date=date(2026, 11, 27), due_date=None), today=TODAY).status is Status.READY


def test_every_missing_mention_is_listed_at_once() -> None:
    bare = SupplierInvoice(engine=Engine.TEXT, document_hash="b" * 64)
    result = review(bare, today=TODAY)
    missing = [p.column for p in result.problems if p.code == "supplier_missing"]
    assert missing == [
        "supplier_name",
        "supplier_id",
        "invoice_number",
        "issue_date",
        "total_excl_tax",
        "total_incl_tax",
        "total_tax",
    ]
    assert "numéro de facture" in result.problems[2].reason_fr


def test_no_vat_line_is_fine_when_the_totals_are_equal() -> None:
    franchise = good(total_tax=None, total_incl_tax=D("200.00"), vat=())
    assert review(franchise, today=TODAY).status is Status.READY


def test_duplicates_foreign_currency_and_our_own_invoice() -> None:
    result = review(
        good(currency="USD"),
        today=TODAY,
        duplicate_of="supplier/abc.pdf",
        file_seen_in="inbox/upload/x.pdf",
        our_ids=("732829320",),
    )
    assert set(result.codes) == {
        "supplier_duplicate_number",
        "supplier_duplicate_file",
        "supplier_is_us",
        "supplier_currency",
    }


def test_uncertain_readings_are_shown_only_for_inexact_engines() -> None:
    guessed = replace(
        good(engine=Engine.TEXT),
        confidence={**good().confidence, "supplier_name": 0.5, "invoice_number": 0.95},
    )
    result = review(guessed, today=TODAY)
    (problem,) = result.problems
    assert problem.code == "supplier_low_confidence"
    assert problem.reason_en == "Uncertain reading of: fournisseur (supplier)."
    assert problem.reason_fr == "Lecture incertaine de : fournisseur (supplier)."
    assert review(replace(guessed, engine=Engine.UBL), today=TODAY).status is Status.READY


def test_hostile_values_are_quoted_back_inert() -> None:
    result = review(good(supplier_iban="\u202eFR76=HYPERLINK()" + "9" * 500), today=TODAY)
    (problem,) = result.problems
    assert "\u202e" not in (problem.value or "")
    assert len(problem.value or "") < 200


# --- the purchases journal ---------------------------------------------------------------------


def purchase(**changes: object) -> Purchase:
    base = Purchase(
        supplier_ref="732829320",
        supplier_name="Papeterie Martin SARL",
        number="F-2026-118",
        issue_date=date(2026, 11, 20),
        total_excl_tax=D("150.00"),
        total_incl_tax=D("175.50"),
        vat=((D("20"), D("20.00")), (D("5.5"), D("5.50"))),
        account=Account("6064", "Fournitures administratives"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_purchase_debits_the_expense_and_the_deductible_vat_and_credits_the_supplier() -> None:
    entry = purchase_entry(purchase())
    assert entry.journal.code == "HA"
    got = [(line.account, line.debit, line.credit, line.auxiliary) for line in entry.lines]
    assert got == [
        ("6064", D("150.00"), D("0.00"), ""),
        ("44566", D("20.00"), D("0.00"), ""),
        ("44566", D("5.50"), D("0.00"), ""),
        ("401", D("0.00"), D("175.50"), "732829320"),
    ]
    assert check_balanced(entry) == D("175.50")


def test_a_supplier_credit_note_posts_the_reverse() -> None:
    entry = purchase_entry(purchase(credit_note=True))
    assert [(line.account, line.debit > 0) for line in entry.lines] == [
        ("6064", False),
        ("44566", False),
        ("44566", False),
        ("401", True),
    ]
    assert entry.lines[0].label.startswith("Avoir F-2026-118")


def test_totals_that_disagree_cannot_be_posted() -> None:
    with pytest.raises(UnbalancedEntry):
        purchase_entry(purchase(total_incl_tax=D("175.51")))
    with pytest.raises(AccountingError, match="USD"):
        purchase_entry(purchase(currency="USD"))
