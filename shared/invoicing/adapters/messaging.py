"""Messages out: the operator's alert topic (SNS) and the send queue (SQS)."""

from __future__ import annotations

import json

from invoicing.adapters.aws import client

#: SNS subjects are limited to 100 ASCII-printable characters... in practice; keep under.
_SUBJECT_MAX = 99


class Alerts:
    def __init__(self, topic_arn: str | None) -> None:
        self.topic_arn = topic_arn

    def publish(self, subject: str, message: str) -> bool:
        """Tell the operator. Returns False when no topic is configured."""
        if not self.topic_arn:
            return False
        # SNS refuses subjects with line breaks or non-ASCII control characters.
        clean = " ".join(subject.split())[:_SUBJECT_MAX]
        client("sns").publish(TopicArn=self.topic_arn, Subject=clean, Message=message)
        return True


class SendQueue:
    """generate -> send: one message per issued document."""

    def __init__(self, queue_url: str | None) -> None:
        self.queue_url = queue_url

    def enqueue(self, invoice_id: str, number: str) -> bool:
        if not self.queue_url:
            return False
        client("sqs").send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps({"invoice_id": invoice_id, "number": number}),
        )
        return True
