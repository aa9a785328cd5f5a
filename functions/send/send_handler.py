"""send: one SQS message per issued document (from generate) -> here.

For now it checks that the document exists and its PDF is stored, and reports what would be
emailed; the email itself (SES, payment link) arrives with the send issue. A message naming
an unknown invoice, or one whose PDF is missing, fails: SQS retries it, then the dead-letter
queue keeps it and its alarm fires.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.invoices import InvoiceRepository
from invoicing.settings import Resources

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _resources() -> tuple[InvoiceRepository, DocumentStore]:
    resources = Resources.from_env()
    return InvoiceRepository(resources), DocumentStore(resources.documents_bucket)


def record_handler(record: SQSRecord) -> None:
    message = record.json_body
    invoices, documents = _resources()
    stored = invoices.get(message["invoice_id"])
    if stored is None:
        raise LookupError(f"unknown invoice {message.get('number')} ({message['invoice_id']})")
    if not stored.pdf_key or documents.size(stored.pdf_key) is None:
        raise LookupError(f"{stored.invoice.number} has no stored PDF yet")
    logger.info(
        "document ready to send",
        extra={"number": stored.invoice.number, "to": stored.invoice.buyer.email, "pdf": stored.pdf_key},
    )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
