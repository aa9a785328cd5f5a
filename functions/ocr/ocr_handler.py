"""ocr: S3 ``inbox/`` (SES inbound mail or uploads) -> SQS -> here.

For now it acknowledges each supplier document that arrived and logs its size; reading it
(embedded Factur-X first, Textract otherwise) arrives with the OCR issue. A record that
cannot be read as an S3 notification fails and is retried, then dead-lettered.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.adapters.documents import DocumentStore
from invoicing.settings import Resources

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _documents() -> DocumentStore:
    return DocumentStore(Resources.from_env().documents_bucket)


def record_handler(record: SQSRecord) -> list[dict[str, Any]]:
    body = record.json_body
    if body.get("Event") == "s3:TestEvent":
        return []
    received = []
    for s3_record in S3Event(body).records:
        # S3 URL-encodes keys in notifications (a space arrives as '+'); Powertools only
        # decodes S3Event.object_key, the first record's.
        key = unquote_plus(s3_record.s3.get_object.key)
        size = _documents().size(key)
        logger.info("supplier document received", extra={"key": key, "size": size})
        received.append({"key": key, "size": size})
    return received


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
