"""Numbering under concurrency, against the moto server over HTTP: 8 generators issuing 400
invoices at once get exactly the numbers 1..400, each once, each claimed, in date order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest

from invoicing.adapters.invoices import ChronologyError, InvoiceRepository
from invoicing.adapters.records import models
from invoicing.domain.invoice import DocumentType, Draft, Line, Source
from invoicing.domain.numbering import NumberingPattern
from invoicing.domain.parties import Address, Client
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatTreatment

WORKERS = 8
PER_WORKER = 50
BUYER = Client(
    ref="C001", name="Boulangerie Lefèvre SAS", address=Address(("4 rue de la République",), "69001", "Lyon")
)
PATTERN = NumberingPattern("FA{year}-{seq:05d}")


def draft(worker: int, index: int) -> Draft:
    line = Line(
        "Pain de campagne",
        quantity=Decimal(index + 1),
        unit="pièce",
        unit_price=Decimal(2 + worker),
        vat=VatTreatment.standard("5.5"),
    )
    return Draft(
        DocumentType.INVOICE,
        BUYER,
        (line,),
        date(2026, 11, 2),
        date(2026, 11, 2),
        source=Source("incoming/concurrent.csv", f"file-{worker}", f"group-{index}"),
    )


def test_eight_concurrent_generators_number_400_invoices_without_gap_or_duplicate(resources, business):
    start = threading.Barrier(WORKERS)
    issued_on = date(2026, 11, 23)

    def generator(worker: int) -> list[str]:
        # Each worker is its own "Lambda": its own repository, connections and retries.
        repo = InvoiceRepository(resources)
        start.wait()
        return [
            repo.issue(
                draft(worker, i),
                seller=business.seller,
                numbering=PATTERN,
                issue_date=issued_on,
                default_terms=PaymentTerms(30),
            ).invoice.number
            for i in range(PER_WORKER)
        ]

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(generator, range(WORKERS)))

    total = WORKERS * PER_WORKER
    numbers = [n for worker in results for n in worker]
    assert sorted(numbers) == [f"FA2026-{n:05d}" for n in range(1, total + 1)]
    # Each worker saw its own numbers increase: allocation follows issue order.
    assert all(worker == sorted(worker) for worker in results)

    m = models(resources)
    stored = {r.number: r for r in m.InvoiceRecord.scan()}
    assert sorted(stored) == sorted(numbers)  # one record per number, none extra
    counter = m.SequenceRecord.get(PATTERN.series(issued_on), consistent_read=True)
    assert int(counter.last) == total
    claims = {
        r.series.removeprefix("number#"): r.invoice_id
        for r in m.SequenceRecord.scan()
        if r.series.startswith("number#")
    }
    assert claims == {number: record.invoice_id for number, record in stored.items()}


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
