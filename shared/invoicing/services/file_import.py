"""File import: a file dropped under ``incoming/`` becomes documents, or a clear refusal.

For a sales file: the whole file is validated first (``services.validation``, the same
function ``invoicing check`` calls); if anything is wrong nothing is created,
``reports/<file>.errors.csv`` names every problem, the file moves to ``rejected/`` and the
operator is alerted. Otherwise each draft goes through the issuer (``services.issuing``),
the only path that numbers, renders, stores and queues a document; the file moves to
``processed/`` with a summary in ``reports/``.

Running the same file again, or resuming a run that died half-way, creates nothing twice:
invoice ids derive from the file's content, and the issuer completes what is missing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from invoicing.adapters import keys
from invoicing.adapters.clients import ClientRepository
from invoicing.adapters.messaging import Alerts
from invoicing.business import GenerateSettings
from invoicing.documents.fonts import prepared_fonts
from invoicing.domain.problems import InputRejected, Problem
from invoicing.ingest.report import problems_csv
from invoicing.ingest.sales import InvoiceLookup
from invoicing.services.issuing import IssuedDocument, Issuer
from invoicing.services.validation import Rules, validate_clients, validate_sales

#: How many problems the operator's alert quotes; the report has them all.
ALERT_PROBLEMS = 15


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one file. ``kind``: invoices, clients, rejected or skipped."""

    source_key: str
    kind: str
    detail: str
    issued: tuple[IssuedDocument, ...] = ()
    clients: int = 0
    problems: tuple[Problem, ...] = field(default=())
    report_key: str | None = None


class FileImport:
    def __init__(
        self,
        *,
        issuer: Issuer,
        clients: ClientRepository,
        alerts: Alerts,
    ) -> None:
        self.issuer = issuer
        self.business = issuer.business
        self.documents = issuer.documents
        self.invoices = issuer.invoices
        self.clients = clients
        self.alerts = alerts

    @classmethod
    def from_settings(cls, settings: GenerateSettings) -> FileImport:
        """Wired to the stack's resources. Fonts are prepared now, in the init phase."""
        prepared_fonts()
        return cls(
            issuer=Issuer.from_settings(settings),
            clients=ClientRepository(settings.resources),
            alerts=Alerts(settings.alerts_topic_arn),
        )

    def rules(self) -> Rules:
        return Rules.for_business(self.business, self.issuer.today())

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
            clients = validate_clients(data, keys.file_name(key), self.rules())
        except InputRejected as rejected:
            return self._reject(key, rejected.problems)
        count = self.clients.upsert(clients, source_key=key)
        self.documents.move(key, keys.processed(key))
        return Outcome(key, "clients", f"{count} client(s) created or updated", clients=count)

    # --- sales ---------------------------------------------------------------------------------

    def _import_sales(self, key: str, data: bytes) -> Outcome:
        try:
            drafts = validate_sales(
                data,
                keys.file_name(key),
                self.rules(),
                clients=self.clients.all(),
                file_key=key,
                file_sha256=hashlib.sha256(data).hexdigest(),
                find_invoice=self._lookup,
            )
        except InputRejected as rejected:
            return self._reject(key, rejected.problems)
        issued = [self.issuer.issue(draft) for draft in drafts]
        report = keys.summary_report(key)
        self.documents.put(report, _summary_csv(issued), "text/csv; charset=utf-8")
        self.documents.move(key, keys.processed(key))
        created = sum(1 for item in issued if item.created)
        detail = f"{len(issued)} document(s), {created} new"
        return Outcome(key, "invoices", detail, issued=tuple(issued), report_key=report)

    def _lookup(self, number: str) -> InvoiceLookup | None:
        stored = self.invoices.get_by_number(number)
        if stored is None or stored.invoice.is_credit_note:
            return None
        return InvoiceLookup(
            number=stored.invoice.number,
            client_ref=stored.invoice.buyer.ref,
            issue_date=stored.invoice.issue_date,
            creditable=stored.receivable.creditable,
        )

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


def _summary_csv(issued: Sequence[IssuedDocument]) -> bytes:
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
                "avoir" if item.is_credit_note else "facture",
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
