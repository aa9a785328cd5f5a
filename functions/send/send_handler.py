"""send: one ``SendRequest`` per issued document (from generate's issuer) -> SQS -> here.

A request naming an unknown document, or one whose PDF is missing, or a malformed message,
fails: SQS retries it, then the dead-letter queue keeps it and its alarm fires.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing import observability
from invoicing.events import SendRequest
from invoicing.observability import count, logger
from invoicing.services.sending import Sending
from invoicing.settings import SendSettings

sending = Sending.from_settings(SendSettings.from_env())
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    ready = sending.handle(SendRequest.from_json(record.body))
    logger.info(
        "document ready to send", extra={"number": ready.number, "to": ready.to, "pdf": ready.pdf_key}
    )
    count("DocumentsReadyToSend")


@observability.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
