"""Invoice storage and numbering: a number is allocated in the transaction that writes the invoice.

One DynamoDB transaction (TransactWriteItems) does three things or nothing:

1. advances the series counter from N to N+1, on condition that it still reads N and that
   its last issue date is not after this one (numbers stay chronological);
2. claims the number itself (``number#FA2026-00042``), on condition nobody holds it, which
   keeps numbers unique even if the operator changes the pattern mid-year;
3. writes the invoice, on condition that no invoice with this id exists. The id is derived
   from the source file's content and the group of rows, so a redelivered file cannot make a
   second invoice.

Concurrent writers race on condition 1; the loser re-reads and retries with the next number.
A gap is impossible because the counter only moves together with an invoice.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from invoicing.adapters.aws import region
from invoicing.adapters.records import models
from invoicing.domain import dunning
from invoicing.domain.codec import invoice_from_dict, invoice_to_dict
from invoicing.domain.invoice import TRANSITIONS, Draft, Invoice, Status, issue, transition
from invoicing.domain.numbering import NumberingPattern
from invoicing.domain.parties import Seller
from invoicing.domain.terms import PaymentTerms
from invoicing.settings import Resources

#: DynamoDB items are limited to 400 KB; keep a margin for the other attributes.
MAX_DOCUMENT_BYTES = 350_000


class NumberingConflict(RuntimeError):
    """The next number of a series is already held by another invoice: stop, do not skip it."""


class ChronologyError(RuntimeError):
    """An invoice would be numbered after one with a later issue date."""


class DocumentTooLarge(ValueError):
    pass


class CreditExceedsInvoice(ValueError):
    """Credit notes would cancel more than the invoice: refused, whatever ran at the same time."""


@dataclass(frozen=True, slots=True)
class StoredInvoice:
    invoice: Invoice
    created: bool
    pdf_key: str | None = None
    pdf_sha256: str | None = None
    xml_key: str | None = None
    send_queued_at: str | None = None
    credited_total: Decimal = Decimal("0")

    @property
    def creditable(self) -> Decimal:
        """What a credit note may still cancel, incl. VAT."""
        return self.invoice.totals.grand_total - self.credited_total


def encode_document(invoice: Invoice) -> str:
    text = json.dumps(invoice_to_dict(invoice), ensure_ascii=False, separators=(",", ":"))
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(f"{invoice.number}: {len(invoice.lines)} lines do not fit one record")
    return text


class InvoiceRepository:
    def __init__(
        self,
        resources: Resources,
        *,
        max_attempts: int = 250,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        m = models(resources)
        self._Invoice = m.InvoiceRecord
        self._Sequence = m.SequenceRecord
        self._connection = Connection(region=region())
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._clock = clock

    # --- reading -----------------------------------------------------------------------------

    def _stored(self, record, created: bool = False) -> StoredInvoice:
        invoice = invoice_from_dict(json.loads(record.document))
        invoice = replace(invoice, status=Status(record.status), pdf_sha256=record.pdf_sha256)
        return StoredInvoice(
            invoice=invoice,
            created=created,
            pdf_key=record.pdf_key,
            pdf_sha256=record.pdf_sha256,
            xml_key=record.xml_key,
            send_queued_at=record.send_queued_at,
            credited_total=record.credited_total,
        )

    def get(self, invoice_id: str) -> StoredInvoice | None:
        try:
            return self._stored(self._Invoice.get(invoice_id, consistent_read=True))
        except DoesNotExist:
            return None

    def get_by_number(self, number: str) -> StoredInvoice | None:
        for record in self._Invoice.by_number.query(number, limit=1):
            # The index is eventually consistent; read the item itself for the current state.
            return self.get(record.invoice_id)
        return None

    def all(self) -> Iterator[StoredInvoice]:
        """Every invoice, for the operator's listing and the demo. Not for scheduled code."""
        for record in self._Invoice.scan():
            yield self._stored(record)

    def due_for_action(self, on_or_before: date) -> Iterator[StoredInvoice]:
        """Invoices whose next dunning action falls on or before a day: reads only those."""
        for record in self._Invoice.by_next_action.query(
            dunning.OPEN, self._Invoice.next_action_on <= on_or_before.isoformat()
        ):
            yield self._stored(record)

    # --- issuing -----------------------------------------------------------------------------

    def issue(
        self,
        draft: Draft,
        *,
        seller: Seller,
        numbering: NumberingPattern,
        issue_date: date,
        default_terms: PaymentTerms,
    ) -> StoredInvoice:
        """Number and store ``draft`` exactly once; a second call returns the first result."""
        if draft.source is None:
            raise ValueError("only drafts with a source can be issued idempotently")
        invoice_id = draft.source.invoice_id
        existing = self.get(invoice_id)
        if existing is not None:
            return existing
        series = numbering.series(issue_date)
        day = issue_date.isoformat()
        counter = self._counter(series)
        for attempt in range(self._max_attempts):
            last = int(counter.last) if counter is not None else 0
            if counter is not None and counter.last_issue_date and counter.last_issue_date > day:
                raise ChronologyError(
                    f"series {series} already issued a number on {counter.last_issue_date}, after {day}"
                )
            number = numbering.format(last + 1, issue_date)
            invoice = issue(
                draft,
                seller=seller,
                number=number,
                issue_date=issue_date,
                default_terms=default_terms,
                invoice_id=invoice_id,
            )
            record = self._record(invoice, series)
            # The same token for the same attempt: if the SDK retries a request whose first try
            # committed (a lost response), DynamoDB answers success instead of a cancellation.
            token = hashlib.sha256(f"{invoice_id}|{number}".encode()).hexdigest()[:36]
            try:
                with TransactWrite(connection=self._connection, client_request_token=token) as tx:
                    self._advance(tx, counter, series, last, day)
                    tx.save(
                        self._Sequence(f"number#{number}", invoice_id=invoice_id),
                        condition=self._Sequence.series.does_not_exist(),
                    )
                    tx.save(record, condition=self._Invoice.invoice_id.does_not_exist())
                    if draft.corrects is not None:
                        self._credit(tx, draft.corrects.number, invoice)
                return self._stored(record, created=True)
            except TransactWriteError:
                # Issued already: by a duplicate delivery running at the same time, or by this
                # very attempt when only its response was lost.
                existing = self.get(invoice_id)
                if existing is not None:
                    return existing
                fresh = self._counter(series)
                if fresh is not None and counter is not None and int(fresh.last) == last:
                    # The counter did not move, so we did not lose a race for it.
                    self._check_claim(number, invoice_id, series, last)
                counter = fresh
                # Lost the race for this number. Full jitter with a short cap: a long backoff for
                # losers only would let the winners, who come straight back, starve them.
                self._sleep(random.uniform(0, min(0.05, 0.002 * 2 ** min(attempt, 5))))  # noqa: S311
        raise RuntimeError(f"could not allocate a number in {series} after {self._max_attempts} attempts")

    def _counter(self, series: str):
        try:
            return self._Sequence.get(series, consistent_read=True)
        except DoesNotExist:
            return None

    def _advance(self, tx: TransactWrite, counter, series: str, last: int, day: str) -> None:
        seq = self._Sequence
        if counter is None:
            tx.save(seq(series, last=1, last_issue_date=day), condition=seq.series.does_not_exist())
        else:
            tx.update(
                seq(series),
                actions=[seq.last.set(last + 1), seq.last_issue_date.set(day)],
                condition=(seq.last == last) & (seq.last_issue_date <= day),
            )

    def _check_claim(self, number: str, invoice_id: str, series: str, last: int) -> None:
        try:
            claim = self._Sequence.get(f"number#{number}", consistent_read=True)
        except DoesNotExist:
            return
        if claim.invoice_id != invoice_id:
            raise NumberingConflict(
                f"{number} is held by {claim.invoice_id} although series {series} stands at {last}: "
                "was the numbering pattern changed to one that repeats earlier numbers?"
            )

    def _credit(self, tx: TransactWrite, number: str, credit_note: Invoice) -> None:
        """Record a credit note against the invoice it corrects, in the same transaction."""
        target = self.get_by_number(number)
        if target is None:
            raise LookupError(f"corrected invoice {number} not found")
        credited = target.credited_total + credit_note.totals.grand_total
        if credited > target.invoice.totals.grand_total:
            remaining = target.invoice.totals.grand_total - target.credited_total
            amount = credit_note.totals.grand_total
            raise CreditExceedsInvoice(
                f"the credit note ({amount}) exceeds what remains of {number} ({remaining})"
            )
        Inv = self._Invoice
        actions = [Inv.credited_total.set(credited)]
        status = target.invoice.status
        if credited == target.invoice.totals.grand_total and Status.CREDITED in TRANSITIONS[status]:
            actions += [
                Inv.status.set(transition(status, Status.CREDITED).value),
                Inv.dunning_queue.remove(),
                Inv.next_action_on.remove(),
            ]
        tx.update(
            Inv(target.invoice.invoice_id),
            actions=actions,
            # The credited total we read is still the current one: two credit notes written at
            # once cannot both pass the "does not exceed the invoice" check above.
            condition=(Inv.credited_total == target.credited_total) & (Inv.status == status.value),
        )

    def _record(self, invoice: Invoice, series: str):
        totals = invoice.totals
        pending_action = None if invoice.is_credit_note else dunning.first_action_on(invoice.due_date)
        source = invoice.draft.source
        return self._Invoice(
            invoice.invoice_id,
            number=invoice.number,
            series=series,
            document_type=invoice.document_type.value,
            status=invoice.status.value,
            client_ref=invoice.buyer.ref,
            issue_date=invoice.issue_date.isoformat(),
            due_date=invoice.due_date.isoformat(),
            issued_key=f"{invoice.issue_date.isoformat()}#{invoice.number}",
            total_excl_vat=totals.tax_basis_total,
            total_vat=totals.vat_total,
            total_incl_vat=totals.grand_total,
            credited_total=Decimal("0"),
            currency=invoice.currency,
            corrects_number=invoice.draft.corrects.number if invoice.draft.corrects else None,
            document=encode_document(invoice),
            source_key=source.file_key if source else None,
            source_sha256=source.file_sha256 if source else None,
            dunning_queue=dunning.OPEN if pending_action else None,
            next_action_on=pending_action.isoformat() if pending_action else None,
            created_at=self._clock().isoformat(timespec="seconds"),
        )

    # --- after issuing -------------------------------------------------------------------------

    def record_documents(
        self, invoice_id: str, *, pdf_key: str, pdf_sha256: str, xml_key: str | None
    ) -> None:
        """Attach the stored PDF (and XML) to the record. Never replaces a different PDF."""
        Inv = self._Invoice
        try:
            Inv(invoice_id).update(
                actions=[Inv.pdf_key.set(pdf_key), Inv.pdf_sha256.set(pdf_sha256), Inv.xml_key.set(xml_key)],
                condition=Inv.invoice_id.exists()
                & (Inv.pdf_sha256.does_not_exist() | (Inv.pdf_sha256 == pdf_sha256)),
            )
        except UpdateError as exc:
            stored = self.get(invoice_id)
            if stored is not None and stored.pdf_sha256 not in (None, pdf_sha256):
                raise RuntimeError(
                    f"{stored.invoice.number} already has a PDF with another SHA-256; an issued "
                    "invoice is never replaced"
                ) from exc
            raise

    def mark_send_queued(self, invoice_id: str) -> bool:
        """Remember that the send message went out; False if it had been already."""
        Inv = self._Invoice
        try:
            Inv(invoice_id).update(
                actions=[Inv.send_queued_at.set(self._clock().isoformat(timespec="seconds"))],
                condition=Inv.invoice_id.exists() & Inv.send_queued_at.does_not_exist(),
            )
        except UpdateError:
            stored = self.get(invoice_id)
            if stored is not None and stored.send_queued_at:
                return False
            raise
        return True
