"""The operator's hands on the payments ledger (``invoicing payments ...``).

- ``unmatched``: money no invoice is known for (bank credits left for review, Stripe payments
  naming no invoice of ours), oldest first;
- ``assign``: say which invoice such a payment pays; the invoice is settled through
  ``PaymentBook`` like any payment;
- ``record``: a payment that reached the business outside the bank statements and Stripe (a
  cheque, cash, a transfer seen in the banking app): one ledger entry ``manual:<id>`` whose id
  is derived from the operator's reference (case and spaces ignored), so the same reference
  twice records once; the same reference with other facts is refused, never merged;
- ``of_invoice``: an invoice's ledger entries and what is still due.

Every change goes through ``PaymentBook`` (ledger, then the receivable by conditional write),
so it can run while a statement is imported or Stripe reports the same invoice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.adapters.payments import PaymentLedger
from invoicing.domain.ledger import Entry, Kind, Source, State, cents
from invoicing.domain.matching import REVIEW
from invoicing.domain.text import forbidden_characters, quoted
from invoicing.services.bank_import import ASSIGNED, read_note
from invoicing.services.clock import today as local_today
from invoicing.services.desk import KEY_MAX, BadArgument, UnknownInvoice, clean_typed
from invoicing.services.payment_book import PaymentBook, Settled
from invoicing.settings import RemindSettings

#: What the operator may record by hand.
MANUAL_METHODS = ("cheque", "cash", "transfer")
#: Longest reference kept; longest group looked up.
REFERENCE_MAX = 100
GROUP_MAX = 600
#: An amount above this is a typing mistake, not a payment of a small business's invoice.
AMOUNT_MAX = Decimal("10000000")


class PaymentRefused(ValueError):
    """The ledger cannot take this (a payment already assigned elsewhere, a reference already
    used for another payment...): the message says why. Nothing was changed."""


class UnknownPayment(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """One ledger entry as the operator sees it."""

    group: str
    kind: str
    state: str
    source: str
    method: str
    on: str
    amount: str
    currency: str
    label: str
    how: str | None
    reason: str
    invoice: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class InvoicePayments:
    number: str
    client: str
    total: str
    paid: str
    due: str
    status: str
    payments: tuple[PaymentRow, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "payments": [p.as_dict() for p in self.payments]}


@dataclass(frozen=True, slots=True)
class Applied:
    """What ``assign`` or ``record`` did: the payment, the invoice now, and whether the ledger
    learnt anything (False: it was recorded already)."""

    payment: PaymentRow
    number: str
    status: str
    due: str
    changed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "payment": self.payment.as_dict(),
            "invoice": self.number,
            "status": self.status,
            "due": self.due,
            "changed": self.changed,
        }


def manual_group(reference: str) -> str:
    """The ledger group of a manual payment: the same reference (case and spaces aside) is the
    same payment."""
    key = " ".join(reference.split()).casefold()
    return "manual:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def clean_reference(reference: str) -> str:
    return clean_typed(
        reference,
        what="--reference",
        limit=REFERENCE_MAX,
        missing="--reference: give the cheque number, the receipt or another reference",
    )


def check_amount(amount: Decimal) -> Decimal:
    """A payment amount as typed: positive, at most two decimals, not absurd."""
    if not amount.is_finite():
        raise BadArgument(f"{amount} is not an amount")
    if amount <= 0:
        raise BadArgument(f"the amount must be positive, not {amount}")
    if amount != amount.quantize(Decimal("0.01")):
        raise BadArgument(f"{amount} has more than 2 decimals")
    if amount > AMOUNT_MAX:
        raise BadArgument(f"{amount} is above {AMOUNT_MAX}: a typing mistake?")
    return amount.quantize(Decimal("0.01"))


def payment_row(entry: Entry, number: str | None = None) -> PaymentRow:
    note = read_note(entry.label)
    how = note.how
    if how == REVIEW and entry.invoice_id is not None:
        how = ASSIGNED  # left for review by the import, then assigned by the operator
    return PaymentRow(
        group=entry.group,
        kind=entry.kind.value,
        state=entry.state.value,
        source=entry.source.value,
        method=entry.method,
        on=entry.on.isoformat(),
        amount=str(entry.amount),
        currency=entry.currency,
        label=note.text,
        how=how,
        reason=note.reason,
        invoice=number,
    )


class Cashbook:
    def __init__(
        self,
        *,
        book: PaymentBook,
        today: Callable[[], date],
    ) -> None:
        self.book = book
        self.ledger = book.ledger
        self.invoices = book.invoices
        self.today = today

    @classmethod
    def from_settings(cls, settings: RemindSettings, *, today: Callable[[], date] | None = None) -> Cashbook:
        """The stack's ledger, from its remind function's settings (as ``Desk``); ``today`` is
        the business's calendar day by default."""
        resources = settings.resources
        if not resources.payments_table:
            raise ValueError("the stack's settings name no payments table (PAYMENTS_TABLE)")
        return cls(
            book=PaymentBook(
                ledger=PaymentLedger(resources.payments_table), invoices=InvoiceRepository(resources)
            ),
            today=today or (lambda: local_today(settings.time_zone)),
        )

    # --- looking -------------------------------------------------------------------------------

    def unmatched(self) -> list[PaymentRow]:
        rows = [payment_row(e) for e in self.ledger.to_review()]
        return sorted(rows, key=lambda r: (r.on, r.group))

    def of_invoice(self, number: str) -> InvoicePayments:
        stored = self._find(number)
        r = stored.receivable
        entries = sorted(
            self.ledger.of_invoice(stored.invoice.invoice_id), key=lambda e: (e.on, e.group, e.key)
        )
        return InvoicePayments(
            number=stored.invoice.number,
            client=f"{stored.invoice.buyer.ref} {stored.invoice.buyer.name}",
            total=str(r.total),
            paid=str(r.net_paid),
            due=str(r.due),
            status=r.status.value,
            payments=tuple(payment_row(e, stored.invoice.number) for e in entries),
        )

    # --- acting --------------------------------------------------------------------------------

    def assign(self, group: str, number: str) -> Applied:
        """The operator says ``number`` is what the unmatched payment ``group`` pays. ``group``
        may be given by a prefix that names one unmatched payment only."""
        stored = self._find(number)
        current = self._payment(group)
        invoice = stored.invoice
        if current.invoice_id is not None and current.invoice_id != invoice.invoice_id:
            other = self.invoices.get(current.invoice_id)
            raise PaymentRefused(
                f"{current.group} already pays {other.invoice.number if other else current.invoice_id}"
            )
        self._check(current, stored)
        if current.kind is not Kind.PAYMENT or current.state is State.FAILED:
            raise PaymentRefused(
                f"{current.group} is a {current.state.value} {current.kind.value}, not money received"
            )
        settled = self.book.assign(current.group, invoice.invoice_id)
        return self._applied(settled, stored)

    def record(self, number: str, amount: Decimal, *, method: str, on: date, reference: str) -> Applied:
        """A payment received outside the bank statements and Stripe; once per reference."""
        if method not in MANUAL_METHODS:
            raise BadArgument(f"--method is one of {', '.join(MANUAL_METHODS)}, not {quoted(method, 20)!r}")
        amount = check_amount(amount)
        today = self.today()
        if on > today:
            raise BadArgument(f"--on {on.isoformat()} is in the future (today is {today.isoformat()})")
        reference = clean_reference(reference)
        stored = self._find(number)
        invoice = stored.invoice
        entry = Entry(
            group=manual_group(reference),
            kind=Kind.PAYMENT,
            ref=reference,
            state=State.SUCCEEDED,
            cents=cents(amount),
            on=on,
            source=Source.MANUAL,
            currency=invoice.currency,
            method=method,
            invoice_id=invoice.invoice_id,
            label=f"{method} {reference}",
        )
        self._check(entry, stored)
        existing = self.ledger.get(entry.group)
        if existing is not None and replace(existing, ref=entry.ref, label=entry.label) != entry:
            other = self.invoices.get(existing.invoice_id) if existing.invoice_id else None
            raise PaymentRefused(
                f"reference {quoted(reference, 40)!r} already records {existing.amount} {existing.currency} "
                f"by {existing.method} on {existing.on.isoformat()} for "
                f"{other.invoice.number if other else existing.invoice_id or 'no invoice'}; "
                "give this payment its own reference"
            )
        settled = self.book.record(existing or entry)
        return self._applied(settled, stored)

    # --- helpers -------------------------------------------------------------------------------

    def _find(self, number: str) -> StoredInvoice:
        key = number.strip()
        stored = None
        if key and len(key) <= KEY_MAX and not forbidden_characters(key):
            stored = self.invoices.get_by_number(key)
        if stored is None:
            raise UnknownInvoice(f"no invoice numbered '{quoted(number, KEY_MAX)}'")
        return stored

    def _payment(self, group: str) -> Entry:
        key = group.strip()
        if not key or len(key) > GROUP_MAX or forbidden_characters(key):
            raise UnknownPayment(f"no payment '{quoted(group, 80)}' in the ledger")
        entry = self.ledger.get(key)
        if entry is not None:
            return entry
        # A prefix of one unmatched payment's group (groups of bank lines are long).
        candidates = [
            e for e in self.ledger.to_review() if e.group.startswith(key) and e.kind is Kind.PAYMENT
        ]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise UnknownPayment(
                f"'{quoted(group, 80)}' begins {len(candidates)} unmatched payments; give more of it"
            )
        raise UnknownPayment(f"no payment '{quoted(group, 80)}' in the ledger")

    @staticmethod
    def _check(entry: Entry, stored: StoredInvoice) -> None:
        """What settling would refuse, refused before the ledger is touched."""
        invoice = stored.invoice
        if invoice.is_credit_note:
            raise PaymentRefused(f"{invoice.number} is a credit note: it is not paid")
        if entry.currency != invoice.currency:
            raise PaymentRefused(
                f"{entry.group} is in {entry.currency}, {invoice.number} in {invoice.currency}"
            )

    def _applied(self, settled: Settled, stored: StoredInvoice) -> Applied:
        after = settled.after or stored.receivable
        return Applied(
            payment=payment_row(settled.recorded.after, stored.invoice.number),
            number=stored.invoice.number,
            status=after.status.value,
            due=str(after.due),
            changed=settled.recorded.changed
            or (settled.after is not None and settled.after != stored.receivable),
        )
