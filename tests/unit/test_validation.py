"""The one validation (services.validation), offline: what generate and `invoicing check` ask."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from invoicing.business import Business
from invoicing.domain.numbering import NumberingPattern
from invoicing.domain.parties import Locale
from invoicing.domain.problems import InputRejected
from invoicing.domain.terms import PaymentTerms
from invoicing.services.validation import Rules, placeholder_number, validate_sales
from tests import factories

DAY = date(2026, 11, 26)
BUSINESS = Business(
    seller=factories.seller(),
    invoice_numbering=NumberingPattern("FA{year}-{seq:05d}"),
    credit_note_numbering=NumberingPattern("AV{year}-{seq:05d}"),
    default_terms=PaymentTerms(30),
    default_locale=Locale.FR,
)


def validate(csv: str, business: Business = BUSINESS, render=None):
    rules = Rules.for_business(business, DAY)
    if render is not None:
        rules = replace(rules, render=render)
    data = csv.encode()
    return validate_sales(
        data,
        "ventes.csv",
        rules,
        clients={c.ref.casefold(): c for c in factories.CLIENTS},
        file_key="incoming/ventes.csv",
        file_sha256=hashlib.sha256(data).hexdigest(),
        find_invoice=lambda number: None,
    )


def problems_of(call) -> list[tuple[str, int | None]]:
    with pytest.raises(InputRejected) as rejected:
        call()
    return [(p.code, p.row) for p in rejected.value.problems]


def test_a_file_producing_more_documents_than_one_run_finishes_is_refused() -> None:
    rows = [{"reference_commande": f"BC-{n}"} for n in range(3)]
    small = replace(BUSINESS, max_documents_per_file=2)
    assert problems_of(lambda: validate(factories.sales_csv(*rows), small)) == [("too_many_documents", None)]
    assert len(validate(factories.sales_csv(*rows[:2]), small)) == 2


def test_a_document_above_the_ceiling_is_refused_naming_its_row() -> None:
    low = replace(BUSINESS, max_invoice_total=Decimal("1000.00"))
    csv = factories.sales_csv({"prix_unitaire_ht": "100"}, {"prix_unitaire_ht": "900", "client": "c002"})
    assert problems_of(lambda: validate(csv, low)) == [("amount_over_limit", 3)]


def test_a_document_that_cannot_render_is_a_row_problem_before_numbering() -> None:
    def broken(invoice):
        raise ValueError("All strings must be XML compatible")

    with pytest.raises(InputRejected) as rejected:
        validate(factories.sales_csv({}), render=broken)
    (problem,) = rejected.value.problems
    assert (problem.code, problem.row) == ("unrenderable", 2)
    assert "XML compatible" in problem.reason_en


def test_a_machine_failure_while_rendering_is_not_a_verdict_on_the_file() -> None:
    def out_of_memory(invoice):
        raise MemoryError

    with pytest.raises(MemoryError):
        validate(factories.sales_csv({}), render=out_of_memory)


def test_the_trial_render_uses_a_number_as_long_as_the_series_will_reach() -> None:
    (draft,) = validate(factories.sales_csv({}))
    assert placeholder_number(BUSINESS, draft, DAY) == "FA2026-99999"
