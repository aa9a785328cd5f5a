"""Supplier intake: documents arriving under ``inbox/`` (SES inbound mail, uploads).

A mail (``inbox/mail/``) is read first: a reply to one of our reminders (its recipient
carries the invoice's reply token) goes to dunning (``Replies``: the invoice's reminders
pause and the owner gets the reply) and is not extracted. Everything else is acknowledged
with its size for now; reading it (embedded Factur-X first, Textract otherwise) arrives
with the supplier-invoices issue. A document that is no longer there is reported as such,
not as an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.marks import Marks
from invoicing.adapters.messaging import Alerts
from invoicing.events import S3Object
from invoicing.services.replies import Replies, ReplyOutcome
from invoicing.settings import OcrSettings

MAIL_PREFIX = "inbox/mail/"


@dataclass(frozen=True, slots=True)
class Received:
    key: str
    size: int | None
    #: What dunning did with a reply to a reminder (None: not a reply).
    reply: ReplyOutcome | None = None
    #: Why a mail could not be read (kept in the bucket for a person).
    unreadable: str | None = None


class SupplierIntake:
    def __init__(self, *, documents: DocumentStore, replies: Replies | None = None) -> None:
        self.documents = documents
        self.replies = replies

    @classmethod
    def from_settings(cls, settings: OcrSettings) -> SupplierIntake:
        from invoicing.services.correspondence import Correspondence

        documents = DocumentStore(settings.documents_bucket)
        replies = None
        if settings.resources is not None and settings.mail is not None and settings.alerts_topic_arn:
            replies = Replies(
                invoices=InvoiceRepository(settings.resources),
                mail=Correspondence.from_settings(settings.resources, settings.mail),
                settings=settings.mail,
                alerts=Alerts(settings.alerts_topic_arn),
                marks=Marks(settings.resources.dunning_table) if settings.resources.dunning_table else None,
            )
        return cls(documents=documents, replies=replies)

    def receive(self, obj: S3Object) -> Received:
        if self.replies is not None and obj.key.startswith(MAIL_PREFIX):
            from invoicing.ingest.mail import UnreadableMail, parse_mail

            stored = self.documents.get(obj.key, obj.version_id)
            if stored is None:
                return Received(obj.key, None)
            try:
                mail = parse_mail(stored.data)
            except UnreadableMail as exc:
                return Received(obj.key, len(stored.data), unreadable=str(exc))
            if not mail.quarantined:
                outcome = self.replies.handle(mail, stored.data, f"s3://{self.documents.bucket}/{obj.key}")
                if outcome is not None:
                    return Received(obj.key, len(stored.data), reply=outcome)
            return Received(obj.key, len(stored.data))
        return Received(obj.key, self.documents.size(obj.key))
