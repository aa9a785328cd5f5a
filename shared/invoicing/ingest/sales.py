"""A sales (or timesheet) table to invoice and credit-note drafts, all or nothing.

Every row is checked and every problem collected before anything is built: one mistake anywhere
rejects the whole file, with a report naming each row, column, value and reason
(DESIGN.md, invariant 5). Then rows become documents:

- invoice rows of one client with an order reference: one invoice per (client, order reference);
- invoice rows without one: one invoice per client per calendar month of the row's date;
- credit-note rows (type "avoir"): one credit note per (client, corrected invoice).

Each draft carries a ``Source`` whose group key is deterministic (``C001|380|order:BC-114``,
``C001|380|month:2026-11``, ``C001|381|corrects:FA2026-00012``), so the same file always yields
the same invoice ids and a redelivered file creates nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TypeVar

from invoicing.domain.invoice import Discount, DocumentType, Draft, InvoiceReference, Line, Source
from invoicing.domain.money import money_str, round_money
from invoicing.domain.parties import Client, Seller, VatRegime
from invoicing.domain.problems import InputRejected, Problem
from invoicing.domain.products import Product, product_index, product_key
from invoicing.domain.receivable import CreditRefused, Receivable, rate_shares
from invoicing.domain.rows import (
    DEFAULT_READY,
    InvoicedRow,
    ReadyStatuses,
    RowRef,
    explicit_id,
    fingerprint,
    fold,
    period_of,
)
from invoicing.domain.vat import VatTreatment
from invoicing.ingest.columns import ColumnMap, match_sales_columns
from invoicing.ingest.table import ProblemList, Table, by_row
from invoicing.ingest.values import (
    Cell,
    parse_date,
    parse_discount,
    parse_document_type,
    parse_quantity,
    parse_text,
    parse_unit_price,
    parse_vat,
)

T = TypeVar("T")

DESCRIPTION_LIMIT = 500
ORDER_REF_LIMIT = 100
UNIT_LIMIT = 30
INVOICE_NUMBER_LIMIT = 100
REASON_LIMIT = 500
ROW_ID_LIMIT = 100
PRODUCT_CODE_LIMIT = 100
#: Characters of an upload's tag kept with the rows it invoiced.
FILE_TAG = 16
DEFAULT_UNIT = "u"


@dataclass(frozen=True)
class InvoiceLookup:
    """What the ingest needs to know about an issued invoice a credit note corrects."""

    number: str
    client_ref: str
    issue_date: date
    #: The buyer as invoiced: a credit note goes to them, whatever the clients file says now.
    buyer: Client
    #: Its running state: what credit notes may still cancel, in total, per rate and per line.
    receivable: Receivable


@dataclass
class SkippedRows:
    """What a file held that was not invoiced, for its report: rows invoiced before (row, number)
    and rows not ready (row, status as written)."""

    invoiced: list[tuple[int, str]] = field(default_factory=list)
    not_ready: list[tuple[int, str]] = field(default_factory=list)
    #: Rows this very file invoiced in a run that died before it finished: (row, number).
    by_this_file: list[tuple[int, str]] = field(default_factory=list)
    #: Rows invoiced at a price of their own instead of their product's (row, product code,
    #: list price, row price): invoiced as written, and flagged in the report.
    price_overrides: list[tuple[int, str, Decimal, Decimal]] = field(default_factory=list)


@dataclass(frozen=True)
class _SalesRow:
    number: int
    client: Client
    day: date
    line: Line
    document_type: DocumentType
    order_ref: str | None
    invoice_number: str | None
    reason: str | None
    #: The sheet's own id for the row, when it has an id column.
    row_id: str | None = None
    #: Its identity, once the rows of the file are all known (``_new_rows``).
    ref: RowRef | None = None
    #: The product code (folded) whose values this row takes, and which ones it takes
    #: (``description``, ``unite``, ``prix_unitaire_ht``, ``tva``).
    product: str | None = None
    from_list: frozenset[str] = frozenset()
    #: (code, list price, row price) when the row writes a price other than its product's.
    override: tuple[str, Decimal, Decimal] | None = None

    def identity(self) -> tuple[str, str]:
        """(what the row is, what it bills): see ``invoicing.domain.rows``.

        A value the row takes from the price list counts as its product code, not as the value
        the list gives today: the list's prices may change after the row is invoiced, and the row
        must stay the row it was (neither billed again nor "changed after invoicing"). A row
        without a product code, or writing every value itself, has the identity it always had.
        """
        line = self.line

        def written(name: str, text: str) -> str:
            return f"product:{self.product}" if name in self.from_list else text

        billed = [
            fold(self.client.ref),
            f"{line.quantity.normalize():f}",
            written("prix_unitaire_ht", f"{line.unit_price.normalize():f}"),
            written("tva", str(line.vat)),
            repr(line.discount),
            self.document_type.value,
            self.invoice_number or "",
        ]
        whole = [
            *billed,
            self.day.isoformat(),
            written("description", fold(line.description)),
            written("unite", fold(line.unit)),
            fold(self.order_ref or ""),
        ]
        return fingerprint(whole), fingerprint(billed)

    @property
    def group(self) -> str:
        prefix = f"{self.client.ref}|{self.document_type.value}"
        if self.document_type is DocumentType.CREDIT_NOTE:
            return f"{prefix}|corrects:{self.invoice_number}"
        if self.order_ref:
            return f"{prefix}|order:{self.order_ref}"
        return f"{prefix}|month:{self.day:%Y-%m}"


def client_index(clients: Mapping[str, Client]) -> dict[str, Client]:
    """Clients by reference folded for matching: stripped, case-insensitive."""
    index: dict[str, Client] = {}
    for client in clients.values():
        index.setdefault(client.ref.strip().casefold(), client)
    return index


def parse_sales(
    table: Table,
    *,
    clients: Mapping[str, Client],
    seller: Seller,
    file_key: str,
    file_sha256: str,
    find_invoice: Callable[[str], InvoiceLookup | None] = lambda number: None,
    ready: ReadyStatuses | None = None,
    invoiced: Callable[[str, int], Mapping[str, InvoicedRow]] | None = None,
    skipped: SkippedRows | None = None,
    products: Mapping[str, Product] | None = None,
) -> tuple[Draft, ...]:
    """Validate the whole table, then group its rows into drafts.

    With a status column, only the rows whose status is in ``ready`` are read (the others go
    to ``skipped.not_ready``). ``invoiced(client ref, month)`` gives the rows invoiced before
    (``invoicing.domain.rows``): those are left out (``skipped.invoiced``), and one that has its
    own id but bills otherwise now is a problem for the whole file.

    With a product column, a row giving a code of ``products`` (the price list) takes from it
    the description, unit, price and VAT it does not write itself; a price of its own that
    differs from the list's is invoiced as written and told to ``skipped.price_overrides``. A
    code the list does not know is a problem, unless there is no price list at all and the row
    needs nothing from it (an export's SKU column then stays what it was: ignored).

    Raises ``InputRejected`` with every problem found (at most ``MAX_PROBLEMS``); nothing is
    returned partially. Drafts come in the order of their first row; lines keep file order.
    """
    columns = match_sales_columns(table.headers)
    index = client_index(clients)
    catalogue = product_index(products.values()) if products else {}
    problems = ProblemList()
    skipped = skipped if skipped is not None else SkippedRows()
    ready = ready or ReadyStatuses.of(DEFAULT_READY)
    parsed: list[_SalesRow] = []
    for row in table.rows:
        if problems.full:
            break
        if columns.has("statut"):
            status = columns.get(row.cells, "statut")
            if status not in ready:
                skipped.not_ready.append((row.number, status.strip()[:60]))
                continue
        result = _parse_row(row.number, row.cells, columns, index, seller, problems, catalogue)
        if result is not None:
            parsed.append(result)
    # The upload (its key and content) a row was invoiced from: a retry of this very upload
    # finds its own rows; the same content dropped under another name does not.
    tag = hashlib.sha256(f"{file_key}|{file_sha256}".encode()).hexdigest()[:FILE_TAG]
    parsed = _new_rows(parsed, columns, invoiced, skipped, problems, tag)
    # Flagged on the rows this file invoices (not on those invoiced before, nor not ready).
    skipped.price_overrides.extend((item.number, *item.override) for item in parsed if item.override)

    # Group-level checks run on the valid rows only. Lines are never negative, so a credit note
    # found to exceed its invoice with some rows missing exceeds it with all of them too.
    groups: dict[str, list[_SalesRow]] = {}
    for item in parsed:
        groups.setdefault(item.group, []).append(item)

    drafts: list[Draft] = []
    lookups: dict[str, InvoiceLookup | None] = {}
    for key, rows in groups.items():
        if problems.full:
            break
        found: list[Problem] = []
        draft = _draft(key, rows, columns, file_key, file_sha256, find_invoice, lookups, found)
        for problem in found:
            problems.add(problem)
        if draft is not None:
            drafts.append(draft)
    if problems:
        raise InputRejected(sorted(problems, key=by_row))
    return tuple(drafts)


def _cell(columns: ColumnMap, cells: tuple[str, ...], row: int, name: str) -> Cell:
    return Cell(columns.get(cells, name), row, columns.header(name))


def _parse_row(
    number: int,
    cells: tuple[str, ...],
    columns: ColumnMap,
    clients: Mapping[str, Client],
    seller: Seller,
    problems: ProblemList,
    products: Mapping[str, Product],
) -> _SalesRow | None:
    """Check every cell of one row; return its parsed form (None when any cell is wrong).

    ``products``: the price list by folded code (``product_key``), empty when there is none.
    """

    def cell(name: str) -> Cell:
        return _cell(columns, cells, number, name)

    found: list[Problem] = []  # this row's problems

    def value(result: T | Problem) -> T | None:
        if isinstance(result, Problem):
            found.append(result)
            return None
        return result

    client_cell = cell("client")
    client = None
    if client_cell.blank:
        found.append(client_cell.problem("required"))
    else:
        client = clients.get(client_cell.raw.strip().casefold())
        if client is None:
            found.append(client_cell.problem("unknown_client"))
    day = value(parse_date(cell("date")))

    # What the row writes itself, and what it may take from its product.
    description_cell, unit_cell, price_cell = cell("description"), cell("unite"), cell("prix_unitaire_ht")
    vat_cell, exemption_cell = cell("tva"), cell("exoneration")
    # Under the franchise a row without a rate is exempt: it never needs the list's VAT.
    vat_written = not (vat_cell.blank and exemption_cell.blank) or seller.vat_regime is VatRegime.FRANCHISE
    missing = {
        name
        for name, written in (
            ("description", not description_cell.blank),
            ("prix_unitaire_ht", not price_cell.blank),
            ("tva", vat_written),
        )
        if not written
    }
    product: Product | None = None
    # A code the list does not know: the values it should give are not asked for again.
    unknown = False
    code_cell = cell("produit")
    code = value(parse_text(code_cell, limit=PRODUCT_CODE_LIMIT)) if columns.has("produit") else None
    if code is None and columns.has("produit") and not code_cell.blank:
        unknown = True  # an unreadable code (its problem is named): no product to take from
    elif code is not None:
        product = products.get(product_key(code))
        if product is None and (products or missing):
            found.append(code_cell.problem("unknown_product"))
            unknown = True
    from_list: set[str] = set()
    if product is not None:
        from_list = set(missing)
        if unit_cell.blank and product.unit:
            from_list.add("unite")

    description: str | None = None
    if product is not None and "description" in from_list:
        description = product.label
    elif not (unknown and "description" in missing):
        description = value(parse_text(description_cell, limit=DESCRIPTION_LIMIT, required=True))
    quantity = value(parse_quantity(cell("quantite")))
    if product is not None and "unite" in from_list:
        unit = product.unit or DEFAULT_UNIT
    else:
        unit = value(parse_text(unit_cell, limit=UNIT_LIMIT)) or DEFAULT_UNIT
    unit_price: Decimal | None = None
    override: tuple[str, Decimal, Decimal] | None = None
    if product is not None and "prix_unitaire_ht" in from_list:
        unit_price = product.unit_price
    elif not (unknown and "prix_unitaire_ht" in missing):
        unit_price = value(parse_unit_price(price_cell))
        if product is not None and unit_price is not None and unit_price != product.unit_price:
            override = (product.code, product.unit_price, unit_price)
    vat: VatTreatment | None = None
    if product is not None and "tva" in from_list:
        vat = product.vat
    elif not (unknown and "tva" in missing):
        vat = value(parse_vat(vat_cell, exemption_cell, seller.vat_regime))
    order_ref = value(parse_text(cell("reference_commande"), limit=ORDER_REF_LIMIT))
    discount_cell = cell("remise")
    discount: Discount | None = value(parse_discount(discount_cell))
    document_type = value(parse_document_type(cell("type")))
    origin_cell = cell("facture_origine")
    invoice_number = value(parse_text(origin_cell, limit=INVOICE_NUMBER_LIMIT))
    reason = value(parse_text(cell("motif"), limit=REASON_LIMIT))
    if document_type is DocumentType.CREDIT_NOTE and invoice_number is None:
        found.append(origin_cell.problem("credit_note_needs_invoice"))
    if document_type is DocumentType.INVOICE and invoice_number is not None:
        found.append(origin_cell.problem("origin_on_invoice"))
    if discount is not None and quantity is not None and unit_price is not None:
        gross = round_money(quantity * unit_price)  # as Line.gross_amount computes it
        if discount.amount_for(gross) > gross:
            found.append(discount_cell.problem("discount_too_large"))
            discount = None
    row_id = None
    if columns.has("id"):
        id_cell = cell("id")
        row_id = value(parse_text(id_cell, limit=ROW_ID_LIMIT))
    if found:
        for problem in found:
            problems.add(problem)
        return None
    # Every value below was read without a problem, so none is None.
    assert client is not None
    assert day is not None
    assert description is not None
    assert quantity is not None
    assert unit_price is not None
    assert vat is not None
    assert document_type is not None
    line = Line(
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        vat=vat,
        discount=discount,
        service_date=day,
        source_row=number,
    )
    return _SalesRow(
        number,
        client,
        day,
        line,
        document_type,
        order_ref,
        invoice_number,
        reason,
        row_id,
        product=product.key if product is not None and from_list else None,
        from_list=frozenset(from_list),
        override=override,
    )


def _new_rows(
    parsed: list[_SalesRow],
    columns: ColumnMap,
    invoiced: Callable[[str, int], Mapping[str, InvoicedRow]] | None,
    skipped: SkippedRows,
    problems: ProblemList,
    file: str,
) -> list[_SalesRow]:
    """Give each row its identity (its own id, else its fingerprint and its rank among identical
    rows), leave out those invoiced before, and refuse a row whose own id was invoiced billing
    something else (its client or amounts changed since)."""
    seen: dict[str, int] = {}
    fresh: list[_SalesRow] = []
    for item in parsed:
        whole, billed = item.identity()
        if item.row_id is not None:
            row_id = explicit_id(item.row_id)
            if row_id in seen:
                problems.add(
                    Problem(
                        "duplicate_row_id",
                        row=item.number,
                        column=columns.header("id"),
                        value=item.row_id,
                        params={"first_row": seen[row_id]},
                    )
                )
                continue
            seen[row_id] = item.number
        else:
            rank = seen.get(whole, 0) + 1
            seen[whole] = rank
            row_id = f"fp:{whole}" + (f"#{rank}" if rank > 1 else "")
        # The client as the clients table keys it: a clients file re-sent with "c001" is still C001.
        client_ref = item.client.ref.strip().upper()
        ref = RowRef(row_id, billed, client_ref, period_of(item.day), item.number, file)
        before = invoiced(client_ref, ref.period).get(row_id) if invoiced is not None else None
        if before is None:
            fresh.append(replace(item, ref=ref))
        elif before.billed == billed and before.file == file:
            skipped.by_this_file.append((item.number, before.number))
        elif before.billed == billed:
            skipped.invoiced.append((item.number, before.number))
        else:
            problems.add(
                Problem(
                    "row_changed_after_invoicing",
                    row=item.number,
                    column=columns.header("id"),
                    value=item.row_id,
                    params={"number": before.number},
                )
            )
    return fresh


def _draft(
    key: str,
    rows: list[_SalesRow],
    columns: ColumnMap,
    file_key: str,
    file_sha256: str,
    find_invoice: Callable[[str], InvoiceLookup | None],
    lookups: dict[str, InvoiceLookup | None],
    found: list[Problem],
) -> Draft | None:
    """Build the draft of one group; document-level problems (credit notes) go to ``found``."""
    first = rows[0]
    refs = tuple(r.ref for r in rows if r.ref is not None)
    # What the invoice is: these rows, each as it bills (an id reused later for other work, or a
    # row changed, is another invoice).
    digest = (
        fingerprint(sorted(f"{r.row_id}|{r.billed}|{r.client_ref}|{r.period}" for r in refs))
        if refs
        else None
    )
    source = Source(file_key, file_sha256, key, rows_digest=digest)
    days = [r.day for r in rows]
    order_refs = [(r.number, r.order_ref) for r in rows if r.order_ref]
    if first.document_type is DocumentType.INVOICE:
        return Draft(
            document_type=DocumentType.INVOICE,
            buyer=first.client,
            lines=tuple(r.line for r in rows),
            period_start=min(days),
            period_end=max(days),
            order_ref=first.order_ref,
            source=source,
            rows=refs,
        )

    # A credit note: one reason and one order reference for the document, a known invoice of
    # this client, and no more than what remains creditable on it.
    origin_header = columns.header("facture_origine")
    number = first.invoice_number
    assert number is not None
    reasons = [(r.number, r.reason) for r in rows if r.reason]
    if not reasons:
        found.append(Problem("required", row=first.number, column=columns.header("motif"), value=""))
    for row_number, reason in reasons[1:]:
        if reason != reasons[0][1]:
            found.append(
                Problem(
                    "mixed_in_group",
                    row=row_number,
                    column=columns.header("motif"),
                    value=reason,
                    params={"what": columns.header("motif"), "first_row": reasons[0][0]},
                )
            )
    for row_number, order_ref in order_refs[1:]:
        if order_ref != order_refs[0][1]:
            found.append(
                Problem(
                    "mixed_in_group",
                    row=row_number,
                    column=columns.header("reference_commande"),
                    value=order_ref,
                    params={"what": columns.header("reference_commande"), "first_row": order_refs[0][0]},
                )
            )
    if number not in lookups:
        lookups[number] = find_invoice(number)
    lookup = lookups[number]
    if lookup is None:
        params: dict[str, object] = {"number": number}
        found.append(
            Problem("unknown_invoice", row=first.number, column=origin_header, value=number, params=params)
        )
        return None
    if lookup.client_ref.strip().casefold() != first.client.ref.strip().casefold():
        found.append(
            Problem(
                "credit_note_other_client",
                row=first.number,
                column=origin_header,
                value=number,
                params={"number": lookup.number, "owner": lookup.client_ref},
            )
        )
        return None
    if found:
        return None
    draft = Draft(
        document_type=DocumentType.CREDIT_NOTE,
        buyer=lookup.buyer,
        lines=tuple(r.line for r in rows),
        period_start=min(days),
        period_end=max(days),
        order_ref=order_refs[0][1] if order_refs else None,
        corrects=InvoiceReference(lookup.number, lookup.issue_date),
        credit_reason=reasons[0][1],
        source=source,
        rows=refs,
    )
    totals = draft.totals()
    try:
        after = lookup.receivable.credit(
            f"{file_key}#{key}", totals.grand_total, lookup.issue_date, by_rate=rate_shares(totals)
        )
    except CreditRefused as refused:
        code = {"rate": "credit_rate_not_invoiced", "rate_total": "credit_exceeds_rate"}.get(
            refused.kind, "credit_exceeds_invoice"
        )
        params = {
            key: money_str(value) if isinstance(value, Decimal) else value
            for key, value in refused.params.items()
        }
        params["credit"] = money_str(totals.grand_total)
        params.setdefault("remaining", money_str(lookup.receivable.creditable))
        found.append(
            Problem(
                code,
                row=first.number,
                column=origin_header,
                value=number,
                params={"number": lookup.number, **params},
            )
        )
        return None
    # Several credit notes of one file against one invoice count together.
    lookups[number] = replace(lookup, receivable=after)
    return draft
