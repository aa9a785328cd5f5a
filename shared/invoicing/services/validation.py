"""Validation: the one function that says whether a file would be accepted, and why not.

The generate function and ``invoicing check`` both call it, so their verdicts cannot differ.
It reads the table, parses and checks every row, groups the rows into drafts, and then
proves each draft can become a document: it is issued in memory under a placeholder number
as long as the series' own, rendered (PDF and Factur-X XML) and encoded as a database
record. Any failure is a problem naming the draft's rows, raised before anything is
numbered: no number is ever spent on a document that cannot be produced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from invoicing.business import Business
from invoicing.documents.fonts import undrawable
from invoicing.documents.render import Rendered, render
from invoicing.domain.codec import DocumentTooLarge, encode_document
from invoicing.domain.invoice import DocumentType, Draft, Invoice, issue
from invoicing.domain.money import money_str
from invoicing.domain.parties import Client
from invoicing.domain.problems import InputRejected, Problem
from invoicing.domain.products import Product
from invoicing.domain.rows import InvoicedRow
from invoicing.domain.text import forbidden_characters
from invoicing.ingest.clients import parse_clients
from invoicing.ingest.products import parse_products
from invoicing.ingest.sales import InvoiceLookup, SkippedRows, parse_sales
from invoicing.ingest.table import Table, read_table

#: Longest error detail quoted in a report.
_DETAIL_MAX = 160


@dataclass(frozen=True, slots=True)
class Rules:
    """What validation needs to know about the business and the day."""

    business: Business
    issue_date: date
    render: Callable[[Invoice], Rendered]

    @classmethod
    def for_business(cls, business: Business, issue_date: date) -> Rules:
        return cls(business, issue_date, lambda invoice: render(invoice, business.facturx_profile))


def read(data: bytes, name: str, rules: Rules) -> Table:
    b = rules.business
    return read_table(data, name, max_bytes=b.max_input_bytes, max_rows=b.max_input_rows)


def validate_clients(data: bytes, name: str, rules: Rules) -> tuple[Client, ...]:
    """The clients of a clients file, or ``InputRejected`` with every problem."""
    clients = parse_clients(read(data, name, rules), default_locale=rules.business.default_locale)
    _check_printable(
        (None, "nom / adresse", text)
        for client in clients
        for text in (client.name, *client.address.lines, client.address.city)
    )
    return clients


def validate_products(data: bytes, name: str, rules: Rules) -> tuple[Product, ...]:
    """The products of a products file (the price list), or ``InputRejected`` with every
    problem: labels and units must print, as a sales row's would."""
    products = parse_products(read(data, name, rules), vat_regime=rules.business.seller.vat_regime)
    _check_printable(
        (None, "libelle / unite", text)
        for product in products
        for text in (product.label, product.unit or "")
    )
    return products


def validate_sales(
    data: bytes,
    name: str,
    rules: Rules,
    *,
    clients: Mapping[str, Client],
    file_key: str,
    file_sha256: str,
    find_invoice: Callable[[str], InvoiceLookup | None],
    invoiced: Callable[[str, int], Mapping[str, InvoicedRow]] | None = None,
    skipped: SkippedRows | None = None,
    products: Mapping[str, Product] | None = None,
) -> tuple[Draft, ...]:
    """The drafts of a sales file, each proven to render; or ``InputRejected``. Rows invoiced
    before (``invoiced``) and rows not ready are left out and told to ``skipped``; rows with a
    product code take what they do not write from ``products`` (the price list)."""
    drafts = parse_sales(
        read(data, name, rules),
        clients=clients,
        seller=rules.business.seller,
        file_key=file_key,
        file_sha256=file_sha256,
        find_invoice=find_invoice,
        ready=rules.business.ready_statuses,
        invoiced=invoiced,
        skipped=skipped,
        products=products,
    )
    limit = rules.business.max_documents_per_file
    if len(drafts) > limit:
        raise InputRejected([Problem("too_many_documents", params={"count": len(drafts), "limit": limit})])
    check_drafts(drafts, rules)
    return drafts


def check_drafts(drafts: Iterable[Draft], rules: Rules) -> None:
    """Prove every draft can be issued: its text printable by our fonts, the document
    rendered under a placeholder number, and its record storable. Raises ``InputRejected``."""
    drafts = tuple(drafts)
    _check_printable(
        (line.source_row, "description", text)
        for draft in drafts
        for line in draft.lines
        for text in (line.description, line.unit, draft.order_ref or "", draft.credit_reason or "")
    )
    problems = []
    limit = rules.business.max_invoice_total
    for draft in drafts:
        rows = [line.source_row for line in draft.lines if line.source_row is not None]
        row = min(rows) if rows else None
        total = draft.totals().grand_total
        if total > limit:
            problems.append(
                Problem(
                    "amount_over_limit",
                    row=row,
                    params={"total": money_str(total), "limit": money_str(limit)},
                )
            )
            continue
        trial = issue(
            draft,
            seller=rules.business.seller,
            number=placeholder_number(rules.business, draft, rules.issue_date),
            issue_date=rules.issue_date,
            default_terms=rules.business.default_terms,
            invoice_id="trial",
        )
        try:
            encode_document(trial)
        except DocumentTooLarge:
            problems.append(Problem("too_many_lines", row=row, params={"count": len(draft.lines)}))
            continue
        try:
            rules.render(trial)
        except (MemoryError, OSError):
            raise  # the machine, not the document: retried, never a verdict on the file
        except Exception as exc:  # the document cannot be produced: lxml, fpdf2, the XSD
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:_DETAIL_MAX]
            problems.append(Problem("unrenderable", row=row, params={"detail": detail}))
    if problems:
        raise InputRejected(problems)


def placeholder_number(business: Business, draft: Draft, day: date) -> str:
    """A number of the series' own shape and of the longest length it will take this year."""
    pattern = (
        business.credit_note_numbering
        if draft.document_type is DocumentType.CREDIT_NOTE
        else business.invoice_numbering
    )
    return pattern.format(99_999, day)


def _check_printable(texts: Iterable[tuple[int | None, str, str]]) -> None:
    """Refuse invisible or control characters, and text our fonts cannot draw (it would
    vanish), before anything is numbered."""
    problems = []
    for row, column, text in texts:
        refused = forbidden_characters(text)
        if refused:
            problems.append(
                Problem(
                    "forbidden_characters",
                    row=row,
                    column=column,
                    value=text,
                    params={"chars": ", ".join(refused)},
                )
            )
            continue
        missing = undrawable(text)
        if missing:
            problems.append(
                Problem(
                    "undrawable_characters", row=row, column=column, value=text, params={"chars": missing}
                )
            )
    if problems:
        raise InputRejected(list(dict.fromkeys(problems)))
