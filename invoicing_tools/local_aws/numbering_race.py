"""Writers racing for invoice numbers against the local AWS: the numbering proof.

``race`` starts ``workers`` threads at once, each its own "Lambda" (its own repository,
connections and retries), each issuing ``per_worker`` invoices of one series on the same day.
``Race`` then tells what came out: gaps, duplicates, whether each writer saw its numbers
increase, and whether the tables agree (one record and one claim per number, the counter at the
total). tests/integration/test_numbering_concurrency.py runs it short (8 × 12);
``make bench`` runs it in full (8 × 50: ``numbering_400_s``, ``numbering_gaps``).
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.records import models
from invoicing.domain.invoice import DocumentType, Draft, Line, Source
from invoicing.domain.numbering import NumberingPattern
from invoicing.domain.parties import Address, Client, Seller
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatTreatment
from invoicing.settings import Resources

PATTERN = NumberingPattern("FA{year}-{seq:05d}")
ISSUED_ON = date(2026, 11, 23)
BUYER = Client(
    ref="C001", name="Boulangerie Lefèvre SAS", address=Address(("4 rue de la République",), "69001", "Lyon")
)
_SEQ = re.compile(r"(\d+)$")


def draft(worker: int, index: int) -> Draft:
    """The ``index``-th invoice of writer ``worker``: a distinct source, so a distinct document."""
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


@dataclass(frozen=True)
class Race:
    resources: Resources
    by_worker: tuple[tuple[str, ...], ...]
    seconds: float

    @property
    def numbers(self) -> list[str]:
        return [n for worker in self.by_worker for n in worker]

    @property
    def expected(self) -> list[str]:
        return [PATTERN.format(n, ISSUED_ON) for n in range(1, len(self.numbers) + 1)]

    @property
    def duplicates(self) -> int:
        """Numbers handed out more than once (each extra copy counts)."""
        return len(self.numbers) - len(set(self.numbers))

    @property
    def gaps(self) -> int:
        """Numbers of 1..issued that nobody got."""
        return len(set(self.expected) - set(self.numbers))

    @property
    def in_issue_order(self) -> bool:
        """Each writer saw its own numbers increase: allocation follows issue order."""
        return all(list(w) == sorted(w, key=lambda n: int(_SEQ.search(n)[1])) for w in self.by_worker)

    def stored(self) -> dict[str, object]:
        """What the tables say: the number of every invoice record, the counter of the series, and
        the claim of each number (number -> invoice id) beside each record's (number -> id)."""
        m = models(self.resources)
        records = list(m.InvoiceRecord.scan(consistent_read=True))
        counter = m.SequenceRecord.get(PATTERN.series(ISSUED_ON), consistent_read=True)
        claims = {
            r.series.removeprefix("number#"): r.invoice_id
            for r in m.SequenceRecord.scan(consistent_read=True)
            if r.series.startswith("number#")
        }
        return {
            "record_numbers": sorted(r.number for r in records),
            "counter": int(counter.last),
            "claims": claims,
            "record_ids": {r.number: r.invoice_id for r in records},
        }


def race(resources: Resources, seller: Seller, *, workers: int = 8, per_worker: int = 50) -> Race:
    """``workers`` writers issue ``per_worker`` invoices each, all at once; timed from the start
    signal to the last invoice."""
    start = threading.Barrier(workers + 1)

    def writer(worker: int) -> tuple[str, ...]:
        repo = InvoiceRepository(resources)  # each writer is its own Lambda
        start.wait()
        return tuple(
            repo.issue(
                draft(worker, i),
                seller=seller,
                numbering=PATTERN,
                issue_date=ISSUED_ON,
                default_terms=PaymentTerms(30),
            ).invoice.number
            for i in range(per_worker)
        )

    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(writer, w) for w in range(workers)]
        start.wait()
        began = time.perf_counter()
        by_worker = tuple(f.result() for f in futures)
        seconds = time.perf_counter() - began
    return Race(resources, by_worker, seconds)
