"""Numbering under concurrency, against the moto server over HTTP: 8 generators issuing
invoices at once get exactly the numbers 1..n, each once, each claimed, in date order.

``make test`` runs the race short (8 × 12); ``make bench`` runs the same race in full
(8 × 50: ``numbering_400_s``, ``numbering_gaps``), from invoicing_tools.local_aws.numbering_race.
"""

from __future__ import annotations

from datetime import date

import pytest

from invoicing.adapters.invoices import ChronologyError, InvoiceRepository
from invoicing.domain.numbering import NumberingPattern
from invoicing.domain.terms import PaymentTerms
from invoicing_tools.local_aws.numbering_race import PATTERN, draft, race

WORKERS = 8
PER_WORKER = 12


def test_eight_concurrent_generators_number_their_invoices_without_gap_or_duplicate(resources, business):
    result = race(resources, business.seller, workers=WORKERS, per_worker=PER_WORKER)

    total = WORKERS * PER_WORKER
    assert sorted(result.numbers) == [f"FA2026-{n:05d}" for n in range(1, total + 1)]
    assert (result.gaps, result.duplicates) == (0, 0)
    assert result.in_issue_order
    stored = result.stored()
    assert stored["record_numbers"] == sorted(result.numbers)  # one record per number, none extra
    assert stored["counter"] == total
    assert stored["claims"] == stored["record_ids"]


def test_a_number_is_never_issued_before_an_earlier_dated_one(resources, business):
    repo = InvoiceRepository(resources)
    common = {"seller": business.seller, "numbering": PATTERN, "default_terms": PaymentTerms(30)}
    repo.issue(draft(0, 0), issue_date=date(2026, 11, 24), **common)
    with pytest.raises(ChronologyError):
        repo.issue(draft(0, 1), issue_date=date(2026, 11, 23), **common)
    # Nothing was consumed by the refused attempt: the next one continues the series.
    assert repo.issue(draft(0, 2), issue_date=date(2026, 11, 24), **common).invoice.number == "FA2026-00002"


def test_series_restart_each_year_and_credit_notes_have_their_own(resources, business):
    repo = InvoiceRepository(resources)
    common = {"seller": business.seller, "default_terms": PaymentTerms(30)}
    last_2026 = repo.issue(draft(1, 0), numbering=PATTERN, issue_date=date(2026, 12, 31), **common)
    first_2027 = repo.issue(draft(1, 1), numbering=PATTERN, issue_date=date(2027, 1, 1), **common)
    assert (last_2026.invoice.number, first_2027.invoice.number) == ("FA2026-00001", "FA2027-00001")
    continuous = NumberingPattern("F-{seq:06d}", yearly_reset=False)
    a = repo.issue(draft(2, 0), numbering=continuous, issue_date=date(2026, 12, 31), **common)
    b = repo.issue(draft(2, 1), numbering=continuous, issue_date=date(2027, 1, 1), **common)
    assert (a.invoice.number, b.invoice.number) == ("F-000001", "F-000002")
