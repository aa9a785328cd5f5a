"""Supplier intake: supplier documents arriving under ``inbox/`` (SES inbound mail, uploads).

For now it acknowledges each one and says its size; reading it (embedded Factur-X first,
Textract otherwise) arrives with the supplier-invoices issue. A document that is no longer
there is reported as such, not as an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.adapters.documents import DocumentStore
from invoicing.events import S3Object
from invoicing.settings import OcrSettings


@dataclass(frozen=True, slots=True)
class Received:
    key: str
    size: int | None


class SupplierIntake:
    def __init__(self, *, documents: DocumentStore) -> None:
        self.documents = documents

    @classmethod
    def from_settings(cls, settings: OcrSettings) -> SupplierIntake:
        return cls(documents=DocumentStore(settings.documents_bucket))

    def receive(self, obj: S3Object) -> Received:
        return Received(obj.key, self.documents.size(obj.key))
