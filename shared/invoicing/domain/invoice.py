"""Invoices and credit notes: lines, totals, issuing.

An invoice is created from a draft (what an input file or the operator describes) by
``issue()``, which gives it its number, issue date and due date. Once issued it is never
edited or deleted: a mistake is corrected by a credit note (avoir) that references it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from invoicing.domain.money import ZERO, allocate, percent_of, round_money, unit_price_for, vat_included
from invoicing.domain.parties import Client, Seller
from invoicing.domain.rows import RowRef
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatCategory, VatTreatment


class DocumentType(StrEnum):
    """UNTDID 1001 codes, as Factur-X carries them."""

    INVOICE = "380"
    CREDIT_NOTE = "381"


@dataclass(frozen=True, slots=True)
class Discount:
    """A line discount: a percentage of the line, or an amount excluding VAT."""

    percent: Decimal | None = None
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("a discount is either a percentage or an amount")
        value = self.percent if self.percent is not None else self.amount
        assert value is not None
        if value < 0 or (self.percent is not None and self.percent > 100):
            raise ValueError(f"discount out of range: {value}")

    def amount_for(self, gross: Decimal) -> Decimal:
        if self.percent is not None:
            return percent_of(gross, self.percent)
        assert self.amount is not None
        return round_money(self.amount)


@dataclass(frozen=True, slots=True)
class Line:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat: VatTreatment
    discount: Discount | None = None
    service_date: date | None = None
    #: Spreadsheet row this line came from, for reports; None when created by the operator.
    source_row: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.quantity, Decimal) or not isinstance(self.unit_price, Decimal):
            raise TypeError("quantity and unit price must be Decimal")
        if self.quantity <= 0:
            raise ValueError("line quantity must be positive")
        if self.unit_price < 0:
            raise ValueError("unit price cannot be negative")
        if self.discount_amount > self.gross_amount:
            raise ValueError("discount exceeds the line amount")

    @property
    def gross_amount(self) -> Decimal:
        """Quantity x unit price, rounded half-up to the cent."""
        return round_money(self.quantity * self.unit_price)

    @property
    def discount_amount(self) -> Decimal:
        return self.discount.amount_for(self.gross_amount) if self.discount else ZERO

    @property
    def net_amount(self) -> Decimal:
        """EN 16931 BT-131: gross minus the line discount."""
        return self.gross_amount - self.discount_amount


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    """A document-level discount (allowance) or charge such as shipping (EN 16931 BG-20/BG-21)."""

    is_charge: bool
    amount: Decimal
    reason: str
    vat: VatTreatment
    #: UNTDID 5189 (allowances, e.g. 95 discount) or 7161 (charges, e.g. FC freight) code.
    reason_code: str | None = None

    def __post_init__(self) -> None:
        if (
            not isinstance(self.amount, Decimal)
            or self.amount <= 0
            or round_money(self.amount) != self.amount
        ):
            raise ValueError("allowance/charge amount must be positive, in cents, as a Decimal")
        # Two places exactly, whatever the exponent given (10.000 -> 10.00), so totals keep two.
        object.__setattr__(self, "amount", round_money(self.amount))


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """One row of the VAT summary: a category and rate, its taxable base and its VAT."""

    vat: VatTreatment
    basis: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """A line excluding VAT, as the documents state it: its net unit price (EN 16931 BT-146) and its
    net amount (BT-131). Prices excluding VAT: the line's own. Prices including VAT: derived from them
    (``invoicing.domain.money``)."""

    unit_price: Decimal
    net_amount: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    line_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107
    charge_total: Decimal  # BT-108
    tax_basis_total: Decimal  # BT-109, "total HT"
    vat_total: Decimal  # BT-110, "TVA"
    grand_total: Decimal  # BT-112, "total TTC"
    breakdown: tuple[VatBreakdown, ...]
    #: Each line excluding VAT, in line order.
    lines: tuple[LineAmounts, ...] = ()

    def __post_init__(self) -> None:
        if self.tax_basis_total + self.vat_total != self.grand_total:
            raise ArithmeticError("HT + TVA must equal TTC exactly")


def compute_totals(
    lines: tuple[Line, ...],
    adjustments: tuple[AllowanceCharge, ...] = (),
    *,
    prices_include_vat: bool = False,
) -> Totals:
    """Totals under the rounding policy written in ``invoicing.domain.money``: of prices excluding
    VAT, or of prices including VAT (``prices_include_vat``)."""
    if prices_include_vat:
        return _totals_from_prices_including_vat(lines, adjustments)
    amounts = tuple(LineAmounts(line.unit_price, line.net_amount) for line in lines)
    bases: dict[tuple[str, Decimal], Decimal] = {}
    treatments: dict[tuple[str, Decimal], VatTreatment] = {}
    for line, own in zip(lines, amounts, strict=True):
        key = line.vat.key
        bases[key] = bases.get(key, ZERO) + own.net_amount
        treatments.setdefault(key, line.vat)
    for adj in adjustments:
        signed = adj.amount if adj.is_charge else -adj.amount
        bases[adj.vat.key] = bases.get(adj.vat.key, ZERO) + signed
        treatments.setdefault(adj.vat.key, adj.vat)
    breakdown = tuple(
        VatBreakdown(treatments[key], basis, percent_of(basis, treatments[key].rate))
        for key, basis in sorted(bases.items(), key=lambda kv: _row_order(kv[0]))
    )
    line_total = sum((own.net_amount for own in amounts), ZERO)
    allowances = sum((a.amount for a in adjustments if not a.is_charge), ZERO)
    charges = sum((a.amount for a in adjustments if a.is_charge), ZERO)
    basis_total = line_total - allowances + charges
    if basis_total != sum((b.basis for b in breakdown), ZERO):
        raise ArithmeticError("VAT bases do not add up to the total excluding VAT")
    vat_total = sum((b.amount for b in breakdown), ZERO)
    return Totals(
        line_total, allowances, charges, basis_total, vat_total, basis_total + vat_total, breakdown, amounts
    )


def _row_order(key: tuple[str, Decimal]) -> tuple[Decimal, str]:
    """VAT summary rows: highest rate first, then by category."""
    category, rate = key
    return (-rate, category)


def _totals_from_prices_including_vat(
    lines: tuple[Line, ...], adjustments: tuple[AllowanceCharge, ...]
) -> Totals:
    """Per rate: VAT = TTC x rate / (100 + rate) rounded half-up, base = TTC - VAT, the base split over
    the rate's lines in whole cents (``invoicing.domain.money``, prices including VAT)."""
    if adjustments:
        raise ValueError(
            "prices including VAT take no document allowance or charge: put it on a line at its price"
        )
    if any(line.discount is not None for line in lines):
        raise ValueError("prices including VAT take no line discount: give the price after the discount")
    members: dict[tuple[str, Decimal], list[int]] = {}
    for position, line in enumerate(lines):
        members.setdefault(line.vat.key, []).append(position)
    nets: dict[int, Decimal] = {}
    rows: dict[tuple[str, Decimal], VatBreakdown] = {}
    for key, positions in members.items():
        vat = lines[positions[0]].vat
        paid = [lines[i].net_amount for i in positions]
        tax = vat_included(sum(paid, ZERO), vat.rate)
        basis = sum(paid, ZERO) - tax
        nets.update(zip(positions, allocate(basis, paid), strict=True))
        rows[key] = VatBreakdown(vat, basis, tax)
    breakdown = tuple(rows[key] for key in sorted(rows, key=_row_order))
    amounts = tuple(
        LineAmounts(unit_price_for(nets[i], line.quantity), nets[i]) for i, line in enumerate(lines)
    )
    basis = sum((b.basis for b in breakdown), ZERO)
    vat_total = sum((b.amount for b in breakdown), ZERO)
    return Totals(basis, ZERO, ZERO, basis, vat_total, basis + vat_total, breakdown, amounts)


@dataclass(frozen=True, slots=True)
class InvoiceReference:
    """The invoice a credit note corrects (EN 16931 BT-25, BT-26)."""

    number: str
    issue_date: date


@dataclass(frozen=True, slots=True)
class Settlement:
    """An invoice paid before it was issued (a sale paid online): printed "Facture acquittée"
    with the payment date, and its receivable opens paid. ``payment_id`` is the payments
    ledger's id of that payment (``stripe:<payment intent>``), so a later refund finds it."""

    on: date
    method: str
    payment_id: str


@dataclass(frozen=True, slots=True)
class Source:
    """Where a draft came from: the input file (by content hash) and the group within it."""

    file_key: str
    file_sha256: str
    group: str
    #: The digest of the group's rows' identities (``invoicing.domain.rows``), when the rows
    #: have them: the invoice is then the same for the same rows, whatever file they come in.
    rows_digest: str | None = None

    @property
    def invoice_id(self) -> str:
        """Deterministic id: the same rows of a group (else the same group of the same file)
        always map to the same invoice.

        This is what makes a redelivered or re-uploaded file create nothing new.
        """
        basis = self.rows_digest or self.file_sha256
        digest = hashlib.sha256(f"{basis}|{self.group}".encode()).hexdigest()
        return f"inv-{digest[:32]}"


@dataclass(frozen=True, slots=True)
class Draft:
    """Everything an invoice needs except what issuing gives it (number and dates)."""

    document_type: DocumentType
    buyer: Client
    lines: tuple[Line, ...]
    period_start: date
    period_end: date
    order_ref: str | None = None
    adjustments: tuple[AllowanceCharge, ...] = ()
    corrects: InvoiceReference | None = None
    credit_reason: str | None = None
    source: Source | None = None
    #: For a credit note made from the invoice's lines: which lines, and how much of each.
    credited_lines: tuple[CreditedLine, ...] = ()
    #: Paid before issue (an online sale): the invoice is issued paid.
    settled: Settlement | None = None
    #: The lines' prices include VAT (consumer prices, a sale paid online): VAT and the amounts
    #: excluding VAT are derived from them per rate (``invoicing.domain.money``).
    prices_include_vat: bool = False
    #: The sales rows it bills (``invoicing.domain.rows``): recorded as invoiced when it is issued.
    rows: tuple[RowRef, ...] = ()

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("a document needs at least one line")
        if self.period_end < self.period_start:
            raise ValueError("period ends before it starts")
        if self.document_type is DocumentType.CREDIT_NOTE and self.corrects is None:
            raise ValueError("a credit note must reference the invoice it corrects")
        if self.document_type is DocumentType.INVOICE and (self.corrects is not None or self.credited_lines):
            raise ValueError("only a credit note references a corrected invoice")
        if self.settled is not None and self.document_type is not DocumentType.INVOICE:
            raise ValueError("only an invoice is issued paid")
        negative = [b for b in self.totals().breakdown if b.basis < 0]
        if negative:
            raise ValueError("allowances exceed the lines they apply to: a document cannot be negative")

    def totals(self) -> Totals:
        return compute_totals(self.lines, self.adjustments, prices_include_vat=self.prices_include_vat)


@dataclass(frozen=True, slots=True)
class Invoice:
    """An issued invoice or credit note: the snapshot, and nothing else. It never changes;
    corrections go through credit notes, and what happens to it afterwards (sent, paid,
    credited, reminded) is its ``Receivable`` (``invoicing.domain.receivable``)."""

    invoice_id: str
    number: str
    issue_date: date
    due_date: date
    payment_terms: PaymentTerms
    seller: Seller
    draft: Draft
    totals: Totals
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if self.due_date < self.issue_date:
            raise ValueError("due date before issue date")
        if self.totals != self.draft.totals():
            raise ValueError("totals do not match the lines")

    @property
    def buyer(self) -> Client:
        return self.draft.buyer

    @property
    def lines(self) -> tuple[Line, ...]:
        return self.draft.lines

    @property
    def document_type(self) -> DocumentType:
        return self.draft.document_type

    @property
    def is_credit_note(self) -> bool:
        return self.draft.document_type is DocumentType.CREDIT_NOTE

    @property
    def settled(self) -> Settlement | None:
        """Paid before issue (``Draft.settled``)."""
        return self.draft.settled

    @property
    def locale(self) -> str:
        return self.draft.buyer.locale.value

    @property
    def exemptions(self) -> tuple[str, ...]:
        """Distinct legal exemption wordings this document must print, in line order."""
        seen: dict[str, None] = {}
        for item in (*self.lines, *self.draft.adjustments):
            if item.vat.exemption is not None:
                seen.setdefault(item.vat.exemption.text(self.locale))
        return tuple(seen)

    @property
    def has_standard_vat(self) -> bool:
        return any(b.vat.category is VatCategory.STANDARD for b in self.totals.breakdown)


def issue(
    draft: Draft,
    *,
    seller: Seller,
    number: str,
    issue_date: date,
    default_terms: PaymentTerms,
    invoice_id: str | None = None,
) -> Invoice:
    """Give a draft its number and dates. The caller allocates ``number`` atomically."""
    terms = draft.buyer.payment_terms or default_terms
    if draft.document_type is DocumentType.CREDIT_NOTE:
        # A credit note is settled by deduction or refund, not chased: due on issue.
        terms = PaymentTerms(0)
    if invoice_id is None:
        if draft.source is None:
            raise ValueError("an invoice id is needed when the draft has no source")
        invoice_id = draft.source.invoice_id
    return Invoice(
        invoice_id=invoice_id,
        number=number,
        issue_date=issue_date,
        due_date=terms.due_date(issue_date),
        payment_terms=terms,
        seller=seller,
        draft=draft,
        totals=draft.totals(),
    )


@dataclass(frozen=True, slots=True)
class CreditedLine:
    """Part of an invoice line to credit: its position (1-based) and the quantity to cancel."""

    line: int
    quantity: Decimal


def credit_note_draft(
    invoice: Invoice,
    *,
    reason: str,
    source: Source,
    lines: tuple[CreditedLine, ...] | None = None,
) -> Draft:
    """The draft of a credit note (avoir) correcting ``invoice``: in full, or some lines.

    A full credit note repeats every line and adjustment, so it cancels the invoice exactly.
    A partial one credits the given quantities of the given lines at their invoiced price and
    VAT (a line discount is credited in proportion). What the invoice still allows, over all
    its credit notes, is the receivable's to say (``Receivable.credit``).
    """
    if invoice.is_credit_note:
        raise ValueError(f"{invoice.number} is a credit note; credit the invoice it corrects")
    if not reason.strip():
        raise ValueError("a credit note needs its reason")
    if lines is None:
        credited = invoice.lines
        adjustments = invoice.draft.adjustments
    else:
        credited_lines = []
        for item in lines:
            if not 1 <= item.line <= len(invoice.lines):
                raise ValueError(f"{invoice.number} has no line {item.line}")
            original = invoice.lines[item.line - 1]
            if not 0 < item.quantity <= original.quantity:
                raise ValueError(
                    f"line {item.line}: credit between 0 and {original.quantity}, not {item.quantity}"
                )
            discount = original.discount
            if discount is not None and discount.amount is not None:
                share = round_money(discount.amount * item.quantity / original.quantity)
                discount = Discount(amount=share) if share > 0 else None
            credited_lines.append(
                Line(
                    description=original.description,
                    quantity=item.quantity,
                    unit=original.unit,
                    unit_price=original.unit_price,
                    vat=original.vat,
                    discount=discount,
                    service_date=original.service_date,
                )
            )
        credited = tuple(credited_lines)
        adjustments = ()
    draft = Draft(
        document_type=DocumentType.CREDIT_NOTE,
        buyer=invoice.buyer,
        lines=credited,
        period_start=invoice.draft.period_start,
        period_end=invoice.draft.period_end,
        order_ref=invoice.draft.order_ref,
        adjustments=adjustments,
        corrects=InvoiceReference(invoice.number, invoice.issue_date),
        credit_reason=reason.strip(),
        source=source,
        credited_lines=tuple(lines or ()),
        prices_include_vat=invoice.draft.prices_include_vat,
    )
    return draft
