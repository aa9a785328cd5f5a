"""File import: a file dropped under ``incoming/`` becomes documents, or a clear refusal.

For a sales file: the whole file is validated first (``services.validation``, the same
function ``invoicing check`` calls); if anything is wrong nothing is created,
``reports/<file>.errors.csv`` names every problem, the file moves to ``rejected/`` and the
operator is alerted. Otherwise each draft goes through the issuer (``services.issuing``),
the only path that numbers, renders, stores and queues a document; the file moves to
``processed/`` with a summary in ``reports/``.

Running the same file again, or resuming a run that died half-way, creates nothing twice:
invoice ids derive from the file's content, and the issuer completes what is missing.

A sale paid online (``incoming/stripe/<session id>.json``, written by the stripe_webhook
function) is read by ``invoicing.ingest.online_sale`` and checked like a sales file's drafts
(printable, under the business's ceiling, rendered and storable under a placeholder number),
then issued paid through the issuer, moved to ``processed/stripe/`` with its summary; a bad one
is refused like any file (report, alert, ``rejected/stripe/``). Its invoice id depends on the
session only: the same session written again, even with other bytes, is the same invoice. Its
buyer is not added to the clients table: the send function writes to the address on the invoice.

A products file (``incoming/products/``, the price list) is checked whole like a clients file and
upserted into the products table; sales rows then give a product code instead of a description,
price and VAT. A row invoiced at a price of its own instead of the list's is flagged in its
file's summary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from invoicing.adapters import keys
from invoicing.adapters.clients import ClientRepository
from invoicing.adapters.documents import SourceGone
from invoicing.adapters.invoices import RowsInvoiced
from invoicing.adapters.messaging import Alerts
from invoicing.adapters.products import ProductRepository
from invoicing.business import GenerateSettings
from invoicing.documents.fonts import prepared_fonts, undrawable
from invoicing.domain.invoice import Draft
from invoicing.domain.ledger import Entry, Kind, State, cents
from invoicing.domain.ledger import Source as EntrySource
from invoicing.domain.problems import InputRejected, Problem
from invoicing.domain.rows import InvoicedRow
from invoicing.domain.text import forbidden_characters, quoted
from invoicing.events import S3Object
from invoicing.ingest.online_sale import read_online_sale
from invoicing.ingest.report import problems_csv, spreadsheet_csv
from invoicing.ingest.sales import InvoiceLookup, SkippedRows
from invoicing.services.bank_import import BANK_PREFIX, BankImport, BankOutcome
from invoicing.services.configuration import CONFIG_PREFIX, ConfigUploads
from invoicing.services.issuing import IssuedDocument, Issuer
from invoicing.services.payment_book import PaymentBook
from invoicing.services.validation import (
    Rules,
    check_drafts,
    validate_clients,
    validate_products,
    validate_sales,
)

#: Readings of one file when other runs keep invoicing its rows meanwhile.
REPLANS = 5
#: How many problems the operator's alert quotes; the report has them all.
ALERT_PROBLEMS = 15
#: The price list is dropped here (CSV or XLSX), and upserted like the clients file.
PRODUCTS_PREFIX = "incoming/products/"


@dataclass(frozen=True, slots=True)
class Upload:
    """One upload of a file: its key, and the version and content the event names."""

    key: str
    version_id: str | None
    etag: str
    last_modified: datetime | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one file. ``kind``: invoices, clients, rejected, skipped (nothing left
    to do) or refused (an event for a key outside incoming/)."""

    source_key: str
    kind: str
    detail: str
    issued: tuple[IssuedDocument, ...] = ()
    clients: int = 0
    problems: tuple[Problem, ...] = field(default=())
    #: Products created or updated by a products file.
    products: int = 0
    report_key: str | None = None


class FileImport:
    def __init__(
        self,
        *,
        issuer: Issuer,
        clients: ClientRepository,
        alerts: Alerts,
        bank: BankImport | None = None,
        book: PaymentBook | None = None,
        products: ProductRepository | None = None,
    ) -> None:
        self.issuer = issuer
        self.products = products
        self.bank = bank
        self.book = book
        self.business = issuer.business
        self.documents = issuer.documents
        self.invoices = issuer.invoices
        self.clients = clients
        self.alerts = alerts
        self.config_uploads = ConfigUploads(
            documents=self.documents, alerts=alerts, business_name=self.business.seller.legal_name
        )

    @classmethod
    def from_settings(cls, settings: GenerateSettings) -> FileImport:
        """Wired to the stack's resources. Fonts are prepared now, in the init phase."""
        prepared_fonts()
        bank = BankImport.from_settings(settings) if settings.resources.payments_table else None
        importer = cls(
            issuer=Issuer.from_settings(settings),
            clients=ClientRepository(settings.resources),
            alerts=Alerts(settings.alerts_topic_arn),
            bank=bank,
            book=bank.book if bank is not None else None,
            products=ProductRepository(settings.resources) if settings.resources.products_table else None,
        )
        importer.sheet_settings = settings.sheet
        return importer

    #: The Google Sheet the stack pulls (``GoogleSheetId`` / ``GoogleSheetCsvUrl``), if any.
    sheet_settings: Any = None

    def pull_sheet(self) -> Any:
        """Pull the stack's Google Sheet into ``incoming/sheets/`` (``services.sheet_pull``): the
        snapshot then comes back here as any upload does. None when the stack names no sheet."""
        if self.sheet_settings is None:
            return None
        from invoicing.services.sheet_pull import SheetPull

        return SheetPull(
            settings=self.sheet_settings,
            documents=self.documents,
            alerts=self.alerts,
            business_name=self.business.seller.legal_name,
            max_rows=self.business.max_input_rows,
            max_bytes=self.business.max_input_bytes,
        ).pull()

    def rules(self) -> Rules:
        return Rules.for_business(self.business, self.issuer.today())

    # --- entry point ---------------------------------------------------------------------------

    def process(self, obj: S3Object) -> Outcome | BankOutcome:
        """Import the exact upload ``obj`` names (its version; else the version with its eTag)."""
        key = obj.key
        if key.endswith("/"):
            return Outcome(key, "skipped", "folder marker")
        if key.startswith(CONFIG_PREFIX):
            checked = self.config_uploads.check(key, obj.version_id)
            if checked.accepted:
                if self.issuer.config is not None:
                    self.issuer.config.forget()  # in force here at once, elsewhere within a minute
                return Outcome(key, "config", "accepted: in force for the next documents")
            return Outcome(key, "rejected", "; ".join(checked.problems), report_key=checked.report_key)
        if key.startswith(BANK_PREFIX) and self.bank is not None:
            return self.bank.process(obj)
        if not keys.is_incoming(key):
            # The notification only covers incoming/; anything else is a forged or stray event.
            return Outcome(key, "refused", "not under incoming/: left untouched")
        info = self.documents.notified(key, obj.version_id, obj.etag)
        if info is None:
            return self._gone(key)
        upload = Upload(key, info.version_id, info.etag, info.last_modified)
        if info.size > self.business.max_input_bytes:
            problem = Problem("too_large", params={"limit": self.business.max_input_bytes})
            return self._reject(upload, [problem])
        stored = self.documents.get(key, upload.version_id)
        if stored is None:
            return self._gone(key)
        if key.startswith(PRODUCTS_PREFIX):
            return self._import_products(upload, stored.data)
        if keys.is_clients_file(key):
            return self._import_clients(upload, stored.data)
        if keys.is_online_sale(key):
            return self._import_online_sale(upload, stored.data)
        return self._import_sales(upload, stored.data)

    def _gone(self, key: str) -> Outcome:
        # Already moved by an earlier or concurrent delivery of the same event (S3 and SQS
        # deliver at least once), or removed by someone: either way nothing is left to do.
        return Outcome(key, "skipped", "this upload is no longer in incoming/: already processed or removed")

    def _place(self, upload: Upload, destination: Callable[..., str]) -> str | None:
        """The upload stamp to name this upload's destination and report with: None while the
        plain name is free (or holds this very content), else the upload time."""
        taken = self.documents.head(destination(upload.key))
        if taken is None or taken.etag == upload.etag or upload.last_modified is None:
            return None
        return keys.stamp(upload.last_modified)

    def _move(self, upload: Upload, destination: str) -> None:
        """Move this upload; if a concurrent delivery of the same event moved it first (the
        same content is at the destination), that is success, not an error to alarm on."""
        try:
            self.documents.move(upload.key, destination, version_id=upload.version_id)
        except SourceGone:
            there = self.documents.head(destination)
            if there is None or there.etag != upload.etag:
                raise

    # --- clients -------------------------------------------------------------------------------

    def _import_clients(self, upload: Upload, data: bytes) -> Outcome:
        key = upload.key
        try:
            clients = validate_clients(data, keys.file_name(key), self.rules())
        except InputRejected as rejected:
            return self._reject(upload, rejected.problems)
        before = self.clients.all()
        count = self.clients.upsert(clients, source_key=key)
        # Only clients whose address is new can have documents waiting for one.
        given = [
            c.ref
            for c in clients
            if c.email and (before.get(c.ref) is None or before[c.ref].email != c.email)
        ]
        released = self.issuer.release_waiting(given)
        stamp = self._place(upload, keys.processed)
        self._move(upload, keys.processed(key, stamp))
        detail = f"{count} client(s) created or updated"
        if released:
            detail += f"; {len(released)} document(s) waiting for an address queued: {', '.join(released)}"
        return Outcome(key, "clients", detail, clients=count)

    # --- products (the price list) -------------------------------------------------------------

    def _import_products(self, upload: Upload, data: bytes) -> Outcome:
        key = upload.key
        if self.products is None:
            return self._reject(upload, [Problem("no_products_table")])
        try:
            products = validate_products(data, keys.file_name(key), self.rules())
        except InputRejected as rejected:
            return self._reject(upload, rejected.problems)
        count = self.products.upsert(products, source_key=key)
        stamp = self._place(upload, keys.processed)
        self._move(upload, keys.processed(key, stamp))
        return Outcome(key, "products", f"{count} product(s) created or updated", products=count)

    # --- sales ---------------------------------------------------------------------------------

    def _import_sales(self, upload: Upload, data: bytes) -> Outcome:
        """Invoice the file's rows that are ready and invoiced by nobody yet. Another run may bill
        some of them meanwhile (two pulls at once): the file is then read again, those rows left
        out, until nothing is left to issue or ``REPLANS`` readings."""
        key = upload.key
        issued: list[IssuedDocument] = []
        products = self.products.all() if self.products is not None else None
        for _ in range(REPLANS):
            skipped = SkippedRows()
            invoiced = self._invoiced_rows()
            try:
                drafts = validate_sales(
                    data,
                    keys.file_name(key),
                    self.rules(),
                    clients=self.clients.all(),
                    file_key=key,
                    file_sha256=hashlib.sha256(data).hexdigest(),
                    find_invoice=self._lookup,
                    invoiced=invoiced,
                    skipped=skipped,
                    products=products,
                )
            except InputRejected as rejected:
                # Read again after another run billed some rows, the file shows a problem: what
                # the first reading issued stands, and the refusal says so.
                return self._reject(upload, rejected.problems, issued=[item.number for item in issued])
            try:
                return self._issue(upload, drafts, skipped, issued)
            except RowsInvoiced:
                continue  # billed meanwhile by another run: read the file again
        raise RuntimeError(f"{key}: its rows kept being invoiced by other runs; retried later")

    def _invoiced_rows(self) -> Callable[[str, int], Mapping[str, InvoicedRow]]:
        """The rows invoiced before, per client and month, each ledger read once per reading."""
        ledgers: dict[tuple[str, int], Mapping[str, InvoicedRow]] = {}

        def invoiced(client_ref: str, period: int) -> Mapping[str, InvoicedRow]:
            if (client_ref, period) not in ledgers:
                ledgers[client_ref, period] = self.invoices.row_ledger(client_ref, period).rows
            return ledgers[client_ref, period]

        return invoiced

    def _issue(
        self,
        upload: Upload,
        drafts: Sequence[Draft],
        skipped: SkippedRows | None = None,
        issued: list[IssuedDocument] | None = None,
    ) -> Outcome:
        """Issue validated drafts, write the summary, move the file to processed/. ``issued``
        collects what was issued (a re-reading after ``RowsInvoiced`` keeps it)."""
        key = upload.key
        stamp = self._place(upload, keys.processed)
        report = keys.summary_report(key, stamp)
        issued = [] if issued is None else issued
        try:
            for draft in drafts:
                issued.append(self.issuer.issue(draft))
            # The invoices that bill the rows left out: listed again, and completed if a run
            # died after numbering one (its PDF or its sending missing).
            known = {item.number for item in issued}
            found = [*skipped.by_this_file, *skipped.invoiced] if skipped else []
            for number in dict.fromkeys(n for _, n in found):
                if number not in known and (done := self.issuer.complete(number)) is not None:
                    issued.append(done)
                    known.add(number)
        except RowsInvoiced:
            raise
        except Exception as exc:
            # Some documents exist, others not yet: say so where the business and the operator
            # look, then fail so that SQS retries; the retry completes the file, never twice.
            self.documents.put(report, _summary_csv(issued), "text/csv; charset=utf-8")
            name = keys.file_name(key)
            self.alerts.publish(
                f"[{self.business.seller.legal_name}] Fichier incomplet / file incomplete: {name}",
                _incomplete_text(self.documents.bucket, key, report, issued, drafts[len(issued) :], exc),
            )
            raise
        self.documents.put(report, _summary_csv(issued, skipped), "text/csv; charset=utf-8")
        self._move(upload, keys.processed(key, stamp))
        created = sum(1 for item in issued if item.created)
        detail = f"{len(issued)} document(s), {created} new"
        if skipped is not None and (skipped.invoiced or skipped.not_ready):
            detail += f"; {len(skipped.invoiced)} row(s) already invoiced, {len(skipped.not_ready)} not ready"
        if skipped is not None and skipped.price_overrides:
            detail += f"; {len(skipped.price_overrides)} row(s) priced otherwise than the price list"
        return Outcome(key, "invoices", detail, issued=tuple(issued), report_key=report)

    # --- sales paid online -----------------------------------------------------------------------

    def _import_online_sale(self, upload: Upload, data: bytes) -> Outcome:
        try:
            draft = read_online_sale(
                data,
                upload.key,
                seller=self.business.seller,
                default_locale=self.business.default_locale,
            )
            _check_buyer(draft)
            check_drafts((draft,), self.rules())
        except InputRejected as rejected:
            return self._reject(upload, rejected.problems)
        outcome = self._issue(upload, (draft,))
        if self.book is not None and draft.settled is not None:
            # The sale's payment settles its invoice in the ledger too (the webhook recorded it
            # unmatched, or will: the ledger merges both), so a later refund finds the invoice.
            (issued,) = outcome.issued
            settled = draft.settled
            self.book.record(
                Entry(
                    group=settled.payment_id,
                    kind=Kind.PAYMENT,
                    ref=settled.payment_id.split(":", 1)[1],
                    state=State.SUCCEEDED,
                    cents=cents(issued.total_incl_vat),
                    on=settled.on,
                    source=EntrySource.STRIPE,
                    method=settled.method,
                    invoice_id=issued.invoice_id,
                    label=f"online sale {issued.number}",
                )
            )
        return outcome

    def _lookup(self, number: str) -> InvoiceLookup | None:
        stored = self.invoices.get_by_number(number)
        if stored is None or stored.invoice.is_credit_note:
            return None
        return InvoiceLookup(
            number=stored.invoice.number,
            client_ref=stored.invoice.buyer.ref,
            issue_date=stored.invoice.issue_date,
            buyer=stored.invoice.buyer,
            receivable=stored.receivable,
        )

    # --- refusal -------------------------------------------------------------------------------

    def _reject(self, upload: Upload, problems: Sequence[Problem], *, issued: Sequence[str] = ()) -> Outcome:
        """Refuse the file: its error report, the operator's alert, the file moved to rejected/.
        ``issued``: what an earlier reading of this very upload issued before the problem showed."""
        key = upload.key
        stamp = self._place(upload, keys.rejected)
        report = keys.error_report(key, stamp)
        destination = keys.rejected(key, stamp)
        self.documents.put(report, problems_csv(problems), "text/csv; charset=utf-8")
        # The alert before the move: if SNS fails, the retry finds the file where it was and
        # alerts again; a moved file would never be alerted about.
        self.alerts.publish(
            f"[{self.business.seller.legal_name}] Fichier refusé / file rejected: {keys.file_name(key)}",
            _alert_text(self.documents.bucket, key, destination, report, problems, issued),
        )
        self._move(upload, destination)
        created = f"{len(issued)} document(s) issued before" if issued else "nothing was created"
        return Outcome(
            key,
            "rejected",
            f"{len(problems)} problem(s); {created}",
            problems=tuple(problems),
            report_key=report,
        )


def _check_buyer(draft: Draft) -> None:
    """The buyer of an online sale comes with the sale, not from a checked clients file: its name
    and address must print (no invisible characters, nothing our fonts cannot draw)."""
    buyer = draft.buyer
    problems = []
    fields = (
        ("session.customer_details.name", buyer.name),
        *(
            (f"session.customer_details.address.line{n}", text)
            for n, text in enumerate(buyer.address.lines, 1)
        ),
        ("session.customer_details.address.postal_code", buyer.address.postcode),
        ("session.customer_details.address.city", buyer.address.city),
    )
    for column, text in fields:
        refused = forbidden_characters(text)
        if refused:
            chars = ", ".join(refused)
            problems.append(
                Problem("forbidden_characters", column=column, value=text, params={"chars": chars})
            )
        elif missing := undrawable(text):
            problems.append(
                Problem("undrawable_characters", column=column, value=text, params={"chars": missing})
            )
    if problems:
        raise InputRejected(problems)


def _alert_text(
    bucket: str,
    key: str,
    destination: str,
    report: str,
    problems: Sequence[Problem],
    issued: Sequence[str] = (),
) -> str:
    made_fr = (
        f"Avant que le problème n'apparaisse, {', '.join(issued)} en a été émis (ses lignes ne seront pas "
        "facturées de nouveau)."
        if issued
        else "Aucune facture n'a été créée."
    )
    made_en = (
        f"Before the problem showed, {', '.join(issued)} was issued from it "
        "(its rows will not be billed again)."
        if issued
        else "No invoice was created."
    )
    lines = [
        f"Le fichier {key} a été refusé : {len(problems)} problème(s). {made_fr}",
        f"Rapport complet : s3://{bucket}/{report}",
        f"Le fichier est conservé : s3://{bucket}/{destination}",
        "Corrigez-le puis déposez-le à nouveau dans incoming/.",
        "",
    ]
    for problem in problems[:ALERT_PROBLEMS]:
        lines.append(f"- {problem.describe('fr')}")
    if len(problems) > ALERT_PROBLEMS:
        lines.append(f"- … et {len(problems) - ALERT_PROBLEMS} autre(s), voir le rapport.")
    lines += [
        "",
        f"The file {key} was rejected: {len(problems)} problem(s). {made_en}",
        f"Full report: s3://{bucket}/{report}. The file is kept at s3://{bucket}/{destination}.",
        "Fix it and drop it again into incoming/.",
    ]
    return "\n".join(lines)


def _incomplete_text(
    bucket: str,
    key: str,
    report: str,
    issued: Sequence[IssuedDocument],
    missing: Sequence[Draft],
    error: Exception,
) -> str:
    expected = len(issued) + len(missing)
    numbers = ", ".join(item.number for item in issued) or "aucun / none"
    waiting = ", ".join(f"{draft.buyer.ref} ({_rows(draft)})" for draft in missing[:20])
    waiting += " …" if len(missing) > 20 else ""
    cause = quoted(f"{type(error).__name__}: {error}", 300)
    return "\n".join(
        [
            f"Le fichier {key} n'a été traité qu'en partie : {len(issued)} document(s) sur {expected}.",
            f"Déjà émis : {numbers}. Rapport : s3://{bucket}/{report}",
            f"Restent à émettre (client, lignes) : {quoted(waiting, 600)}",
            "Le traitement est relancé automatiquement et complètera le fichier sans doublon ; "
            "s'il échoue encore, le message ira dans la file des lettres mortes (alarme).",
            f"Cause : {cause}",
            "",
            f"The file {key} was only partly processed: {len(issued)} of {expected} document(s).",
            f"Still to issue (client, rows): {quoted(waiting, 600)}.",
            f"Already issued: {numbers}. It is retried automatically and will be completed "
            "without duplicates; if it keeps failing, the message goes to the dead-letter queue.",
        ]
    )


def _rows(draft: Draft) -> str:
    return "/".join(str(row) for row in sorted({line.source_row for line in draft.lines if line.source_row}))


def _not_ready(status: str) -> str:
    return f"non prête (statut « {status} ») / not ready (status {status!r})"


def _summary_csv(issued: Sequence[IssuedDocument], skipped: SkippedRows | None = None) -> bytes:
    """What a file produced, for the business: opens in Excel, formulas neutralised. The rows it
    did not invoice follow, one per line: already invoiced (and by which invoice), or not ready
    (and their status); then the rows invoiced at a price of their own instead of the price
    list's (``remarque``)."""
    documents = [
        [
            item.number,
            "avoir" if item.is_credit_note else "facture",
            item.client_ref,
            item.client_name,
            item.issue_date.strftime("%d/%m/%Y"),
            item.due_date.strftime("%d/%m/%Y"),
            str(item.total_excl_vat).replace(".", ","),
            str(item.total_vat).replace(".", ","),
            str(item.total_incl_vat).replace(".", ","),
            item.pdf_key,
            "",
            "",
            "",
        ]
        for item in issued
    ]
    rows: list[list[object]] = []
    if skipped is not None:
        rows += [
            [*[""] * 10, row, f"déjà facturée ({number}) / already invoiced ({number})", ""]
            for row, number in skipped.invoiced
        ]
        rows += [[*[""] * 10, row, _not_ready(quoted(status, 60)), ""] for row, status in skipped.not_ready]
        rows += [
            [
                *[""] * 10,
                row,
                "",
                f"{code} : prix de la ligne ({_price(own)}) au lieu du tarif ({_price(listed)}) / "
                f"row price instead of the list price",
            ]
            for row, code, listed, own in skipped.price_overrides
        ]
    return spreadsheet_csv(
        [
            "numero",
            "type",
            "client",
            "nom",
            "date",
            "echeance",
            "total_ht",
            "tva",
            "total_ttc",
            "pdf",
            "ligne",
            "non facturée",
            "remarque",
        ],
        [*documents, *sorted(rows, key=lambda r: int(str(r[10])))],
    )


def _price(amount: Decimal) -> str:
    """A unit price as the business writes it: decimal comma, at least the cents."""
    text = f"{amount:.2f}" if amount == amount.quantize(Decimal("0.01")) else f"{amount.normalize():f}"
    return text.replace(".", ",")
