"""The owner's and operator's side of supplier invoices: the review queue, approving (with
corrections), rejecting (``invoicing suppliers ...``).

Approving books a ``to_review`` invoice as it is, or as corrected: ``--set field=value`` changes
what was read (the amounts, dates, number, supplier, identifiers), ``--account`` the purchase
account. A correction is checked again (``domain.supplier_review``); what the books cannot take
is refused rather than booked: totals that do not add up, or a missing date or total. Every
change is kept in the record's history with the value it replaced. Rejecting keeps the record
(and its document) out of the books, with the reason, and frees the supplier's number for the
right document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from invoicing.adapters.supplier_invoices import (
    Reason,
    State,
    StoredSupplierInvoice,
    SupplierInvoices,
)
from invoicing.domain.accounting import Account, AccountingError
from invoicing.domain.supplier_invoice import FIELDS, SupplierInvoice
from invoicing.domain.supplier_review import review
from invoicing.domain.text import forbidden_characters, quoted

#: What cannot be booked, even by the owner's decision.
BLOCKING = frozenset(
    {
        "supplier_totals_mismatch",
        "supplier_vat_breakdown_mismatch",
        "supplier_unreadable",
        "supplier_currency",
    }
)
_REQUIRED_TO_BOOK = ("issue_date", "total_excl_tax", "total_incl_tax")
_AMOUNTS = frozenset({"total_excl_tax", "total_tax", "total_incl_tax", "amount_due"})
_DATES = frozenset({"issue_date", "due_date"})


class SupplierRefused(ValueError):
    """What the command asked cannot be done: the message says why and what to do."""


class SupplierDesk:
    def __init__(
        self,
        records: SupplierInvoices,
        *,
        today: Callable[[], date],
        our_ids: tuple[str, ...] = (),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.records = records
        self.today = today
        self.our_ids = our_ids
        self.now = now

    def queue(self) -> list[StoredSupplierInvoice]:
        """What waits for the owner, oldest first."""
        return sorted(self.records.in_state(State.TO_REVIEW), key=lambda s: s.received_at)

    def find(self, ref: str) -> StoredSupplierInvoice:
        ref = ref.strip().lower()
        if len(ref) < 6 or any(c not in "0123456789abcdef" for c in ref):
            raise SupplierRefused(
                f"{quoted(ref, 70)!r}: give the reference shown (12 characters or more of it)"
            )
        found = self.records.find(ref)
        if not found:
            raise SupplierRefused(f"no supplier invoice {ref}")
        if len(found) > 1:
            raise SupplierRefused(f"{ref} names {len(found)} invoices: give more characters")
        return found[0]

    def approve(
        self,
        ref: str,
        *,
        changes: Mapping[str, str] | None = None,
        account: str | None = None,
        who: str = "owner",
    ) -> StoredSupplierInvoice:
        stored = self.find(ref)
        if stored.state in (State.REJECTED, State.READING):
            raise SupplierRefused(f"{stored.short_id} is {stored.state.value}: it cannot be approved")
        invoice, notes = corrected(stored.invoice, changes or {})
        result = review(invoice, today=self.today(), our_ids=self.our_ids)
        blocking = [p for p in result.problems if p.code in BLOCKING]
        missing = [name for name in _REQUIRED_TO_BOOK if getattr(invoice, name) is None]
        if blocking or missing:
            why = [p.describe("en") for p in blocking] + [
                f"{name} is missing: --set {name}=…" for name in missing
            ]
            raise SupplierRefused(f"{stored.short_id} cannot be booked: " + "; ".join(why))
        chosen = stored.account
        if account:
            try:
                chosen = Account(account.strip(), account.strip())
            except AccountingError as exc:
                raise SupplierRefused(str(exc)) from None
            notes.append(f"account {stored.account.number if stored.account else '-'} -> {chosen.number}")
        if invoice.invoice_number != stored.invoice.invoice_number or (
            invoice.supplier_siren != stored.invoice.supplier_siren
        ):
            holder = self.records.claim_number(invoice)
            if holder is not None and holder != stored.id:
                raise SupplierRefused(
                    f"{invoice.invoice_number} of this supplier is already recorded ({holder[:12]})"
                )
            # The number as it was misread is free again for the document that really bears it.
            self.records.release_number(stored.invoice)
        event = f"approved by the {who}" + (f": {'; '.join(notes)}" if notes else "")
        after = replace(
            stored,
            invoice=invoice,
            state=State.APPROVED,
            account=chosen,
            reasons=tuple(
                Reason(p.code, p.column, p.value, p.describe("fr"), p.describe("en")) for p in result.problems
            ),
            history=(*stored.history, (self.now().isoformat(), event)),
        )
        return self.records.replace(stored, after)

    def reject(self, ref: str, *, reason: str, who: str = "owner") -> StoredSupplierInvoice:
        stored = self.find(ref)
        text = " ".join(reason.split())
        if not text or forbidden_characters(text) or len(text) > 300:
            raise SupplierRefused("--reason: say why in at most 300 plain characters")
        after = replace(
            stored,
            state=State.REJECTED,
            history=(*stored.history, (self.now().isoformat(), f"rejected by the {who}: {text}")),
        )
        written = self.records.replace(stored, after)
        self.records.release_number(stored.invoice)
        return written


def corrected(invoice: SupplierInvoice, changes: Mapping[str, str]) -> tuple[SupplierInvoice, list[str]]:
    """``invoice`` with ``changes`` (field -> text as typed) applied, and what changed, in words.
    Amounts are ``1234.56`` or ``1234,56``; dates ``2026-11-20`` or ``20/11/2026``; empty clears."""
    values: dict[str, object] = {}
    notes = []
    for name, text in changes.items():
        if name not in FIELDS:
            raise SupplierRefused(f"--set {quoted(name, 40)}: a field is one of {', '.join(FIELDS)}")
        raw = " ".join(text.split())
        if forbidden_characters(raw) or len(raw) > 200:
            raise SupplierRefused(f"--set {name}: at most 200 plain characters")
        value: object
        if not raw:
            value = None
        elif name in _AMOUNTS:
            try:
                value = Decimal(raw.replace(" ", "").replace(",", "."))
            except InvalidOperation:
                raise SupplierRefused(f"--set {name}: {quoted(raw, 40)} is not an amount (1234.56)") from None
            if not value.is_finite() or abs(value) >= 10**12 or value != value.quantize(Decimal("0.01")):  # type: ignore[union-attr]
                raise SupplierRefused(f"--set {name}: {quoted(raw, 40)} is not an amount in cents")
        elif name in _DATES:
            value = _day(raw, name)
        elif name == "currency":
            value = raw.upper()
            if len(raw) != 3 or not raw.isalpha():
                raise SupplierRefused("--set currency: a 3-letter ISO code (EUR)")
        else:
            value = raw
        old = getattr(invoice, name)
        values[name] = value
        notes.append(f"{name}: {old if old is not None else '-'} -> {value if value is not None else '-'}")
    confidence = {**invoice.confidence, **dict.fromkeys(values, 1.0)}
    return replace(invoice, **values, confidence=confidence), notes  # type: ignore[arg-type]


def _day(text: str, name: str) -> date:
    try:
        if "/" in text:
            day, month, year = (int(p) for p in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise SupplierRefused(
            f"--set {name}: {quoted(text, 40)} is not a date (2026-11-20 or 20/11/2026)"
        ) from None
