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
A gap is impossible because the counter only moves together with an invoice. A credit note
also records itself on the invoice it corrects in the same transaction (4.), conditioned on
that invoice's receivable version: two credit notes at once cannot both pass the ceiling.

After issuing, the receivable (``invoicing.domain.receivable``) changes only through
``update``: read, apply a pure transition, write on condition that the version is unchanged;
on a conflict, read again and re-apply (the transition may then refuse).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from invoicing.adapters.aws import region
from invoicing.adapters.records import models
from invoicing.domain.codec import (
    encode_document,
    invoice_from_dict,
    receivable_from_dict,
    receivable_to_dict,
)
from invoicing.domain.invoice import Draft, Invoice, issue
from invoicing.domain.numbering import NumberingPattern
from invoicing.domain.parties import Seller
from invoicing.domain.receivable import (
    DUNNING_QUEUE,
    DunningPolicy,
    Receivable,
    TransitionRefused,
    open_receivable,
)
from invoicing.domain.rows import RowLedger, RowRef, ledger_key
from invoicing.domain.terms import PaymentTerms
from invoicing.settings import Resources


class NumberingConflict(RuntimeError):
    """The next number of a series is already held by another invoice: stop, do not skip it."""


class ChronologyError(RuntimeError):
    """An invoice would be numbered after one with a later issue date."""


class CreditExceedsInvoice(ValueError):
    """Credit notes would cancel more than the invoice: refused, whatever ran at the same time."""


class StaleReceivable(RuntimeError):
    """Another writer changed the receivable between our read and our write, too many times."""


class RowLedgerFull(RuntimeError):
    """A client's rows ledger for a month would exceed DynamoDB's item size (some 4,000 rows)."""


class RowsInvoiced(RuntimeError):
    """Rows of a draft are billed by another invoice already (issued meanwhile, by another run):
    the file is to be read again, and those rows left out."""

    def __init__(self, rows: list[tuple[int, str]]) -> None:
        super().__init__(
            "rows invoiced meanwhile: " + ", ".join(f"row {row} ({number})" for row, number in rows[:10])
        )
        self.rows = rows


@dataclass(frozen=True, slots=True)
class StoredInvoice:
    """An issued document as stored: the snapshot, its running state and its files."""

    invoice: Invoice
    receivable: Receivable
    created: bool
    pdf_key: str | None = None
    pdf_sha256: str | None = None
    xml_key: str | None = None


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
        return StoredInvoice(
            invoice=invoice_from_dict(json.loads(record.document)),
            receivable=receivable_from_dict(json.loads(record.receivable)),
            created=created,
            pdf_key=record.pdf_key,
            pdf_sha256=record.pdf_sha256,
            xml_key=record.xml_key,
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

    def of_client(self, client_ref: str) -> Iterator[StoredInvoice]:
        """A client's documents in issue order (the by-client index; each item read again for
        its current state)."""
        for record in self._Invoice.by_client.query(client_ref):
            stored = self.get(record.invoice_id)
            if stored is not None:
                yield stored

    def due_for_action(self, on_or_before: date) -> Iterator[StoredInvoice]:
        """Invoices whose next dunning action falls on or before a day: reads only those."""
        for record in self._Invoice.by_next_action.query(
            DUNNING_QUEUE, self._Invoice.next_action_on <= on_or_before.isoformat()
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
        policy: DunningPolicy | None = None,
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
            # The rows it bills, invoiced by nobody yet (read again at every attempt: a lost race
            # may be a lost race for them, and then another invoice bills them).
            ledgers = self._ledgers_for(draft)
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
            receivable = open_receivable(invoice, policy)
            record = self._record(invoice, receivable, series)
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
                    for ledger in ledgers:
                        self._record_rows(
                            tx,
                            ledger,
                            [
                                r
                                for r in draft.rows
                                if (r.client_ref, r.period) == (ledger.client_ref, ledger.period)
                            ],
                            number,
                        )
                return StoredInvoice(invoice, receivable, created=True)
            except TransactWriteError as exc:
                if getattr(exc, "cause_response_code", None) == "ValidationException":
                    # Not a race: a row ledger outgrew DynamoDB's 400 KB item. Retrying cannot help.
                    raise RowLedgerFull(
                        f"{invoice_id}: the rows ledger of {draft.buyer.ref} for the month cannot take "
                        f"{len(draft.rows)} more rows ({exc.cause_response_message})"
                    ) from exc
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

    # --- the ledger of invoiced rows (invoicing.domain.rows) -------------------------------------

    def row_ledger(self, client_ref: str, period: int) -> RowLedger:
        """The rows of ``client_ref`` dated in ``period`` (``yyyymm``) that invoices bill, now."""
        try:
            item = self._Sequence.get(ledger_key(client_ref, period), consistent_read=True)
        except DoesNotExist:
            return RowLedger(client_ref, period)
        return RowLedger.from_json(client_ref, period, item.rows, int(item.rows_version or 0))

    def _ledgers_for(self, draft: Draft) -> list[RowLedger]:
        """The ledgers the draft's rows go to; ``RowsInvoiced`` when any of them is there already
        (another invoice bills it: the file must be read again)."""
        ledgers = [
            self.row_ledger(ref, period)
            for ref, period in sorted({(r.client_ref, r.period) for r in draft.rows})
        ]
        taken = [
            (r.row, ledger.rows[r.row_id].number)
            for ledger in ledgers
            for r in draft.rows
            if (r.client_ref, r.period) == (ledger.client_ref, ledger.period) and r.row_id in ledger.rows
        ]
        if taken:
            raise RowsInvoiced(taken)
        return ledgers

    def _record_rows(
        self, tx: TransactWrite, ledger: RowLedger, refs: tuple[RowRef, ...], number: str
    ) -> None:
        mine = [r for r in refs if (r.client_ref, r.period) == (ledger.client_ref, ledger.period)]
        after = ledger.adding(mine, number)
        seq = self._Sequence
        item = seq(ledger.key, rows=after.to_json(), rows_version=ledger.version + 1)
        condition = seq.series.does_not_exist() if ledger.version == 0 else seq.rows_version == ledger.version
        tx.save(item, condition=condition)

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
        try:
            after = target.receivable.credit_with(credit_note)
        except TransitionRefused as exc:
            raise CreditExceedsInvoice(str(exc)) from exc
        # Conditioned on the version we read: two credit notes written at once cannot both
        # pass the ceiling check above.
        tx.update(
            self._Invoice(target.invoice.invoice_id),
            actions=self._state_actions(after),
            condition=self._Invoice.version == target.receivable.version,
        )

    def _state_actions(self, r: Receivable) -> list:
        """The receivable and every attribute derived from it, written together."""
        Inv = self._Invoice
        next_on = r.next_action_on
        actions = [
            Inv.receivable.set(_encode_receivable(r)),
            Inv.version.set(r.version),
            Inv.status.set(r.status.value),
            Inv.credited_total.set(r.credited),
            Inv.amount_due.set(r.due),
        ]
        if next_on is None:
            actions += [Inv.dunning_queue.remove(), Inv.next_action_on.remove()]
        else:
            actions += [Inv.dunning_queue.set(DUNNING_QUEUE), Inv.next_action_on.set(next_on.isoformat())]
        return actions

    def _record(self, invoice: Invoice, receivable: Receivable, series: str):
        totals = invoice.totals
        next_on = receivable.next_action_on
        source = invoice.draft.source
        return self._Invoice(
            invoice.invoice_id,
            number=invoice.number,
            series=series,
            document_type=invoice.document_type.value,
            status=receivable.status.value,
            client_ref=invoice.buyer.ref,
            buyer_name=invoice.buyer.name,
            issue_date=invoice.issue_date.isoformat(),
            due_date=invoice.due_date.isoformat(),
            issued_key=f"{invoice.issue_date.isoformat()}#{invoice.number}",
            total_excl_vat=totals.tax_basis_total,
            total_vat=totals.vat_total,
            total_incl_vat=totals.grand_total,
            credited_total=receivable.credited,
            amount_due=receivable.due,
            currency=invoice.currency,
            corrects_number=invoice.draft.corrects.number if invoice.draft.corrects else None,
            document=encode_document(invoice),
            receivable=_encode_receivable(receivable),
            version=receivable.version,
            source_key=source.file_key if source else None,
            source_sha256=source.file_sha256 if source else None,
            dunning_queue=DUNNING_QUEUE if next_on else None,
            next_action_on=next_on.isoformat() if next_on else None,
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

    def update(
        self,
        invoice_id: str,
        change: Callable[[Receivable], Receivable],
        *,
        attempts: int = 8,
        current: StoredInvoice | None = None,
    ) -> StoredInvoice:
        """Apply a pure transition to an invoice's receivable, by conditional write on its
        version. On a conflict the receivable is read again and ``change`` re-applied, so it
        sees the other writer's result (and may refuse: ``TransitionRefused`` propagates).
        A ``change`` that returns the receivable it was given writes nothing.

        ``current``: the state the caller already holds (an index entry, the result of its own
        previous write), tried first instead of reading the item again; the version condition
        makes a stale one cost one retry, never a lost update."""
        Inv = self._Invoice
        for attempt in range(attempts):
            stored = current if attempt == 0 and current is not None else self.get(invoice_id)
            if stored is None:
                raise LookupError(f"no invoice {invoice_id}")
            after = change(stored.receivable)
            if after is stored.receivable:
                return stored
            if after.version != stored.receivable.version + 1:
                raise ValueError("a receivable changes by one transition at a time")
            try:
                Inv(invoice_id).update(
                    actions=self._state_actions(after),
                    condition=Inv.version == stored.receivable.version,
                )
            except UpdateError:
                self._sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311
                continue
            return replace(stored, receivable=after)
        raise StaleReceivable(f"{invoice_id}: changed by others {attempts} times in a row")


def _encode_receivable(r: Receivable) -> str:
    return json.dumps(receivable_to_dict(r), separators=(",", ":"))
