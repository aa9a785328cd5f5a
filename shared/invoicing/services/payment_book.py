"""The payments book: the one way money reaches a receivable.

``PaymentBook.record`` merges an entry into the payments ledger (``adapters.payments``), reads
the whole payment back (strongly consistent: the entries of one payment are one partition),
links entries reported before their payment (a refund before the payment it refunds), and
settles the invoice's receivable from them by conditional write (``Receivable.settle``). A
payment no invoice is known for stays in the ledger, unmatched, for the operator
(``invoicing payments``). Stripe's webhook (``services.payments``), bank statements
(``services.bank_import``), the operator's commands (``services.cashbook``) and online sales
(``services.file_import``) all record through it. No Stripe here: generate imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.adapters.payments import PaymentLedger, Recorded
from invoicing.domain.ledger import Entry, Kind
from invoicing.domain.money import ZERO
from invoicing.domain.receivable import Receivable, Status


class InvoiceNotYetIssued(RuntimeError):
    """A payment names an invoice that is being issued (an online sale): retry later."""


@dataclass(frozen=True, slots=True)
class Settled:
    """What recording one entry did: the ledger entry, and the invoice it settled (if known)."""

    recorded: Recorded
    invoice_id: str | None = None
    number: str | None = None
    before: Status | None = None
    after: Receivable | None = None
    #: What the invoice owed the customer before (an overpayment shows as a rise).
    owed_before: Decimal = ZERO
    #: Why the invoice the entry named could not take it (it was kept unmatched instead).
    refused: str | None = None

    @property
    def status(self) -> Status | None:
        return self.after.status if self.after is not None else None


class PaymentBook:
    def __init__(self, *, ledger: PaymentLedger, invoices: InvoiceRepository) -> None:
        self.ledger = ledger
        self.invoices = invoices

    def record(self, entry: Entry, *, known: StoredInvoice | None = None) -> Settled:
        """Merge ``entry`` into the ledger and settle the invoice its payment belongs to.
        ``known``: the invoice as the caller just read it (saves a read; a stale one costs a
        retry, never a lost update).

        An entry naming an invoice that cannot take it (unknown, a credit note, another
        currency) is kept unmatched, with the reason in its label and in ``refused``: the money
        is never lost and never stuck on an invoice that refuses it."""
        refused = None
        if entry.invoice_id is not None:
            named = known if known is not None and known.invoice.invoice_id == entry.invoice_id else None
            named = named or self.invoices.get(entry.invoice_id)
            refused = refusal(entry, named)
            if refused is not None:
                entry = replace(entry, invoice_id=None, label=f"{refused}; {entry.label}"[:1000])
            known = named
        recorded = self.ledger.record(entry)
        group = self.ledger.group(entry.group)
        invoice_id = _invoice_of(group)
        if invoice_id is None:
            return Settled(recorded, refused=refused)
        mine = []
        for e in group:
            if e.invoice_id is None:
                e = self.ledger.record(replace(e, invoice_id=invoice_id)).after
            if e.invoice_id == invoice_id:
                mine.append(e)
        stored = known if known is not None and known.invoice.invoice_id == invoice_id else None
        stored = stored or self.invoices.get(invoice_id)
        if stored is None:
            raise InvoiceNotYetIssued(f"{entry.entry_id} belongs to {invoice_id}, which is not issued yet")
        before = stored.receivable
        after = self.invoices.update(invoice_id, lambda r: r.settle(mine), current=stored)
        return Settled(
            recorded,
            invoice_id,
            stored.invoice.number,
            before.status,
            after.receivable,
            before.owed_to_customer,
        )

    def assign(self, group: str, invoice_id: str) -> Settled:
        """The operator says which invoice an unmatched payment pays."""
        current = self.ledger.get(group)
        if current is None:
            raise LookupError(f"no payment {group} in the ledger")
        if current.invoice_id is not None and current.invoice_id != invoice_id:
            raise ValueError(f"{group} already settles {current.invoice_id}")
        if self.invoices.get(invoice_id) is None:
            raise LookupError(f"no invoice {invoice_id}")
        return self.record(replace(current, invoice_id=invoice_id))

    def known(self, invoice_id: str) -> StoredInvoice | None:
        return self.invoices.get(invoice_id)


def refusal(entry: Entry, stored: StoredInvoice | None) -> str | None:
    """Why the invoice ``entry`` names cannot take it, or None when it can."""
    if stored is None:
        return f"invoice {entry.invoice_id} unknown"
    if stored.invoice.is_credit_note:
        return f"{stored.invoice.number} is a credit note"
    if entry.currency != stored.invoice.currency:
        return f"paid in {entry.currency}, {stored.invoice.number} is in {stored.invoice.currency}"
    return None


def _invoice_of(group: Sequence[Entry]) -> str | None:
    """The invoice a payment settles: its payment entry's, else any entry's."""
    for entry in sorted(group, key=lambda e: (e.kind is not Kind.PAYMENT, e.entry_id)):
        if entry.invoice_id:
            return entry.invoice_id
    return None
