"""Supplier intake: documents arriving under ``inbox/`` (SES inbound mail, uploads) are read,
checked and recorded; the owner gets a summary to validate.

- ``inbox/mail/<id>``: the raw MIME SES wrote. A failed spam or virus verdict moves the mail
  (that exact version) to ``quarantine/mail/`` and alerts the operator; nothing in it is read. A
  reply to one of our reminders (its recipient carries the invoice's reply token) goes to
  dunning (``Replies``) and is not extracted. Otherwise every invoice-like attachment is a
  document: PDF, CII/UBL XML, and images above ``IMAGE_FLOOR_BYTES`` (smaller ones are logos and
  signatures). A mail with none is kept where it is and reported (``reports/supplier/``, and the
  owner's summary says so).
- ``inbox/upload/<name>``: one document (PDF, JPEG, PNG, TIFF, XML).

A document is kept under ``supplier/<yyyy>/<mm>/<sha256>.<ext>`` (the source in ``inbox/`` stays
as it came), then read, in this order: the e-invoice XML embedded in a PDF or the XML file
itself (exact); else the configured engine: ``textract`` (AnalyzeExpense, synchronous for images
and one-page PDFs, asynchronous with an SNS completion for longer ones) or ``local`` (the PDF's
text layer, Tesseract for scans when installed). Limits: ``MAX_DOCUMENT_BYTES`` per document,
the extractors' page limit, ``DOCUMENT_SECONDS`` of reading per document.

Then ``domain.supplier_review`` decides ``ready`` or ``to_review``, the purchase account comes from
``config/supplier-accounts.csv`` (else the keyword defaults), and the record is written once per
file (its SHA-256 is the key: a redelivered event or the same PDF mailed twice changes nothing;
a second copy is reported as a duplicate). An unreadable document is recorded too, ``to_review``
with the reason: the owner sees it, nothing is lost.
"""

from __future__ import annotations

import hashlib
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from invoicing.adapters.documents import DocumentStore, SourceGone
from invoicing.adapters.messaging import Alerts
from invoicing.adapters.supplier_invoices import (
    Reason,
    State,
    StoredSupplierInvoice,
    SupplierInvoices,
)
from invoicing.domain.accounting import PurchaseAccounts
from invoicing.domain.problems import Problem
from invoicing.domain.supplier_invoice import Engine, SupplierInvoice
from invoicing.domain.supplier_review import Review, Status, review
from invoicing.domain.text import quoted
from invoicing.events import S3Object
from invoicing.services.replies import Replies, ReplyOutcome
from invoicing.settings import OcrSettings

if TYPE_CHECKING:
    from invoicing.services.accounting_export import Exported

MAIL_PREFIX = "inbox/mail/"
UPLOAD_PREFIX = "inbox/upload/"
QUARANTINE_PREFIX = "quarantine/mail/"
REPORTS_PREFIX = "reports/supplier/"
#: Images below this are logos, signatures, social icons: not invoices.
IMAGE_FLOOR_BYTES = 20 * 1024
#: Textract's asynchronous limit is 500 MB; the offline engine reads less: a supplier invoice is
#: rarely more than a few MB.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
#: Reading one document (XML, text layer, OCR) stops after this many seconds.
DOCUMENT_SECONDS = 25
#: Attachments read per mail at most (the others are listed as not read).
MAX_DOCUMENTS_PER_MAIL = 20
#: Bytes of documents attached to the owner's summary, in all.
ATTACHMENTS_BUDGET = 6 * 1024 * 1024
NAME_LIMIT = 200

_KINDS = {
    "application/pdf": ("pdf", "application/pdf"),
    "application/x-pdf": ("pdf", "application/pdf"),
    "image/jpeg": ("jpg", "image/jpeg"),
    "image/jpg": ("jpg", "image/jpeg"),
    "image/png": ("png", "image/png"),
    "image/tiff": ("tiff", "image/tiff"),
    "application/xml": ("xml", "application/xml"),
    "text/xml": ("xml", "application/xml"),
}
_EXTENSIONS = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "xml": "application/xml",
}


class DocumentTimeout(RuntimeError):
    """Reading a document took longer than ``DOCUMENT_SECONDS``."""


@dataclass(frozen=True, slots=True)
class Document:
    file_name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self) -> str:
        return _KINDS.get(self.content_type, ("bin", ""))[0]


@dataclass(frozen=True, slots=True)
class Read:
    """What happened to one document."""

    file_name: str
    document_hash: str
    state: str  # a State value, or "duplicate" (this file was recorded before)
    codes: tuple[str, ...] = ()
    engine: str | None = None
    stored: StoredSupplierInvoice | None = None
    #: Recorded by this call (False: an earlier delivery of the same event did it).
    fresh: bool = True


@dataclass(frozen=True, slots=True)
class Received:
    key: str
    size: int | None
    #: What dunning did with a reply to a reminder (None: not a reply).
    reply: ReplyOutcome | None = None
    #: Why a mail could not be read (kept in the bucket for a person).
    unreadable: str | None = None
    quarantined: bool = False
    documents: tuple[Read, ...] = ()
    #: Attachments not read (name and why).
    skipped: tuple[str, ...] = ()


def is_notification(body: str) -> bool:
    """An SNS notification delivered through SQS (Textract's completion notices), not an S3 one."""
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("Type") == "Notification"


def document_kind(file_name: str, content_type: str, data: bytes) -> str | None:
    """The content type to read ``data`` as, from its bytes first (a PDF sent as
    application/octet-stream is a PDF), or None when it is no invoice-like file."""
    head = data[:1024].lstrip()
    if data[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return "application/pdf"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head.startswith((b"<?xml", b"<", b"\xef\xbb\xbf<")):
        from invoicing.ingest.supplier_xml import is_invoice_xml

        return "application/xml" if is_invoice_xml(data) else None
    return None


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``DocumentTimeout`` in the main thread after ``seconds`` (Lambda runs handlers in
    the main thread; elsewhere, no limit is set)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise DocumentTimeout(f"reading took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_structured(document: Document, *, ignore_embedded_xml: bool = False) -> SupplierInvoice | None:
    """The exact reading: the e-invoice XML itself or embedded in the PDF; None without one."""
    from invoicing.ingest.supplier_xml import NotAnInvoiceXml, embedded_xml, read_supplier_xml

    digest = document.sha256
    if document.content_type == "application/xml":
        return read_supplier_xml(document.data, document_hash=digest)
    if document.content_type == "application/pdf" and not ignore_embedded_xml:
        found = embedded_xml(document.data)
        if found is not None:
            try:
                return read_supplier_xml(found[1], document_hash=digest, engine=Engine.FACTURX)
            except NotAnInvoiceXml:
                return None  # an order or another attachment: read the PDF itself
    return None


def read_offline(document: Document, *, ignore_embedded_xml: bool = False) -> SupplierInvoice:
    """The ``local`` engine: structured XML first, then the text layer, then Tesseract for a
    scan. Raises the extractors' refusals (``UnreadableDocument``, ``NotAnInvoiceXml``)."""
    structured = read_structured(document, ignore_embedded_xml=ignore_embedded_xml)
    if structured is not None:
        return structured
    from invoicing.ingest.supplier_text import UnreadableDocument, read_pdf_text, read_scan

    if document.content_type == "application/pdf":
        try:
            return read_pdf_text(document.data)
        except UnreadableDocument as exc:
            if exc.reason != "no_text":
                raise
    return read_scan(document.data, content_type=document.content_type)


@dataclass
class IntakeConfig:
    engine: str = "local"  # "local" | "textract"
    #: "every-document" | "to-review" | "off": when the owner gets a summary.
    summary: str = "every-document"
    owner: str | None = None
    sender: str | None = None
    business_name: str = ""
    stack: str = "<stack>"
    our_ids: tuple[str, ...] = ()
    time_zone: str = "Europe/Paris"
    textract_topic_arn: str | None = None
    textract_role_arn: str | None = None


class SupplierIntake:
    def __init__(
        self,
        *,
        documents: DocumentStore,
        records: SupplierInvoices | None = None,
        replies: Replies | None = None,
        alerts: Alerts | None = None,
        mailer: Any = None,
        config: IntakeConfig | None = None,
        textract: Any = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        today: Callable[[], date] | None = None,
        settings: OcrSettings | None = None,
    ) -> None:
        self.settings = settings
        self.documents = documents
        self.records = records
        self.replies = replies
        self.alerts = alerts
        self.mailer = mailer
        self.config = config or IntakeConfig()
        self.textract = textract
        self.now = now
        self._today = today

    @classmethod
    def from_settings(cls, settings: OcrSettings) -> SupplierIntake:
        from invoicing.adapters.invoices import InvoiceRepository
        from invoicing.adapters.mailer import Mailer
        from invoicing.adapters.marks import Marks
        from invoicing.services.correspondence import Correspondence

        documents = DocumentStore(settings.documents_bucket)
        alerts = Alerts(settings.alerts_topic_arn) if settings.alerts_topic_arn else None
        replies = None
        resources = settings.resources
        if resources is not None and settings.mail is not None and alerts is not None:
            replies = Replies(
                invoices=InvoiceRepository(resources),
                mail=Correspondence.from_settings(resources, settings.mail),
                settings=settings.mail,
                alerts=alerts,
                marks=Marks(resources.dunning_table) if resources.dunning_table else None,
            )
        records = None
        if resources is not None and resources.supplier_invoices_table:
            records = SupplierInvoices(resources.supplier_invoices_table)
        textract = None
        if settings.engine == "textract":
            from invoicing.adapters.textract import ExpenseReader

            textract = ExpenseReader()
        siret = settings.business_siret or ""
        config = IntakeConfig(
            engine=settings.engine,
            summary=settings.summary,
            owner=settings.mail.owner if settings.mail else None,
            sender=settings.mail.sender if settings.mail else None,
            business_name=settings.business_name,
            stack=settings.stack_name,
            our_ids=tuple(i for i in (siret[:9], settings.business_vat_id) if i),
            time_zone=settings.mail.time_zone if settings.mail else "Europe/Paris",
            textract_topic_arn=settings.textract_topic_arn,
            textract_role_arn=settings.textract_role_arn,
        )
        configuration_set = settings.mail.configuration_set if settings.mail else None
        return cls(
            documents=documents,
            records=records,
            replies=replies,
            alerts=alerts,
            mailer=Mailer(configuration_set),
            config=config,
            textract=textract,
            settings=settings,
        )

    def today(self) -> date:
        if self._today is not None:
            return self._today()
        from invoicing.services.clock import today

        return today(self.config.time_zone)

    # --- arrival ---------------------------------------------------------------------------------

    def receive(self, obj: S3Object) -> Received:
        if obj.key.startswith(MAIL_PREFIX):
            return self._mail(obj)
        stored = self.documents.get(obj.key, obj.version_id)
        if stored is None:
            return Received(obj.key, None)
        name = safe_name(obj.key.rsplit("/", 1)[-1])
        origin = f"un dépôt ({name})"
        mark = _mark(obj, stored.version_id or stored.etag)
        kind = document_kind(name, "", stored.data)
        if kind is None:
            reason = f"{name}: not a PDF, an image or an e-invoice XML"
            self._report(obj, mark, [reason])
            self._summarise([], origin=origin, mark=mark, unread=[reason])
            return Received(obj.key, len(stored.data), skipped=(reason,))
        read = self.process(Document(name, kind, stored.data), origin=obj.key)
        self._summarise([read], origin=origin, mark=mark)
        return Received(obj.key, len(stored.data), documents=(read,))

    def _mail(self, obj: S3Object) -> Received:
        from invoicing.ingest.mail import UnreadableMail, parse_mail

        stored = self.documents.get(obj.key, obj.version_id)
        if stored is None:
            return Received(obj.key, None)
        mark = _mark(obj, stored.version_id or stored.etag)
        try:
            mail = parse_mail(stored.data)
        except UnreadableMail as exc:
            self._report(obj, mark, [f"unreadable mail: {exc}"])
            return Received(obj.key, len(stored.data), unreadable=str(exc))
        if mail.quarantined:
            destination = QUARANTINE_PREFIX + obj.key[len(MAIL_PREFIX) :]
            with suppress(SourceGone):  # moved by an earlier delivery
                self.documents.move(obj.key, destination, version_id=obj.version_id)
            if self.alerts is not None:
                self.alerts.publish(
                    "Message mis en quarantaine",
                    f"SES a signalé un message ({'virus' if mail.virus_verdict == 'FAIL' else 'spam'}) "
                    f"de {quoted(mail.sender or '?', 120)} (« {quoted(mail.subject, 120)} ») : "
                    f"il n'est pas lu, il est conservé dans {destination}.",
                )
            return Received(obj.key, len(stored.data), quarantined=True)
        if self.replies is not None:
            outcome = self.replies.handle(mail, stored.data, f"s3://{self.documents.bucket}/{obj.key}")
            if outcome is not None:
                return Received(obj.key, len(stored.data), reply=outcome)
        documents: list[Document] = []
        skipped: list[str] = []
        for attachment in mail.attachments:
            name = safe_name(attachment.filename)
            kind = document_kind(name, attachment.content_type, attachment.data)
            if kind is None:
                skipped.append(f"{name}: not an invoice (PDF, image, XML)")
            elif kind.startswith("image/") and len(attachment.data) < IMAGE_FLOOR_BYTES:
                skipped.append(f"{name}: image too small to be an invoice (logo, signature)")
            elif len(documents) >= MAX_DOCUMENTS_PER_MAIL:
                skipped.append(f"{name}: more than {MAX_DOCUMENTS_PER_MAIL} documents in one mail, not read")
            else:
                documents.append(Document(name, kind, attachment.data))
        origin = f"un e-mail de {mail.sender or '?'} (« {mail.subject} »)"
        reads = tuple(self.process(d, origin=obj.key, sender=mail.sender) for d in documents)
        if skipped or not documents:
            self._report(obj, mark, skipped or ["no attachment looks like an invoice (PDF, image, XML)"])
        if not mail.auto_submitted:
            # What the owner must know was not read: documents beyond the limit, or no invoice at all.
            unread = [s for s in skipped if "not read" in s] or (
                [] if documents else ["aucune facture jointe"]
            )
            self._summarise(list(reads), origin=origin, mark=mark, unread=unread)
        return Received(obj.key, len(stored.data), documents=reads, skipped=tuple(skipped))

    # --- one document ----------------------------------------------------------------------------

    def process(self, document: Document, *, origin: str, sender: str | None = None) -> Read:
        """Read, check and record one document (idempotent on its bytes)."""
        if self.records is None:
            raise RuntimeError("SupplierIntake needs the supplier invoices table to record documents")
        digest = document.sha256
        existing = self.records.get(digest)
        if existing is not None:
            same_source = existing.origin == origin
            return Read(
                document.file_name,
                digest,
                existing.state.value if same_source else "duplicate",
                engine=existing.invoice.engine.value,
                stored=existing,
                fresh=not same_source,
            )
        received = self.now()
        key = f"supplier/{received:%Y/%m}/{digest}.{document.extension}"
        self.documents.put(key, document.data, document.content_type, {"origin": origin[:200]})
        invoice, problems, job = self._read(document, key)
        if invoice is None:  # Textract is reading it: the record waits for its completion
            return self._reading(document, key, origin, sender, received, job)
        return self._record(
            invoice, problems, document=document, key=key, origin=origin, sender=sender, received=received
        )

    def _read(self, document: Document, key: str) -> tuple[SupplierInvoice | None, list[Problem], str | None]:
        """The record, or (None, [], job id) when an asynchronous Textract job was started.

        Whatever a document does to the readers, it is one document: an unreadable one (too
        large, a PDF that inflates beyond reason, a reader's refusal or its crash, too slow)
        gives an empty record and the reason, and the mail's other documents are read. Only
        what a retry can mend propagates: AWS answering with an error, Textract busy or still
        reading."""
        from botocore.exceptions import BotoCoreError, ClientError

        from invoicing.ingest.pdf_guard import check_inflation

        transient: tuple[type[BaseException], ...] = (BotoCoreError, ClientError)
        if self.config.engine == "textract":
            from invoicing.adapters.textract import AnalysisInProgress, TextractBusy

            transient = (*transient, TextractBusy, AnalysisInProgress)
        try:
            if len(document.data) > MAX_DOCUMENT_BYTES:
                raise ValueError(f"{len(document.data):,} bytes, more than {MAX_DOCUMENT_BYTES:,}")
            if document.content_type == "application/pdf":
                check_inflation(document.data)
            with time_limit(DOCUMENT_SECONDS):
                if self.config.engine == "textract":
                    structured = read_structured(document)
                    if structured is not None:
                        return structured, [], None
                    read = self._textract(document, key)
                    if isinstance(read, str):
                        return None, [], read
                    return read, [], None
                return read_offline(document), [], None
        except transient:
            raise
        except (Exception, DocumentTimeout) as exc:
            said = quoted(str(exc), 200)
            if isinstance(exc, ValueError | DocumentTimeout):
                detail = said or type(exc).__name__
            else:  # a reader's own failure on this file: named, the file kept for a person
                detail = f"the reader failed: {type(exc).__name__}" + (f": {said}" if said else "")
            return (
                SupplierInvoice(engine=Engine.TEXT, document_hash=document.sha256),
                [Problem("supplier_unreadable", params={"detail": detail})],
                None,
            )

    def _textract(self, document: Document, key: str) -> SupplierInvoice | str:
        """Synchronous AnalyzeExpense for what it takes; otherwise an asynchronous job (its id)."""
        from invoicing.adapters.textract import needs_async
        from invoicing.ingest.textract_expense import expense_to_invoice

        reader = self.textract
        digest = document.sha256
        pages = _pdf_pages(document.data) if document.content_type == "application/pdf" else 1
        if not needs_async(document.content_type, len(document.data), pages):
            responses = reader.analyze(self.documents.bucket, key)
            return replace(expense_to_invoice(responses, document_hash=digest), pages=pages)
        return str(
            reader.start(
                self.documents.bucket,
                key,
                None,
                topic_arn=self.config.textract_topic_arn,
                role_arn=self.config.textract_role_arn,
                job_tag=digest[:64],
                request_token=digest[:64],
            )
        )

    def _reading(
        self,
        document: Document,
        key: str,
        origin: str,
        sender: str | None,
        received: datetime,
        job: str | None,
    ) -> Read:
        stored = StoredSupplierInvoice(
            invoice=SupplierInvoice(engine=Engine.TEXTRACT, document_hash=document.sha256),
            state=State.READING,
            received_at=received,
            document_key=key,
            origin=origin,
            file_name=document.file_name,
            sender=sender,
            job_id=job,
        )
        assert self.records is not None
        self.records.create(stored)
        return Read(
            document.file_name, document.sha256, State.READING.value, engine="textract", stored=stored
        )

    def textract_done(self, body: str) -> Read | None:
        """Textract's completion notice (SNS through SQS): its job tag is the document's hash."""
        from invoicing.ingest.textract_expense import textract_completion

        done = textract_completion(body)
        return self.complete(done.job_id, done.job_tag or "", done.status == "SUCCEEDED")

    def export(self, month: str | None = None) -> Exported:
        """The accountant's files for ``month`` (``YYYY-MM``; default: the previous month)."""
        from invoicing.services.accounting_export import AccountingExport, previous_month

        if self.settings is None:
            raise RuntimeError("the accounting export needs the function's settings")
        return AccountingExport.from_settings(self.settings).month(month or previous_month(self.today()))

    def complete(self, job_id: str, document_hash: str, succeeded: bool) -> Read | None:
        """Textract finished reading a long PDF: map its result, check and record it."""
        from invoicing.ingest.textract_expense import expense_to_invoice

        assert self.records is not None
        stored = self.records.get(document_hash)
        if stored is None or stored.state is not State.READING or stored.job_id != job_id:
            return None  # an old or repeated notification
        from invoicing.adapters.textract import AnalysisFailed

        problems: list[Problem] = []
        invoice = stored.invoice
        if succeeded:
            try:  # AnalysisInProgress and TextractBusy propagate: SQS delivers the notice again
                invoice = expense_to_invoice(self.textract.results(job_id), document_hash=document_hash)
            except AnalysisFailed as exc:
                problems.append(Problem("supplier_unreadable", params={"detail": str(exc)[:200]}))
        else:
            problems.append(Problem("supplier_unreadable", params={"detail": "Textract failed to read it"}))
        checked = self._checked(invoice, problems, received_id=document_hash)
        after = replace(
            stored,
            invoice=invoice,
            state=checked.state,
            reasons=checked.reasons,
            account=checked.account,
        )
        written = self.records.replace(stored, after)
        self._summarise(
            [Read(stored.file_name, document_hash, written.state.value, stored=written)],
            origin=stored.origin,
            mark=f"textract.{job_id}",
        )
        return Read(stored.file_name, document_hash, written.state.value, engine="textract", stored=written)

    @dataclass(frozen=True, slots=True)
    class _Checked:
        state: State
        reasons: tuple[Reason, ...]
        account: Any

    def _checked(self, invoice: SupplierInvoice, problems: list[Problem], *, received_id: str) -> _Checked:
        assert self.records is not None
        holder = self.records.claim_number(invoice) if not problems else None
        duplicate = None
        if holder is not None and holder != received_id:
            other = self.records.get(holder)
            duplicate = f"{holder[:12]}" + (f", {other.file_name}" if other else "")
        result: Review = review(
            invoice, today=self.today(), duplicate_of=duplicate, our_ids=self.config.our_ids
        )
        all_problems = (*problems, *result.problems)
        state = State.READY if result.status is Status.READY and not problems else State.TO_REVIEW
        accounts = self.purchase_accounts()
        text = " ".join(line.description for line in invoice.lines[:50])
        account = accounts.account_for(
            supplier=invoice.supplier_name or "", text=text, siren=invoice.supplier_siren
        )
        reasons = tuple(
            Reason(p.code, p.column, p.value, p.describe("fr"), p.describe("en")) for p in all_problems
        )
        return self._Checked(state, reasons, account)

    def _record(
        self,
        invoice: SupplierInvoice,
        problems: list[Problem],
        *,
        document: Document,
        key: str,
        origin: str,
        sender: str | None,
        received: datetime,
    ) -> Read:
        assert self.records is not None
        checked = self._checked(invoice, problems, received_id=invoice.document_hash)
        stored = StoredSupplierInvoice(
            invoice=invoice,
            state=checked.state,
            received_at=received,
            document_key=key,
            origin=origin,
            file_name=document.file_name,
            reasons=checked.reasons,
            account=checked.account,
            sender=sender,
        )
        fresh = self.records.create(stored)
        if not fresh:  # recorded meanwhile by another delivery
            stored = self.records.get(invoice.document_hash) or stored
        return Read(
            document.file_name,
            invoice.document_hash,
            stored.state.value,
            codes=tuple(r.code for r in stored.reasons),
            engine=invoice.engine.value,
            stored=stored,
            fresh=fresh,
        )

    # --- configuration, reports, summaries ---------------------------------------------------------

    def purchase_accounts(self) -> PurchaseAccounts:
        from invoicing.ingest.supplier_accounts import KEY, read_supplier_accounts

        found = self.documents.get(KEY)
        if found is None:
            return PurchaseAccounts()
        accounts, _problems = read_supplier_accounts(found.data)
        return accounts

    def _report(self, obj: S3Object, mark: str, lines: list[str]) -> None:
        """What ``obj`` held that was not read, and why: one report per upload or mail (by its
        version), written once whatever the deliveries of its event."""
        report = f"{REPORTS_PREFIX}{mark}.txt"
        if self.documents.head(report) is not None:
            return
        text = f"{obj.key}\n\n" + "\n".join(quoted(line, 400) for line in lines) + "\n"
        self.documents.put(report, text.encode("utf-8"), "text/plain; charset=utf-8")

    def _summarise(
        self, reads: list[Read], *, origin: str, mark: str, unread: list[str] | None = None
    ) -> None:
        """The owner's summary of one mail or upload, sent once: a mark in the records table is
        claimed before sending and given back if sending fails (the retry sends it)."""
        mode = self.config.summary
        if mode == "off" or self.mailer is None or not self.config.owner or not self.config.sender:
            return
        shown = [
            r
            for r in reads
            if r.stored is not None and (mode == "every-document" or r.state in ("to_review", "duplicate"))
        ]
        if not shown and not unread:
            return
        assert self.records is not None
        if not self.records.claim_mark(f"summary#{mark}"):
            return  # sent by an earlier delivery of this event
        try:
            self._send_summary(shown, origin=origin, unread=unread or [])
        except Exception:
            self.records.release_mark(f"summary#{mark}")
            raise

    def _send_summary(self, shown: list[Read], *, origin: str, unread: list[str]) -> None:
        from invoicing.adapters.mailer import MailRejected
        from invoicing.documents.supplier_summary import SummaryItem, compose_supplier_summary

        items = []
        for r in shown:
            s = r.stored
            assert s is not None
            inv = s.invoice
            items.append(
                SummaryItem(
                    short_id=s.short_id,
                    file_name=s.file_name,
                    state=r.state,
                    supplier=inv.supplier_name,
                    number=inv.invoice_number,
                    issue_date=inv.issue_date.isoformat() if inv.issue_date else None,
                    due_date=inv.due_date.isoformat() if inv.due_date else None,
                    total_excl_tax=inv.total_excl_tax,
                    total_tax=inv.total_tax,
                    total_incl_tax=inv.total_incl_tax,
                    currency=inv.currency,
                    account=f"{s.account.number} {s.account.label}" if s.account else None,
                    engine=inv.engine.value,
                    reasons_fr=tuple(x.fr for x in s.reasons),
                    reasons_en=tuple(x.en for x in s.reasons),
                    content_type=_EXTENSIONS.get(
                        s.document_key.rsplit(".", 1)[-1], "application/octet-stream"
                    ),
                )
            )
        # The documents go along while they fit in one email (SES takes 10 MB, base64 adds a third).
        budget = ATTACHMENTS_BUDGET
        attached = []
        for item, r in zip(items, shown, strict=True):
            assert r.stored is not None
            found = self.documents.get(r.stored.document_key) if budget > 0 else None
            if found is not None and len(found.data) <= budget:
                budget -= len(found.data)
                item = replace(item, attachment=found.data)
            attached.append(item)

        def compose(with_documents: bool) -> Any:
            chosen = attached if with_documents else [replace(i, attachment=None) for i in attached]
            return compose_supplier_summary(
                chosen,
                to=self.config.owner or "",
                sender=self.config.sender or "",
                business_name=self.config.business_name,
                origin=origin,
                stack=self.config.stack,
                unread=unread,
            )

        try:
            self.mailer.send(compose(True), tags={"kind": "supplier-summary"})
        except MailRejected:
            try:  # without the documents (the bucket keeps them)
                self.mailer.send(compose(False), tags={"kind": "supplier-summary"})
            except MailRejected as exc:
                if self.alerts is not None:
                    self.alerts.publish(
                        "Résumé fournisseurs non envoyé",
                        f"Le résumé des factures fournisseurs reçues ({quoted(origin, 200)}) n'a pas pu être "
                        f"envoyé à {self.config.owner} ({exc}). Les factures sont enregistrées : "
                        f"invoicing suppliers list --stack {self.config.stack}.",
                    )


def safe_name(name: str) -> str:
    """A file name as it may be shown and put in a header: one line, no refused character, at most
    ``NAME_LIMIT`` characters, never empty."""
    from invoicing.domain.text import forbidden_characters

    text = " ".join(name.split())
    for char in set(forbidden_characters(text)):
        text = text.replace(char, "")
    return text[:NAME_LIMIT].strip() or "document"


def _mark(obj: S3Object, version: str | None) -> str:
    """What names one upload or mail for its report and its summary: its path under ``inbox/``
    and its version."""
    return f"{obj.key[len('inbox/') :] if obj.key.startswith('inbox/') else obj.key}.{(version or '')[:40]}"


def _pdf_pages(data: bytes) -> int:
    """Pages of a PDF (pypdf reads the page tree without the content); 2 when unknown, so an
    unreadable PDF goes to Textract's asynchronous path, which takes more."""
    try:
        from io import BytesIO

        from pypdf import PdfReader

        return len(PdfReader(BytesIO(data)).pages)
    except Exception:
        return 2
