"""The offline supplier-invoice reader's figures (``invoicing.ingest.supplier_text``).

- extract_field_accuracy     % of fields read right by the text-layer path (``read_pdf_text``,
                             the embedded XML ignored) on the three Factur-X fixture PDFs of
                             ../shared/fixtures, scored exactly against their own XML: invoice
                             number, issue date, due date, supplier name, supplier VAT id, total
                             excl. VAT, VAT, total incl. VAT, currency. A name is compared without
                             its legal form and case ("Au bon moulin SARL" = "Au bon moulin").
                             The note lists each field's score and every miss. Skipped, saying so,
                             without the fixtures.
- extract_pages_per_s_core   pages read per second by ``read_pdf_text`` on one core: the median of
                             repeated rounds over those PDFs plus two of our own rendered invoices
                             (target >= 10). Each page costs pdfium's interpretation (~10 ms), the
                             layout rebuilt from its characters (~5-25 ms, by character count) and
                             the reading of the text (~25 ms); pdfplumber, the fallback, would
                             spend ~70 us a character (150-250 ms a page).
- extract_peak_mb            peak Python memory of one such round (tracemalloc peak, in process)

Run alone: ``.venv/bin/python -m bench.extraction``.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT.parent / "shared" / "fixtures"
FACTURX_PDFS = (
    FIXTURES / "facturx" / "akretion" / "pdf" / "invoice_EN16931.pdf",
    FIXTURES / "facturx" / "mustang" / "pdf-fr" / "Facture_F20180027.pdf",
    FIXTURES / "facturx" / "mustang" / "pdf-fr" / "validAvoir_FR_type380_BASICWL.pdf",
)
FIELDS = (
    "invoice_number",
    "issue_date",
    "due_date",
    "supplier_name",
    "supplier_vat_id",
    "total_excl_tax",
    "total_tax",
    "total_incl_tax",
    "currency",
)
ROUNDS = 7

Report = Callable[..., None]


def _truth(data: bytes) -> dict[str, Any]:
    import facturx

    from invoicing.documents.cii_read import read_cii

    _, xml = facturx.get_xml_from_pdf(data, check_xsd=False)
    doc = read_cii(xml)
    seller = doc.seller
    return {
        "invoice_number": doc.number,
        "issue_date": doc.issue_date,
        "due_date": doc.due_date,
        "supplier_name": seller.name if seller else None,
        "supplier_vat_id": seller.vat_id if seller else None,
        "total_excl_tax": doc.totals.tax_basis_total,
        "total_tax": doc.totals.tax_total,
        "total_incl_tax": doc.totals.grand_total,
        "currency": doc.currency,
    }


def _same(field: str, got: Any, want: Any) -> bool:
    from invoicing.ingest.supplier_text import _name_key

    if field == "supplier_name":
        return bool(got) and _name_key(got) == _name_key(want or "")
    return bool(got == want)


def field_accuracy() -> tuple[float, dict[str, int], list[str]] | None:
    """(% right, per field right count, misses) or None without the fixtures."""
    from invoicing.ingest.supplier_text import read_pdf_text

    if not all(path.exists() for path in FACTURX_PDFS):
        return None
    right = dict.fromkeys(FIELDS, 0)
    misses = []
    for path in FACTURX_PDFS:
        data = path.read_bytes()
        got = read_pdf_text(data)
        truth = _truth(data)
        for field in FIELDS:
            if _same(field, getattr(got, field), truth[field]):
                right[field] += 1
            else:
                misses.append(f"{path.stem}.{field}: {getattr(got, field)!r} != {truth[field]!r}")
    total = len(FIELDS) * len(FACTURX_PDFS)
    return 100 * sum(right.values()) / total, right, misses


def _documents() -> list[bytes]:
    from bench.invoice import bench_invoice
    from invoicing.documents.pdf import render_pdf

    documents = [path.read_bytes() for path in FACTURX_PDFS if path.exists()]
    documents += [render_pdf(bench_invoice(number)) for number in (1, 2)]
    return documents


def extraction(report: Report) -> None:
    from invoicing.ingest.supplier_text import read_pdf_text

    accuracy = field_accuracy()
    if accuracy is None:
        print("extract_field_accuracy             skipped: ../shared/fixtures/facturx is not there")
    else:
        percent, right, misses = accuracy
        per_field = " ".join(f"{field}={count}/{len(FACTURX_PDFS)}" for field, count in right.items())
        report(
            "extract_field_accuracy",
            percent,
            "%",
            f"{per_field}; misses: {'; '.join(misses) or 'none'}",
        )

    documents = _documents()
    read_pdf_text(documents[0])  # imports (pypdfium2, stdnum, schwifty) out of the timing
    pages = sum(read_pdf_text(data).pages for data in documents)
    rates = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for data in documents:
            read_pdf_text(data)
        rates.append(pages / (time.perf_counter() - started))
    report(
        "extract_pages_per_s_core",
        statistics.median(rates),
        "pages/s",
        f"read_pdf_text, median of {ROUNDS} rounds over {len(documents)} PDFs ({pages} pages; target >= 10)",
    )

    tracemalloc.start()
    try:
        for data in documents:
            read_pdf_text(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    report(
        "extract_peak_mb", peak / 1e6, "MB", "tracemalloc peak of one round, in process (Python allocations)"
    )


if __name__ == "__main__":
    extraction(lambda name, value, unit, note="": print(f"{name:<34} {value:>10.2f} {unit:<8} {note}"))
