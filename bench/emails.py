"""Emails composed per second on one core: the invoice email and the reminders, as SES receives them.

Each email is composed from the default templates (subject, text, HTML), carries a ~10 KB PNG logo
inline and the invoice's PDF/A-3 attached, and is serialised (``as_bytes``: what ``SendRawEmail``
takes). Half are invoice emails, half reminders going through the four tones (penalties stated by the
firm and final ones, computed beforehand as the dunning service does).

- emails_per_s_core           invoice + reminder emails per second on one core (median per email)
- emails_baseline_per_s_core  the same emails composed the straightforward way: a new jinja2
                              environment for each email, so every template is compiled again
- emails_speedup              the ratio of the two
"""

from __future__ import annotations

import random
import statistics
import struct
import time
import zlib
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

EMAILS = 200
BASELINE_EMAILS = 40
WARM_UP = 8
RECIPIENT = "comptabilite@dauphinoise-transports.example"
SENDER = "facturation@horizon-conseil.example"
#: Legal interest rates for the reminders' penalties (fictional figures, as the samples').
LEGAL_RATES = {(2026, 2): Decimal("2.76"), (2027, 1): Decimal("2.62")}


def png_logo(width: int = 64, height: int = 50, seed: int = 0) -> bytes:
    """A valid PNG of random pixels: incompressible, so about ``width x height x 3`` bytes (~10 KB)."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _jobs() -> tuple[list[Callable[[Any], bytes]], dict[str, Any]]:
    """The emails to compose, each a function of the templates, and what they carry."""
    from bench.invoice import bench_invoice
    from invoicing.documents import emails
    from invoicing.documents.render import render
    from invoicing.domain.penalties import ReferenceRates, late_penalties

    invoice = bench_invoice(1)
    pdf = render(invoice).pdf
    logo = png_logo()
    pay_url = "https://pay.example/pay/" + "a" * 56
    total = invoice.totals.grand_total
    rates = ReferenceRates(legal_interest=LEGAL_RATES)
    days = {"courtesy": -3, "gentle": 7, "firm": 15, "final": 30}
    reminders = []
    for tone in emails.TONES:
        as_of = invoice.due_date + timedelta(days=days[tone])
        statement = (
            late_penalties(
                [(invoice.issue_date, total)],
                invoice.due_date,
                as_of,
                invoice.seller.late_penalty,
                rates,
                business_debtor=True,
            )
            if tone in ("firm", "final")
            else None
        )
        reminders.append((tone, as_of, statement))

    def invoice_email(templates: Any) -> bytes:
        return emails.compose_invoice_email(
            invoice, pdf=pdf, sender=SENDER, to=RECIPIENT, pay_url=pay_url, logo=logo, templates=templates
        ).as_bytes()

    def reminder_email(tone: str, as_of: Any, statement: Any) -> Callable[[Any], bytes]:
        def compose(templates: Any) -> bytes:
            return emails.compose_reminder_email(
                invoice,
                tone=tone,
                as_of=as_of,
                due=total,
                pdf=pdf,
                sender=SENDER,
                to=RECIPIENT,
                penalties=statement,
                pay_url=pay_url,
                logo=logo,
                templates=templates,
            ).as_bytes()

        return compose

    jobs: list[Callable[[Any], bytes]] = []
    for n in range(EMAILS + WARM_UP):
        jobs.append(invoice_email if n % 2 == 0 else reminder_email(*reminders[(n // 2) % len(reminders)]))
    return jobs, {"pdf_kb": len(pdf) / 1024, "logo_kb": len(logo) / 1024}


def _timed(jobs: list[Callable[[Any], bytes]], templates: Callable[[], Any]) -> tuple[list[float], int]:
    times, size = [], 0
    for job in jobs:
        start = time.perf_counter()
        size = len(job(templates()))
        times.append(time.perf_counter() - start)
    return times, size


def emails(report: Callable[..., None]) -> None:
    from invoicing.documents.emails import EmailTemplates, default_templates

    jobs, carried = _jobs()
    _timed(jobs[:WARM_UP], default_templates)
    ours, size = _timed(jobs[WARM_UP:], default_templates)
    base, _ = _timed(jobs[WARM_UP : WARM_UP + BASELINE_EMAILS], EmailTemplates)
    ours_s, base_s = statistics.median(ours), statistics.median(base)
    report(
        "emails_per_s_core",
        1 / ours_s,
        "1/s",
        f"median of {EMAILS} (invoice + 4 reminder tones): {ours_s * 1000:.2f} ms per email, "
        f"{size / 1024:.0f} KB each (PDF {carried['pdf_kb']:.0f} KB, logo {carried['logo_kb']:.0f} KB)",
    )
    report(
        "emails_baseline_per_s_core",
        1 / base_s,
        "1/s",
        f"median of {BASELINE_EMAILS}: {base_s * 1000:.2f} ms per email, templates compiled for each",
    )
    report("emails_speedup", base_s / ours_s, "x", "emails_per_s_core / emails_baseline_per_s_core")


if __name__ == "__main__":
    from bench.__main__ import report as print_report

    emails(print_report)
