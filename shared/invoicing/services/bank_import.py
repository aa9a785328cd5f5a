"""Bank statements: a statement dropped under ``bank/`` settles the invoices its credits pay.

The statement (CAMT.053 or CSV, ``ingest.bank``) is read whole; a file that cannot be read is
refused like a sales export: ``reports/bank/<file>.errors.csv``, the file moved to
``rejected/bank/``, the operator alerted, nothing recorded. Otherwise each credit (debits are
counted and left alone) is matched to an open invoice (``domain.matching``: its number in the
label, else its exact amount and the client's name, else review) and recorded in the payments
ledger through ``PaymentBook`` like a Stripe payment: one entry per credit, group
``bank:<line id>``, ``invoice_id`` None while it waits for review (``invoicing payments``).

What a credit was matched to is decided **once**. A line already in the ledger (the same
statement again, two statements that overlap, a redelivered event) keeps what was recorded
for it and is not matched again: a credit matched to an invoice that is paid now is not turned
into a review, and a review is not decided differently because the invoices changed since; the
operator settles reviews. The dues the new credits are matched against already count every
credit recorded before. Recording a known line again completes what a run that died half-way
left undone (``PaymentBook.record`` is idempotent), so a retry is always safe.

A credit that pays several invoices at once (their numbers in the label and the credit equal
to the sum of their dues) is one entry per invoice: the first invoice's in ``bank:<line id>``,
the others in ``bank:part<k>:<line id>`` (k = 2, 3...; a line id always starts with ``camt:``
or ``csv:``, so no part can be mistaken for another line). The parts are written to the ledger
before the first one, so ``bank:<line id>`` existing means every part does.

The match (how, and the reason in English) is kept with the entry, after the bank's text in
its ``label`` (``<label — counterparty> ‖ <how>: <reason>``): the operator reads it in
``invoicing payments unmatched``, and ``reports/bank/<file>.matches.csv`` is written from the
ledger, not from this run's decisions, so that importing the same statement twice writes the
same report. One line per credit: date, amount, label, counterparty, invoice(s), how, the
invoice's status once the statement is imported, the payment's group and the reason (French and
English). The statement then moves to ``processed/bank/``; when credits wait for review (or
overpay an invoice), the operator gets a summary.

Open invoices are listed with one paginated Scan of the invoices table (filtered on
``amount_due > 0`` and the invoice type, projecting the five attributes matching needs), and
the client names with one Scan of the clients table (an invoice whose client is not there is
read for its buyer's name). No index lists "invoices with something due"; the dunning index
leaves out paused, disputed and escalated invoices, which are paid by transfer too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from invoicing.adapters import keys
from invoicing.adapters.aws import client
from invoicing.adapters.clients import ClientRepository, client_key
from invoicing.adapters.documents import DocumentStore, SourceGone
from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.messaging import Alerts
from invoicing.adapters.payments import PaymentLedger
from invoicing.business import GenerateSettings
from invoicing.domain.invoice import DocumentType
from invoicing.domain.ledger import Entry, Kind, Source, State, cents
from invoicing.domain.matching import AMOUNT_AND_NAME, NUMBER, REVIEW, Match, OpenInvoice, match_credits
from invoicing.domain.problems import Problem
from invoicing.domain.receivable import Receivable, Status
from invoicing.domain.text import quoted
from invoicing.events import S3Object
from invoicing.ingest import bank
from invoicing.ingest.bank import BankLine, StatementRejected, read_statement
from invoicing.ingest.report import problems_csv, spreadsheet_csv
from invoicing.observability import count, logger
from invoicing.services.payment_book import PaymentBook, Settled
from invoicing.settings import Resources

#: Where statements are dropped (the bucket notifies generate for this prefix).
BANK_PREFIX = "bank/"
#: How a credit was settled, beyond ``domain.matching``'s: by the operator after review, or not
#: at all (an amount in fractions of a cent cannot be recorded in whole cents).
ASSIGNED = "assigned"
NOT_RECORDED = "not_recorded"
#: Between the bank's text and the match in a ledger entry's label.
NOTE_SEPARATOR = " ‖ "
#: Bounds of what a ledger label keeps of the bank's text and of the reason.
TEXT_LIMIT = 300
REASON_LIMIT = 600
#: How many credits the operator's alert lists; the report has them all.
ALERT_CREDITS = 20

REPORT_HEADER = (
    "date",
    "montant",
    "devise",
    "libelle",
    "tiers",
    "facture",
    "rapprochement",
    "statut",
    "paiement",
    "motif",
    "reason",
)
_HOW_FR = {
    NUMBER: "numéro",
    AMOUNT_AND_NAME: "montant et nom",
    REVIEW: "à vérifier",
    ASSIGNED: "assigné",
    NOT_RECORDED: "non enregistré",
}
_MOTIF_FR = {
    NUMBER: "Numéro de facture trouvé dans le libellé.",
    AMOUNT_AND_NAME: "Pas de numéro de facture ; montant exact du reste dû et nom du client dans le libellé.",
    REVIEW: "À vérifier : aucune facture ne correspond avec certitude. "
    "invoicing payments assign <paiement> <numéro>",
    ASSIGNED: "Rapproché par l'opérateur après vérification.",
    NOT_RECORDED: "Non enregistré : montant en fractions de centime.",
}
_STATUS_FR = {
    Status.PAID: "payée",
    Status.PARTIALLY_PAID: "partiellement payée",
    Status.DISPUTED: "contestée",
    Status.CREDITED: "annulée par avoir",
}


# --- results -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditRow:
    """One credit of the statement, as the matches report shows it."""

    line: BankLine
    #: The ledger entries of this credit (one; one per invoice for a split; none if it could not
    #: be recorded), as they stand after the import.
    entries: tuple[Entry, ...]
    how: str
    reason: str
    numbers: tuple[str, ...]
    statuses: tuple[str, ...]
    #: Recorded by an earlier import (this statement again, or one that overlaps it).
    known: bool
    overpaid: bool = False

    @property
    def group(self) -> str:
        return payment_group(self.line.line_id)

    @property
    def to_review(self) -> bool:
        return self.how in (REVIEW, NOT_RECORDED)


@dataclass(frozen=True, slots=True)
class BankOutcome:
    """What became of one statement. ``kind``: ``bank`` (imported), ``rejected``, ``skipped``
    (nothing left to do) or ``refused`` (an event for a key outside ``bank/``).

    Has the attributes of ``file_import.Outcome`` that the generate handler reads (``kind``,
    ``detail``, ``issued``, ``report_key``)."""

    source_key: str
    kind: str
    detail: str
    report_key: str | None = None
    problems: tuple[Problem, ...] = field(default=())
    rows: tuple[CreditRow, ...] = ()
    debits: int = 0
    format: str | None = None
    issued: tuple[()] = ()
    clients: int = 0

    @property
    def matched(self) -> int:
        return sum(1 for row in self.rows if not row.to_review)

    @property
    def to_review(self) -> int:
        return sum(1 for row in self.rows if row.to_review)

    @property
    def known(self) -> int:
        return sum(1 for row in self.rows if row.known)


@dataclass(frozen=True, slots=True)
class _Upload:
    key: str
    version_id: str | None
    etag: str
    last_modified: datetime | None


# --- the ledger's groups and labels --------------------------------------------------------------


def payment_group(line_id: str, part: int = 1) -> str:
    """The ledger group of a bank credit (``part`` > 1: the k-th invoice of a split credit)."""
    return f"bank:{line_id}" if part == 1 else f"bank:part{part}:{line_id}"


def bank_text(line: BankLine) -> str:
    """The bank's words about a line, as kept in the ledger: label, then the counterparty when
    the label does not already name it; bounded."""
    text = line.label
    if line.counterparty and line.counterparty.casefold() not in text.casefold():
        text = f"{text} — {line.counterparty}" if text else line.counterparty
    return quoted(text.replace(NOTE_SEPARATOR.strip(), "|"), TEXT_LIMIT)


def ledger_label(line: BankLine, how: str, reason: str) -> str:
    return f"{bank_text(line)}{NOTE_SEPARATOR}{how}: {quoted(reason, REASON_LIMIT)}"


@dataclass(frozen=True, slots=True)
class Note:
    """A bank entry's label read back: the bank's text, and how it was matched, and why."""

    text: str
    how: str | None
    reason: str


def read_note(label: str) -> Note:
    text, separator, note = label.partition(NOTE_SEPARATOR)
    if not separator:
        return Note(label, None, "")
    how, _, reason = note.partition(": ")
    return Note(text, how, reason)


# --- the open invoices ---------------------------------------------------------------------------------


class OpenInvoices:
    """What is still due on each invoice, for matching: one paginated Scan of the invoices
    table, filtered and projected (see the module docstring)."""

    def __init__(
        self, resources: Resources, *, invoices: InvoiceRepository, clients: ClientRepository
    ) -> None:
        self.table = resources.invoices_table
        self.invoices = invoices
        self.clients = clients

    def _items(self) -> Iterator[dict[str, Any]]:
        paginator = client("dynamodb").get_paginator("scan")
        for page in paginator.paginate(
            TableName=self.table,
            ConsistentRead=True,
            FilterExpression="amount_due > :zero AND document_type = :invoice",
            ProjectionExpression="invoice_id, #number, client_ref, buyer_name, amount_due, currency",
            ExpressionAttributeNames={"#number": "number"},
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                ":invoice": {"S": DocumentType.INVOICE.value},
            },
        ):
            yield from page.get("Items", ())

    def list(self) -> list[OpenInvoice]:
        items = list(self._items())
        if not items:
            return []
        names = {client_key(ref): c.name for ref, c in self.clients.all().items()}
        found = []
        for item in items:
            invoice_id, ref = item["invoice_id"]["S"], item["client_ref"]["S"]
            currency = item.get("currency", {}).get("S", "EUR")
            if currency != "EUR":  # a receivable is settled in euros only (Receivable.settle)
                continue
            name = names.get(client_key(ref)) or item.get("buyer_name", {}).get("S")
            if name is None:  # issued before buyer names were kept on the record
                stored = self.invoices.get(invoice_id)
                name = stored.invoice.buyer.name if stored is not None else ""
            found.append(
                OpenInvoice(
                    invoice_id=invoice_id,
                    number=item["number"]["S"],
                    client_ref=ref,
                    client_name=name,
                    due=Decimal(item["amount_due"]["N"]),
                    currency=currency,
                )
            )
        return found


# --- the import ----------------------------------------------------------------------------------------


class BankImport:
    def __init__(
        self,
        *,
        documents: DocumentStore,
        book: PaymentBook,
        open_invoices: Callable[[], Sequence[OpenInvoice]],
        alerts: Alerts,
        business_name: str = "",
        max_bytes: int = bank.MAX_BYTES,
    ) -> None:
        self.documents = documents
        self.book = book
        self.ledger = book.ledger
        self.invoices = book.invoices
        self.open_invoices = open_invoices
        self.alerts = alerts
        self.business_name = business_name
        self.max_bytes = min(max_bytes, bank.MAX_BYTES)

    @classmethod
    def from_settings(cls, settings: GenerateSettings) -> BankImport:
        resources = settings.resources
        if not resources.payments_table:
            raise ValueError("the generate function's settings name no payments table (PAYMENTS_TABLE)")
        invoices = InvoiceRepository(resources)
        listing = OpenInvoices(resources, invoices=invoices, clients=ClientRepository(resources))
        return cls(
            documents=DocumentStore(resources.documents_bucket),
            book=PaymentBook(ledger=PaymentLedger(resources.payments_table), invoices=invoices),
            open_invoices=listing.list,
            alerts=Alerts(settings.alerts_topic_arn),
            business_name=settings.business.seller.legal_name,
            max_bytes=settings.business.max_input_bytes,
        )

    # --- entry point ---------------------------------------------------------------------------

    def process(self, obj: S3Object) -> BankOutcome:
        """Import the statement upload ``obj`` names (its version; else the version with its eTag)."""
        key = obj.key
        if key.endswith("/"):
            return BankOutcome(key, "skipped", "folder marker")
        parts = PurePosixPath(key).parts
        if not key.startswith(BANK_PREFIX) or len(parts) < 2 or ".." in parts:
            return BankOutcome(key, "refused", "not a statement under bank/: left untouched")
        info = self.documents.notified(key, obj.version_id, obj.etag)
        if info is None:
            return self._gone(key)
        upload = _Upload(key, info.version_id, info.etag, info.last_modified)
        if info.size > self.max_bytes:
            return self._reject(upload, [Problem("too_large", params={"limit": self.max_bytes})])
        stored = self.documents.get(key, upload.version_id)
        if stored is None:
            return self._gone(key)
        try:
            statement = read_statement(stored.data, keys.file_name(key))
        except StatementRejected as rejected:
            return self._reject(upload, rejected.problems)
        return self._import(upload, statement.format, statement.lines)

    def _gone(self, key: str) -> BankOutcome:
        # Moved already by an earlier or concurrent delivery of the same event, or removed.
        return BankOutcome(key, "skipped", "this upload is no longer in bank/: already processed or removed")

    # --- the credits ---------------------------------------------------------------------------

    def _import(self, upload: _Upload, fmt: str, lines: Sequence[BankLine]) -> BankOutcome:
        credits = _credits(lines)
        debits = sum(1 for line in {line.line_id: line for line in lines}.values() if line.amount <= 0)
        known = {line.line_id: self._recorded(line) for line in credits}
        fresh = [line for line in credits if not known[line.line_id] and _recordable(line)]
        matches: dict[str, list[Match]] = {}
        if fresh:
            for match in match_credits(fresh, self.open_invoices()):
                matches.setdefault(match.line_id, []).append(match)
        entries: dict[str, tuple[Entry, ...]] = {}
        invoices: dict[str, tuple[str, Receivable]] = {}  # each invoice as the import leaves it
        for line in credits:
            if known[line.line_id]:
                # Completes a settlement a run that died half-way left undone; else changes nothing.
                settled = [self.book.record(e) for e in known[line.line_id] if e.invoice_id is not None]
                entries[line.line_id] = tuple(known[line.line_id])
            elif _recordable(line):
                settled = self._record(line, matches[line.line_id])
                entries[line.line_id] = tuple(s.recorded.after for s in settled)
            else:
                settled, entries[line.line_id] = [], ()
            for s in settled:
                if s.invoice_id is not None and s.number is not None and s.after is not None:
                    invoices[s.invoice_id] = (s.number, s.after)
        rows = tuple(
            _row(line, entries[line.line_id], invoices, bool(known[line.line_id])) for line in credits
        )

        stamp = self._place(upload, keys.processed)
        report = matches_report(upload.key, stamp)
        self.documents.put(report, matches_csv(rows), "text/csv; charset=utf-8")
        outcome = BankOutcome(
            upload.key,
            "bank",
            f"{len(rows)} credit(s): {sum(1 for r in rows if not r.to_review)} matched, "
            f"{sum(1 for r in rows if r.to_review)} to review, {sum(1 for r in rows if r.known)} known "
            f"already; {debits} debit(s) ignored",
            report_key=report,
            rows=rows,
            debits=debits,
            format=fmt,
        )
        attention = [row for row in rows if row.to_review or row.overpaid]
        if attention:
            # Before the move: if SNS fails, the retry finds the file and alerts again.
            self._alert(upload, outcome, attention)
        self._move(upload, keys.processed(upload.key, stamp))
        count("BankStatementsImported")
        count("BankCreditsMatched", sum(1 for r in rows if not r.to_review and not r.known))
        count("BankCreditsToReview", sum(1 for r in rows if r.to_review and not r.known))
        logger.info(
            "bank statement imported",
            extra={
                "key": upload.key,
                "format": fmt,
                "credits": len(rows),
                "matched": outcome.matched,
                "to_review": outcome.to_review,
                "known": outcome.known,
                "debits": debits,
            },
        )
        return outcome

    def _recorded(self, line: BankLine) -> list[Entry]:
        """The ledger entries of a line recorded before: its group, and the other parts when it
        was split (the first part holds less than the whole credit)."""
        first = self.ledger.get(payment_group(line.line_id))
        if first is None:
            return []
        found = [first]
        if _recordable(line) and first.cents != cents(line.amount):
            part = 2
            while (entry := self.ledger.get(payment_group(line.line_id, part))) is not None:
                found.append(entry)
                part += 1
        return found

    def _record(self, line: BankLine, matches: list[Match]) -> list[Settled]:
        twin = self._twin(line, matches)
        if twin is not None:
            # The same credit exported twice in two formats (a CSV mid-month, the CAMT.053 at its
            # end) has two line ids: a person decides, the invoice is not settled twice.
            matches = [
                Match(
                    line.line_id,
                    None,
                    None,
                    line.amount,
                    REVIEW,
                    f"possibly the same credit as {twin}, already recorded for that invoice from another "
                    f"statement (same day, same amount {line.amount} {line.currency})",
                )
            ]
        entries = [
            Entry(
                group=payment_group(line.line_id, part),
                kind=Kind.PAYMENT,
                ref=line.line_id,
                state=State.SUCCEEDED,
                cents=cents(match.amount),
                on=line.booked_on,
                source=Source.BANK,
                currency=line.currency,
                method="transfer",
                invoice_id=match.invoice_id,
                label=ledger_label(line, match.how, match.reason),
            )
            for part, match in enumerate(matches, start=1)
        ]
        # All the line's entries at once, or none: a run that dies never leaves part of a split
        # credit, and when two imports of overlapping statements race on a new line, one writes
        # it and the other settles with what that one wrote, never with a match of its own.
        if not self.ledger.create_all(entries):
            entries = self._recorded(line)
        return [self.book.record(entry) for entry in entries]

    def _twin(self, line: BankLine, matches: list[Match]) -> str | None:
        """A bank entry of another line already recorded on the invoice this credit matched, on
        the same day for the same amount: most likely this very credit, read from another file."""
        amount = cents(line.amount)
        for match in matches:
            if match.invoice_id is None:
                continue
            for entry in self.ledger.of_invoice(match.invoice_id):
                if (
                    entry.source is Source.BANK
                    and entry.ref != line.line_id
                    and entry.on == line.booked_on
                    and entry.cents == amount
                ):
                    return entry.group
        return None

    # --- files ---------------------------------------------------------------------------------

    def _place(self, upload: _Upload, destination: Callable[..., str]) -> str | None:
        """None while the plain destination name is free (or holds this very content), else the
        upload time, so that a different statement of the same name never overwrites another."""
        taken = self.documents.head(destination(upload.key))
        if taken is None or taken.etag == upload.etag or upload.last_modified is None:
            return None
        return keys.stamp(upload.last_modified)

    def _move(self, upload: _Upload, destination: str) -> None:
        try:
            self.documents.move(upload.key, destination, version_id=upload.version_id)
        except SourceGone:
            there = self.documents.head(destination)
            if there is None or there.etag != upload.etag:
                raise

    def _reject(self, upload: _Upload, problems: Sequence[Problem]) -> BankOutcome:
        key = upload.key
        stamp = self._place(upload, keys.rejected)
        report = keys.error_report(key, stamp)
        destination = keys.rejected(key, stamp)
        self.documents.put(report, problems_csv(problems), "text/csv; charset=utf-8")
        bucket = self.documents.bucket
        lines = [
            f"Le relevé {key} a été refusé : {len(problems)} problème(s). Aucun paiement n'a été enregistré.",
            f"Rapport complet : s3://{bucket}/{report}",
            f"Le fichier est conservé : s3://{bucket}/{destination}",
            "Exportez à nouveau le relevé (CAMT.053, ou CSV date;libellé;montant) et déposez-le dans bank/.",
            "",
            *(f"- {problem.describe('fr')}" for problem in problems[:ALERT_CREDITS]),
            *(
                [f"- … et {len(problems) - ALERT_CREDITS} autre(s), voir le rapport."]
                if len(problems) > ALERT_CREDITS
                else []
            ),
            "",
            f"The statement {key} was rejected: {len(problems)} problem(s). No payment was recorded.",
            f"Full report: s3://{bucket}/{report}. The file is kept at s3://{bucket}/{destination}.",
            "Export the statement again (CAMT.053, or CSV date;label;amount) and drop it into bank/.",
        ]
        self._publish(f"Releve refuse / statement rejected: {keys.file_name(key)}", "\n".join(lines))
        self._move(upload, destination)
        count("BankStatementsRejected")
        return BankOutcome(
            key,
            "rejected",
            f"{len(problems)} problem(s); no payment was recorded",
            report_key=report,
            problems=tuple(problems),
        )

    def _alert(self, upload: _Upload, outcome: BankOutcome, rows: Sequence[CreditRow]) -> None:
        review = [row for row in rows if row.to_review]
        over = [row for row in rows if row.overpaid and not row.to_review]
        bucket = self.documents.bucket
        summary = (
            f"{len(outcome.rows)} crédit(s) : {outcome.matched} rapproché(s), {outcome.to_review} à vérifier "
            f"({outcome.known} déjà connu(s)) ; {outcome.debits} débit(s) ignoré(s)."
        )
        lines = [
            f"Relevé {upload.key} importé. {summary}",
            f"Rapport : s3://{bucket}/{outcome.report_key}",
            "",
        ]
        if review:
            lines.append(
                "À vérifier (invoicing payments unmatched, "
                "puis invoicing payments assign <paiement> <numéro>) :"
            )
            lines += [_alert_line(row) for row in review[:ALERT_CREDITS]]
            if len(review) > ALERT_CREDITS:
                lines.append(f"- … et {len(review) - ALERT_CREDITS} autre(s), voir le rapport.")
            lines.append("")
        if over:
            lines.append("Trop-perçus (le client a payé plus que dû ; remboursez-le ou gardez un avoir) :")
            lines += [_alert_line(row) for row in over[:ALERT_CREDITS]]
            lines.append("")
        lines += [
            f"Statement {upload.key} imported: {len(outcome.rows)} credit(s), {outcome.matched} matched, "
            f"{outcome.to_review} to review ({outcome.known} known already); "
            f"{outcome.debits} debit(s) ignored.",
            f"{len(review)} credit(s) to review: `invoicing payments unmatched`, then "
            "`invoicing payments assign <group> <number>`."
            + (f" {len(over)} credit(s) overpay their invoice." if over else ""),
        ]
        name = keys.file_name(upload.key)
        subject = f"Releve bancaire: {len(review)} a verifier / to review ({name})"
        self._publish(subject, "\n".join(lines))

    def _publish(self, subject: str, message: str) -> None:
        prefix = f"[{self.business_name}] " if self.business_name else ""
        self.alerts.publish(prefix + subject, message)


# --- rows and the report ----------------------------------------------------------------------------------


def _credits(lines: Sequence[BankLine]) -> list[BankLine]:
    """The credits, once each (overlapping statements repeat lines), in booking order."""
    unique = {line.line_id: line for line in lines if line.amount > 0}
    return sorted(unique.values(), key=lambda line: (line.booked_on, line.line_id))


def _recordable(line: BankLine) -> bool:
    return line.amount == line.amount.quantize(Decimal("0.01"))


def _row(
    line: BankLine,
    entries: tuple[Entry, ...],
    invoices: Mapping[str, tuple[str, Receivable]],
    known: bool,
) -> CreditRow:
    """A credit as the ledger holds it (so that the same statement twice reads the same)."""
    if not entries:
        reason = (
            f"{line.amount} {line.currency} has fractions of a cent: it cannot be recorded in whole cents"
        )
        return CreditRow(line, (), NOT_RECORDED, reason, (), (), known)
    note = read_note(entries[0].label)
    how, reason = note.how or REVIEW, note.reason
    numbers, statuses, overpaid = [], [], False
    for entry in entries:
        found = invoices.get(entry.invoice_id) if entry.invoice_id else None
        if found is None:
            continue
        number, receivable = found
        numbers.append(number)
        statuses.append(receivable.status.value)
        overpaid = overpaid or receivable.owed_to_customer > 0
    if entries[0].invoice_id is None:
        how = REVIEW
    elif how == REVIEW:  # recorded for review, then assigned by the operator
        how, reason = ASSIGNED, f"assigned by the operator after review ({reason})"
    return CreditRow(line, entries, how, reason, tuple(numbers), tuple(statuses), known, overpaid)


def matches_report(key: str, upload_stamp: str | None = None) -> str:
    """``reports/bank/<file>.matches.csv``, beside the statement's other reports."""
    return f"reports/{keys.relative(key, upload_stamp)}.matches.csv"


def matches_csv(rows: Sequence[CreditRow]) -> bytes:
    """The match report: one line per credit, for the business (opens in Excel)."""
    return spreadsheet_csv(
        REPORT_HEADER,
        (
            (
                row.line.booked_on.strftime("%d/%m/%Y"),
                str(row.line.amount).replace(".", ","),
                row.line.currency,
                row.line.label,
                row.line.counterparty or "",
                ", ".join(row.numbers),
                _HOW_FR.get(row.how, row.how),
                _statuses_fr(row),
                row.group if row.entries else "",
                _MOTIF_FR.get(row.how, ""),
                row.reason,
            )
            for row in rows
        ),
    )


def _statuses_fr(row: CreditRow) -> str:
    if not row.entries:
        return "non enregistré"
    if row.how == REVIEW:
        return "à vérifier"
    words = [_STATUS_FR.get(Status(s), s) for s in row.statuses]
    text = ", ".join(words)
    return f"{text} (trop-perçu)" if row.overpaid else text


def _alert_line(row: CreditRow) -> str:
    line = row.line
    where = f" -> {', '.join(row.numbers)}" if row.numbers else ""
    return (
        f"- {line.booked_on.strftime('%d/%m/%Y')} {line.amount} {line.currency} "
        f"« {quoted(bank_text(line), 120)} »{where} [{row.group}] : {quoted(row.reason, 300)}"
    )
