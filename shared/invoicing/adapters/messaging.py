"""Messages out: the operator's alert topic (SNS) and the send queue (SQS).

Both take their target at construction and refuse to be built without one: an unset topic
or queue is a settings error at cold start, never a silent no-op.
"""

from __future__ import annotations

import unicodedata

from invoicing.adapters.aws import client
from invoicing.events import SendRequest

#: SNS subjects: at most 100 printable ASCII characters, no line breaks.
_SUBJECT_MAX = 99
#: SNS messages: at most 256 KB; keep room for the envelope.
MESSAGE_MAX_BYTES = 200_000


class Alerts:
    def __init__(self, topic_arn: str) -> None:
        if not topic_arn:
            raise ValueError("Alerts needs the alert topic's ARN")
        self.topic_arn = topic_arn

    def publish(self, subject: str, message: str) -> None:
        """Tell the operator. Subject and message are bounded to what SNS accepts."""
        clean = _ascii_subject(subject)
        body = message.encode("utf-8")
        if len(body) > MESSAGE_MAX_BYTES:
            cut = body[:MESSAGE_MAX_BYTES].decode("utf-8", errors="ignore")
            message = cut + "\n… (tronqué / truncated: see the full report)"
        client("sns").publish(TopicArn=self.topic_arn, Subject=clean or "alert", Message=message)


def _ascii_subject(subject: str) -> str:
    """SNS wants subjects in printable ASCII without line breaks: accents are dropped
    (« refusé » -> « refuse »), anything else becomes « ? »."""
    plain = unicodedata.normalize("NFKD", " ".join(subject.split()))
    text = "".join(c for c in plain if not unicodedata.combining(c))
    return "".join(c if " " <= c <= "~" else "?" for c in text)[:_SUBJECT_MAX]


class SendQueue:
    """generate -> send: one ``SendRequest`` per issued document."""

    def __init__(self, queue_url: str) -> None:
        if not queue_url:
            raise ValueError("SendQueue needs the send queue's URL")
        self.queue_url = queue_url

    def enqueue(self, request: SendRequest) -> None:
        client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=request.to_json())
