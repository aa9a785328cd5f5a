"""The issuer: the only path that numbers, renders, stores and queues a document.

File import, credit notes (from a file or the operator's command), and next online sales,
recurring billing and approvals all hand the issuer a validated ``Draft``; it

1. numbers and stores it (``InvoiceRepository.issue``: one transaction with the counter,
   the number claim, the invoice and its opening receivable, and, for a credit note, the
   credit recorded on the corrected invoice);
2. renders its PDF/A-3 with the embedded Factur-X XML and stores both under
   ``invoices/<year>/``, recording the PDF's SHA-256;
3. queues a ``SendRequest`` for the send function and records it on the receivable
   (``queue_send``, a conditional write).

Each step is idempotent, keyed by the draft's source: calling ``issue`` again with the same
draft (a redelivered event, a retried command, a run resumed after a crash) completes what
is missing and creates nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from invoicing.adapters import keys
from invoicing.adapters.business_config import BusinessConfig
from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.adapters.messaging import SendQueue
from invoicing.business import Business, GenerateSettings
from invoicing.documents.render import Rendered, render
from invoicing.domain.einvoicing import retained_until
from invoicing.domain.invoice import DocumentType, Draft, Invoice
from invoicing.domain.receivable import Delivery, DunningPolicy, Status
from invoicing.events import SendRequest
from invoicing.services.clock import today


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    """What issuing a draft gave: for reports, the command line and the logs."""

    invoice_id: str
    number: str
    document_type: DocumentType
    client_ref: str
    client_name: str
    issue_date: date
    due_date: date
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    status: Status
    pdf_key: str
    #: False when this draft had been issued already (by an earlier delivery or request).
    created: bool

    @property
    def is_credit_note(self) -> bool:
        return self.document_type is DocumentType.CREDIT_NOTE


class Issuer:
    def __init__(
        self,
        *,
        business: Business,
        invoices: InvoiceRepository,
        documents: DocumentStore,
        send_queue: SendQueue,
        render: Callable[[Invoice], Rendered],
        today: Callable[[], date],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        policy: DunningPolicy | None = None,
        lock_documents: bool = False,
        config: BusinessConfig | None = None,
    ) -> None:
        self.business = business
        self.invoices = invoices
        self.documents = documents
        self.send_queue = send_queue
        self.render = render
        self.today = today
        self.now = now
        self.policy = policy or DunningPolicy()
        self.lock_documents = lock_documents
        #: The business's files in its bucket (its own reminder policy, its logo).
        self.config = config

    @classmethod
    def from_settings(cls, settings: GenerateSettings) -> Issuer:
        business = settings.business
        documents = DocumentStore(settings.resources.documents_bucket)
        config = BusinessConfig(documents, max_age=60)
        return cls(
            business=business,
            invoices=InvoiceRepository(settings.resources),
            documents=documents,
            send_queue=SendQueue(settings.send_queue_url),
            # The business's logo (config/logo.png, checked on upload) is printed on its documents.
            render=lambda invoice: render(invoice, business.facturx_profile, logo=config.logo()),
            today=lambda: today(business.time_zone),
            lock_documents=settings.lock_invoices,
            policy=settings.dunning_policy,
            config=config,
        )

    def find(self, number: str) -> StoredInvoice | None:
        return self.invoices.get_by_number(number)

    def issue(self, draft: Draft) -> IssuedDocument:
        """Number, store, render and queue ``draft``; idempotent by its source."""
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
            policy=(self.config.policy() if self.config else None) or self.policy,
        )
        return self._completed(stored)

    def complete(self, number: str) -> IssuedDocument | None:
        """An issued document made whole (its PDF and XML stored, its sending queued) when a
        run died before: what a file whose rows it bills finds, read again. None if unknown."""
        stored = self.invoices.get_by_number(number)
        if stored is None:
            return None
        return self._completed(replace(stored, created=False))

    def _completed(self, stored: StoredInvoice) -> IssuedDocument:
        pdf_key = self._ensure_documents(stored)
        stored = self._ensure_queued(stored)
        invoice = stored.invoice
        return IssuedDocument(
            invoice_id=invoice.invoice_id,
            number=invoice.number,
            document_type=invoice.document_type,
            client_ref=invoice.buyer.ref,
            client_name=invoice.buyer.name,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            total_excl_vat=invoice.totals.tax_basis_total,
            total_vat=invoice.totals.vat_total,
            total_incl_vat=invoice.totals.grand_total,
            status=stored.receivable.status,
            pdf_key=pdf_key,
            created=stored.created,
        )

    def release_waiting(self, client_refs: Iterable[str]) -> list[str]:
        """Queue again the documents of these clients that wait for an email address (a clients
        file just gave one); returns their numbers."""
        released = []
        for ref in client_refs:
            for stored in self.invoices.of_client(ref):
                if stored.receivable.delivery.state is not Delivery.WAITING:
                    continue
                at = self.now()
                self.invoices.update(
                    stored.invoice.invoice_id,
                    lambda r, at=at: r.requeue(at) if r.delivery.state is Delivery.WAITING else r,
                )
                self.send_queue.enqueue(SendRequest(stored.invoice.invoice_id, stored.invoice.number))
                released.append(stored.invoice.number)
        return released

    def _ensure_documents(self, stored: StoredInvoice) -> str:
        """Store the PDF (and XML) of an issued document once; later calls change nothing."""
        invoice = stored.invoice
        if stored.pdf_sha256 and stored.pdf_key:
            return stored.pdf_key
        rendered = self.render(invoice)
        digest = hashlib.sha256(rendered.pdf).hexdigest()
        pdf_key = keys.invoice_pdf(invoice)
        meta = {"invoice-number": invoice.number, "sha256": digest}
        until = retained_until(invoice.issue_date) if self.lock_documents else None
        self.documents.put(pdf_key, rendered.pdf, "application/pdf", meta, locked_until=until)
        xml_key = keys.invoice_xml(invoice)
        xml_meta = {"invoice-number": invoice.number}
        self.documents.put(xml_key, rendered.xml, "application/xml", xml_meta, locked_until=until)
        self.invoices.record_documents(
            invoice.invoice_id, pdf_key=pdf_key, pdf_sha256=digest, xml_key=xml_key
        )
        return pdf_key

    def _ensure_queued(self, stored: StoredInvoice) -> StoredInvoice:
        """Queue the send request once. If the process dies between sending the message and
        recording it, the retry queues it again: send is idempotent on the receivable."""
        if stored.receivable.delivery.state is not Delivery.PENDING:
            return stored
        self.send_queue.enqueue(SendRequest(stored.invoice.invoice_id, stored.invoice.number))
        at = self.now()
        queued = self.invoices.update(
            stored.invoice.invoice_id,
            lambda r: r.queue_send(at) if r.delivery.state is Delivery.PENDING else r,
        )
        return replace(queued, created=stored.created)
