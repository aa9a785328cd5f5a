"""Sending: one ``SendRequest`` per issued document, from the issuer.

For now it checks that the document exists and that its PDF is stored, and says what would
be emailed; the email itself (SES, payment link, delivery state on the receivable) arrives
with the sending issue. A request naming an unknown document, or one whose PDF is missing,
raises: SQS retries it, then the dead-letter queue keeps it and its alarm fires.
"""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.invoices import InvoiceRepository
from invoicing.events import SendRequest
from invoicing.settings import SendSettings


class NotReadyToSend(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class ReadyToSend:
    number: str
    to: str | None
    pdf_key: str


class Sending:
    def __init__(self, *, invoices: InvoiceRepository, documents: DocumentStore) -> None:
        self.invoices = invoices
        self.documents = documents

    @classmethod
    def from_settings(cls, settings: SendSettings) -> Sending:
        return cls(
            invoices=InvoiceRepository(settings.resources),
            documents=DocumentStore(settings.resources.documents_bucket),
        )

    def handle(self, request: SendRequest) -> ReadyToSend:
        stored = self.invoices.get(request.invoice_id)
        if stored is None:
            raise NotReadyToSend(f"unknown invoice {request.number} ({request.invoice_id})")
        if not stored.pdf_key or self.documents.size(stored.pdf_key) is None:
            raise NotReadyToSend(f"{stored.invoice.number} has no stored PDF yet")
        return ReadyToSend(stored.invoice.number, stored.invoice.buyer.email, stored.pdf_key)
