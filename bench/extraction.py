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
- extract_baseline_pages_per_s_core  the same documents read through pdfplumber's own layout text
                             (the straightforward way), measured in the same run; extract_speedup
                             the ratio
- extract_peak_mb            peak RSS of a fresh process reading those PDFs (imports included, and
                             pdfium's C memory, which tracemalloc would not see)

Run alone: ``.venv/bin/python -m bench.extraction``.
"""

from __future__ import annotations

import statistics
import time
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

    baseline = []
    for _ in range(max(3, ROUNDS // 2)):
        started = time.perf_counter()
        for data in documents:
            _pdfplumber_read(data)
        baseline.append(pages / (time.perf_counter() - started))
    report(
        "extract_baseline_pages_per_s_core",
        statistics.median(baseline),
        "pages/s",
        "the same documents through pdfplumber's layout text (the library's own way), then the same reading",
    )
    report("extract_speedup", statistics.median(rates) / statistics.median(baseline), "x", "ours / baseline")

    peak, after_imports = _peak_rss_mb(documents)
    report(
        "extract_peak_mb",
        peak,
        "MB",
        f"peak RSS of a fresh process reading those {len(documents)} PDFs: {after_imports:.1f} MB once the "
        f"reader is imported (pdfium, pdfminer, stdnum, schwifty), +{peak - after_imports:.1f} MB reading "
        "(pdfium's C memory included, which tracemalloc does not see)",
    )


def _pdfplumber_read(data: bytes) -> None:
    import hashlib
    import io

    import pdfplumber

    from invoicing.ingest.supplier_text import read_text

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        texts = [page.extract_text(layout=True) for page in pdf.pages]
    read_text("\f".join(texts), document_hash=hashlib.sha256(data).hexdigest(), pages=len(texts))


_RSS_PROBE = """
import resource, sys
from pathlib import Path
from invoicing.ingest.supplier_text import read_pdf_text
documents = [p.read_bytes() for p in sorted(Path(sys.argv[1]).iterdir())]
read_pdf_text(documents[-1])
imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for data in documents:
    read_pdf_text(data)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, imported)
"""


def _peak_rss_mb(documents: list[bytes]) -> tuple[float, float]:
    """(peak, after the reader's imports and one read) in MB, of a fresh interpreter that
    imports nothing but the reader."""
    import subprocess
    import sys
    import tempfile

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        for number, data in enumerate(documents):
            (Path(folder) / f"{number:02d}.pdf").write_bytes(data)
        done = subprocess.run(
            [sys.executable, "-c", _RSS_PROBE, folder], capture_output=True, text=True, check=True, cwd=root
        )
    peak, imported = (int(v) for v in done.stdout.split()[-2:])
    return peak / 1024, imported / 1024


if __name__ == "__main__":
    extraction(lambda name, value, unit, note="": print(f"{name:<34} {value:>10.2f} {unit:<8} {note}"))
