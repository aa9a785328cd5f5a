"""send: one ``SendRequest`` per document to email (generate's issuer, the daily run when a
sending slot comes, a clients file giving an address, the operator's resend) -> SQS -> here;
and SES's bounces and complaints (configuration set -> SNS -> here).

A request naming an unknown document, or one whose PDF is missing, or a malformed message,
fails: SQS retries it, then the dead-letter queue keeps it and its alarm fires.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing import observability
from invoicing.events import SendRequest, mail_events
from invoicing.observability import count, logger
from invoicing.services.sending import Sending
from invoicing.settings import SendSettings

sending = Sending.from_settings(SendSettings.from_env())
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    done = sending.handle(SendRequest.from_json(record.body))
    logger.info(
        "send request",
        extra={"number": done.number, "outcome": done.outcome, "to": done.to, "message_id": done.message_id},
    )
    count(f"Send_{done.outcome}")


def delivery_events(event: dict[str, Any]) -> dict[str, Any]:
    outcomes = []
    for mail_event in mail_events(event):
        outcome = sending.record(mail_event)
        logger.info(
            "delivery event",
            extra={"type": mail_event.event_type, "invoice_id": mail_event.invoice_id, "outcome": outcome},
        )
        count(f"Delivery_{mail_event.event_type}")
        outcomes.append(outcome)
    return {"delivery_events": outcomes}


@observability.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") or [{}]
    if records[0].get("EventSource") == "aws:sns":
        return delivery_events(event)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
