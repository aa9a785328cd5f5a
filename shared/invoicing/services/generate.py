"""generate: a file dropped under ``incoming/`` becomes numbered invoices, or a clear refusal.

For a sales file: the whole file is read and validated first; if anything is wrong nothing is
created, ``reports/<file>.errors.csv`` names every problem, the file moves to ``rejected/``
and the operator is alerted. Otherwise each group of rows becomes one invoice, numbered in
the transaction that stores it; its PDF is stored under ``invoices/<year>/``; a message goes
to the send queue; the file moves to ``processed/`` with a summary in ``reports/``.

Running the same file again, or resuming a run that died half-way, creates nothing twice:
invoice ids derive from the file's content, PDFs are recorded once, send messages once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from invoicing.adapters import keys
from invoicing.adapters.clients import ClientRepository
from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.invoices import DocumentTooLarge, InvoiceRepository, StoredInvoice, encode_document
from invoicing.adapters.messaging import Alerts, SendQueue
from invoicing.business import Business
from invoicing.documents.fonts import prepared_fonts, undrawable
from invoicing.documents.render import Rendered, render
from invoicing.domain.invoice import DocumentType, Draft, Invoice, issue
from invoicing.domain.problems import InputRejected, Problem
from invoicing.ingest.clients import parse_clients
from invoicing.ingest.report import problems_csv
from invoicing.ingest.sales import InvoiceLookup, parse_sales
from invoicing.ingest.table import read_table
from invoicing.services.clock import today
from invoicing.settings import Resources

#: How many problems the operator's alert quotes; the report has them all.
ALERT_PROBLEMS = 15


@dataclass(frozen=True, slots=True)
class IssuedSummary:
    number: str
    document_type: str
    client_ref: str
    client_name: str
    issue_date: date
    due_date: date
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    pdf_key: str
    created: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one file. ``kind``: invoices, clients, rejected or skipped."""

    source_key: str
    kind: str
    detail: str
    issued: tuple[IssuedSummary, ...] = ()
    clients: int = 0
    problems: tuple[Problem, ...] = field(default=())
    report_key: str | None = None


class Generator:
    def __init__(
        self,
        *,
        business: Business,
        documents: DocumentStore,
        invoices: InvoiceRepository,
        clients: ClientRepository,
        alerts: Alerts,
        send_queue: SendQueue,
        render: Callable[[Invoice], Rendered],
        today: Callable[[], date],
    ) -> None:
        self.business = business
        self.documents = documents
        self.invoices = invoices
        self.clients = clients
        self.alerts = alerts
        self.send_queue = send_queue
        self.render = render
        self.today = today

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Generator:
        """Wired to the stack's resources: the Lambda's own environment, or a deployed
        function's configuration for the operator's command line."""
        resources = Resources.from_env(env)
        business = Business.from_env(env)
        # Parse and subset the fonts now, in the init phase, not during the first invoice.
        prepared_fonts()
        return cls(
            business=business,
            documents=DocumentStore(resources.documents_bucket),
            invoices=InvoiceRepository(resources),
            clients=ClientRepository(resources),
            alerts=Alerts(resources.alerts_topic_arn),
            send_queue=SendQueue(resources.send_queue_url),
            render=lambda invoice: render(invoice, business.facturx_profile),
            today=lambda: today(business.time_zone),
        )

    # --- entry point ---------------------------------------------------------------------------

    def process(self, key: str) -> Outcome:
        if key.endswith("/"):
            return Outcome(key, "skipped", "folder marker")
        size = self.documents.size(key)
        if size is None:
            # Already moved by an earlier delivery of the same event (S3 and SQS deliver at
            # least once), or removed by someone: either way there is nothing left to do.
            return Outcome(key, "skipped", "no longer in incoming/: already processed or removed")
        if size > self.business.max_input_bytes:
            problem = Problem("too_large", params={"limit": self.business.max_input_bytes})
            return self._reject(key, [problem])
        stored = self.documents.get(key)
        if stored is None:
            return Outcome(key, "skipped", "no longer in incoming/: already processed or removed")
        if keys.is_clients_file(key):
            return self._import_clients(key, stored.data)
        return self._import_sales(key, stored.data)

    # --- clients -------------------------------------------------------------------------------

    def _import_clients(self, key: str, data: bytes) -> Outcome:
        try:
            table = self._table(key, data)
            clients = parse_clients(table, default_locale=self.business.default_locale)
            _check_printable(
                (None, "nom / adresse", text)
                for client in clients
                for text in (client.name, *client.address.lines, client.address.city)
            )
        except InputRejected as rejected:
            return self._reject(key, rejected.problems)
        count = self.clients.upsert(clients, source_key=key)
        self.documents.move(key, keys.processed(key))
        return Outcome(key, "clients", f"{count} client(s) created or updated", clients=count)

    # --- sales ---------------------------------------------------------------------------------

    def _import_sales(self, key: str, data: bytes) -> Outcome:
        digest = hashlib.sha256(data).hexdigest()
        try:
            table = self._table(key, data)
            drafts = parse_sales(
                table,
                clients=self.clients.all(),
                seller=self.business.seller,
                file_key=key,
                file_sha256=digest,
                find_invoice=self._lookup,
            )
            self._check_sizes(drafts)
            _check_printable(
                (line.source_row, "description", text)
                for draft in drafts
                for line in draft.lines
                for text in (line.description, line.unit, draft.order_ref or "", draft.credit_reason or "")
            )
        except InputRejected as rejected:
            return self._reject(key, rejected.problems)
        issued = [self.issue_draft(draft) for draft in drafts]
        report = keys.summary_report(key)
        self.documents.put(report, _summary_csv(issued), "text/csv; charset=utf-8")
        self.documents.move(key, keys.processed(key))
        created = sum(1 for item in issued if item.created)
        detail = f"{len(issued)} document(s), {created} new"
        return Outcome(key, "invoices", detail, issued=tuple(issued), report_key=report)

    def _table(self, key: str, data: bytes):
        return read_table(
            data,
            keys.file_name(key),
            max_bytes=self.business.max_input_bytes,
            max_rows=self.business.max_input_rows,
        )

    def _lookup(self, number: str) -> InvoiceLookup | None:
        stored = self.invoices.get_by_number(number)
        if stored is None or stored.invoice.is_credit_note:
            return None
        return InvoiceLookup(
            number=stored.invoice.number,
            client_ref=stored.invoice.buyer.ref,
            issue_date=stored.invoice.issue_date,
            creditable=stored.creditable,
        )

    def _check_sizes(self, drafts: Sequence[Draft]) -> None:
        """Refuse the file up front if one document would not fit a database record."""
        problems = []
        for draft in drafts:
            trial = issue(
                draft,
                seller=self.business.seller,
                number="X" * 35,
                issue_date=self.today(),
                default_terms=self.business.default_terms,
            )
            try:
                encode_document(trial)
            except DocumentTooLarge:
                rows = [line.source_row for line in draft.lines if line.source_row is not None]
                problems.append(
                    Problem(
                        "too_many_lines", row=min(rows) if rows else None, params={"count": len(draft.lines)}
                    )
                )
        if problems:
            raise InputRejected(problems)

    def issue_draft(self, draft: Draft) -> IssuedSummary:
        """Number, store, render and queue one document; idempotent by the draft's source."""
        numbering = (
            self.business.credit_note_numbering
            if draft.document_type is DocumentType.CREDIT_NOTE
            else self.business.invoice_numbering
        )
        stored = self.invoices.issue(
            draft,
            seller=self.business.seller,
            numbering=numbering,
            issue_date=self.today(),
            default_terms=self.business.default_terms,
        )
        pdf_key = self.ensure_documents(stored)
        if stored.send_queued_at is None and self.send_queue.enqueue(
            stored.invoice.invoice_id, stored.invoice.number
        ):
            self.invoices.mark_send_queued(stored.invoice.invoice_id)
        invoice = stored.invoice
        return IssuedSummary(
            number=invoice.number,
            document_type=invoice.document_type.value,
            client_ref=invoice.buyer.ref,
            client_name=invoice.buyer.name,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            total_excl_vat=invoice.totals.tax_basis_total,
            total_vat=invoice.totals.vat_total,
            total_incl_vat=invoice.totals.grand_total,
            pdf_key=pdf_key,
            created=stored.created,
        )

    def ensure_documents(self, stored: StoredInvoice) -> str:
        """Store the PDF (and XML) of an issued document once; later calls change nothing."""
        invoice = stored.invoice
        if stored.pdf_sha256 and stored.pdf_key:
            return stored.pdf_key
        rendered = self.render(invoice)
        digest = hashlib.sha256(rendered.pdf).hexdigest()
        pdf_key = keys.invoice_pdf(invoice)
        meta = {"invoice-number": invoice.number, "sha256": digest}
        self.documents.put(pdf_key, rendered.pdf, "application/pdf", meta)
        xml_key = None
        if rendered.xml is not None:
            xml_key = keys.invoice_xml(invoice)
            self.documents.put(xml_key, rendered.xml, "application/xml", {"invoice-number": invoice.number})
        self.invoices.record_documents(
            invoice.invoice_id, pdf_key=pdf_key, pdf_sha256=digest, xml_key=xml_key
        )
        return pdf_key

    # --- refusal -------------------------------------------------------------------------------

    def _reject(self, key: str, problems: Sequence[Problem]) -> Outcome:
        report = keys.error_report(key)
        self.documents.put(report, problems_csv(problems), "text/csv; charset=utf-8")
        destination = keys.rejected(key)
        self.documents.move(key, destination)
        self.alerts.publish(
            f"[{self.business.seller.legal_name}] Fichier refusé / file rejected: {keys.file_name(key)}",
            _alert_text(self.documents.bucket, key, destination, report, problems),
        )
        return Outcome(
            key,
            "rejected",
            f"{len(problems)} problem(s); nothing was created",
            problems=tuple(problems),
            report_key=report,
        )


def _check_printable(texts: Iterable[tuple[int | None, str, str]]) -> None:
    """Refuse text our fonts cannot draw before anything is numbered: it would vanish."""
    problems = []
    for row, column, text in texts:
        missing = undrawable(text)
        if missing:
            problems.append(
                Problem(
                    "undrawable_characters", row=row, column=column, value=text, params={"chars": missing}
                )
            )
    if problems:
        raise InputRejected(list(dict.fromkeys(problems)))


def _alert_text(bucket: str, key: str, destination: str, report: str, problems: Sequence[Problem]) -> str:
    lines = [
        f"Le fichier {key} a été refusé : {len(problems)} problème(s). Aucune facture n'a été créée.",
        f"Rapport complet : s3://{bucket}/{report}",
        f"Le fichier est conservé : s3://{bucket}/{destination}",
        "Corrigez-le puis déposez-le à nouveau dans incoming/.",
        "",
    ]
    for problem in problems[:ALERT_PROBLEMS]:
        where = ", ".join(
            part
            for part in (
                f"ligne {problem.row}" if problem.row is not None else "",
                f"colonne {problem.column}" if problem.column else "",
                f"valeur « {problem.value} »" if problem.value is not None else "",
            )
            if part
        )
        lines.append(f"- {where + ' : ' if where else ''}{problem.reason_fr}")
    if len(problems) > ALERT_PROBLEMS:
        lines.append(f"- … et {len(problems) - ALERT_PROBLEMS} autre(s), voir le rapport.")
    lines += [
        "",
        f"The file {key} was rejected: {len(problems)} problem(s). No invoice was created.",
        f"Full report: s3://{bucket}/{report}. The file is kept at s3://{bucket}/{destination}.",
        "Fix it and drop it again into incoming/.",
    ]
    return "\n".join(lines)


def _summary_csv(issued: Sequence[IssuedSummary]) -> bytes:
    """What a file produced, for the business: opens in Excel (UTF-8 BOM, semicolons)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["numero", "type", "client", "nom", "date", "echeance", "total_ht", "tva", "total_ttc", "pdf"]
    )
    for item in issued:
        writer.writerow(
            [
                item.number,
                "avoir" if item.document_type == DocumentType.CREDIT_NOTE.value else "facture",
                item.client_ref,
                item.client_name,
                item.issue_date.strftime("%d/%m/%Y"),
                item.due_date.strftime("%d/%m/%Y"),
                str(item.total_excl_vat).replace(".", ","),
                str(item.total_vat).replace(".", ","),
                str(item.total_incl_vat).replace(".", ","),
                item.pdf_key,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
