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

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from invoicing.adapters.supplier_invoices import (
    Conflict,
    Reason,
    State,
    StoredSupplierInvoice,
    SupplierInvoices,
    number_key,
)
from invoicing.domain.accounting import DEFAULT_PURCHASE_RULES, TO_CLASSIFY, Account
from invoicing.domain.supplier_invoice import FIELDS, SupplierInvoice
from invoicing.domain.supplier_review import review
from invoicing.domain.text import forbidden_characters, quoted

#: What cannot be booked, even by the owner's decision: totals that do not add up, a document
#: nobody could read, a foreign currency (the books need its euro value), a supplier's number
#: already booked, an invoice of the business itself. A VAT breakdown that does not add up is
#: not among them: the totals do, and the VAT is then booked as one line.
BLOCKING = frozenset(
    {
        "supplier_totals_mismatch",
        "supplier_unreadable",
        "supplier_currency",
        "supplier_duplicate_number",
        "supplier_is_us",
    }
)
#: Dates an invoice may bear: none before this year, none more than a year ahead.
EARLIEST_YEAR = 2000
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
        """What waits for the owner, oldest first; then what Textract is still reading (a
        document that stays there long means its completion notice was lost)."""
        waiting = sorted(self.records.in_state(State.TO_REVIEW), key=lambda s: s.received_at)
        reading = sorted(self.records.in_state(State.READING), key=lambda s: s.received_at)
        return waiting + reading

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
        invoice, notes = corrected(stored.invoice, changes or {}, today=self.today())
        # The supplier's number is claimed again (it may have been corrected): a number another
        # document holds is a duplicate, which the books must not take twice.
        holder = self.records.claim_number(invoice)
        duplicate = f"{holder[:12]}" if holder is not None and holder != stored.id else None
        result = review(invoice, today=self.today(), duplicate_of=duplicate, our_ids=self.our_ids)
        blocking = [p for p in result.problems if p.code in BLOCKING]
        missing = [name for name in _REQUIRED_TO_BOOK if getattr(invoice, name) is None]
        if invoice.issue_date is not None and not plausible(invoice.issue_date, self.today()):
            missing.append(
                f"issue_date {invoice.issue_date.isoformat()} is not a plausible date: --set issue_date="
            )
        if blocking or missing:
            if duplicate is None and number_key(invoice) != number_key(stored.invoice):
                self.records.release_number(invoice)  # the claim just taken for the correction
            why = [p.describe("en") for p in blocking] + [
                m if " " in m else f"{m} is missing: --set {m}=…" for m in missing
            ]
            raise SupplierRefused(f"{stored.short_id} cannot be booked: " + "; ".join(why))
        chosen = stored.account
        if account:
            chosen = purchase_account(account)
            notes.append(f"account {stored.account.number if stored.account else '-'} -> {chosen.number}")
        was = ", ".join(r.code for r in stored.reasons)
        event = (
            f"approved by the {who}"
            + (f": {'; '.join(notes)}" if notes else "")
            + (f" (it waited for: {was})" if was else "")
        )
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
        renumbered = number_key(invoice) != number_key(stored.invoice)
        try:
            written = self.records.replace(stored, after)
        except Conflict:
            if renumbered:
                self.records.release_number(invoice)
            raise
        if renumbered:
            # The number as it was misread is free again for the document that really bears it.
            self.records.release_number(stored.invoice)
        return written

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


def plausible(day: date, today: date) -> bool:
    """A date an invoice may bear: from ``EARLIEST_YEAR`` to a year from ``today``."""
    return date(EARLIEST_YEAR, 1, 1) <= day <= today + timedelta(days=366)


def purchase_account(text: str) -> Account:
    """An account typed for a purchase: a charge (class 6) or a fixed asset (class 2, a computer
    bought), digits only, 3 to 11 of them (what XIMPORT holds); labelled as the defaults label it."""
    number = text.strip()
    if not (number.isdigit() and 3 <= len(number) <= 11 and number[0] in "62"):
        raise SupplierRefused(
            f"--account {quoted(number, 20)}: a purchase goes on a class 6 account (6064, 6226…) or a "
            "class 2 one (2183…), 3 to 11 digits"
        )
    known = {rule.account.number: rule.account.label for rule in DEFAULT_PURCHASE_RULES}
    known[TO_CLASSIFY.number] = TO_CLASSIFY.label
    return Account(number, known.get(number, f"Compte {number}"))


def corrected(
    invoice: SupplierInvoice, changes: Mapping[str, str], *, today: date | None = None
) -> tuple[SupplierInvoice, list[str]]:
    """``invoice`` with ``changes`` (field -> text as typed) applied, and what changed, in words.
    Amounts are ``1234.56`` or ``1234,56``; dates ``2026-11-20`` or ``20/11/2026`` (four-digit
    years, and plausible when ``today`` is given); empty clears."""
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
            if today is not None and not plausible(value, today):
                raise SupplierRefused(f"--set {name}: {raw} is not a plausible date for an invoice")
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
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})|(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if found is None:
            raise ValueError(text)
        if found.group(1):
            return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        return date(int(found.group(6)), int(found.group(5)), int(found.group(4)))
    except ValueError:
        raise SupplierRefused(
            f"--set {name}: {quoted(text, 40)} is not a date (2026-11-20 or 20/11/2026)"
        ) from None
