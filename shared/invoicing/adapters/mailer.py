"""Email out: Amazon SES ``SendRawEmail``, through the stack's configuration set.

The configuration set publishes bounces and complaints to the delivery-events topic (see
template.yaml); every message carries the tags that let those events find their document
again (``invoice_id``, ``kind``, ``step``). A refusal SES will repeat whatever the retry
(an unverified sender, a malformed address, a message too large) raises ``MailRejected``;
anything else (throttling, a timeout) is left to propagate, to be retried.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from email.message import EmailMessage

from botocore.exceptions import ClientError

from invoicing.adapters.aws import client

#: SES refuses tags outside this alphabet (names and values, at most 256 characters).
_TAG_CHARACTERS = re.compile(r"[^A-Za-z0-9_\-.@]")
#: Errors that a retry would meet again.
_PERMANENT = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetSendingPausedException",
        "AccountSendingPausedException",
        "InvalidParameterValue",
    }
)
#: SES's limit for one raw message.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class MailRejected(RuntimeError):
    """SES refused the message for a reason a retry would not change; the message says which."""


def tag_value(value: str) -> str:
    return _TAG_CHARACTERS.sub("_", value)[:256] or "_"


class Mailer:
    def __init__(self, configuration_set: str | None = None) -> None:
        self.configuration_set = configuration_set

    def send(
        self,
        message: EmailMessage,
        *,
        bcc: Sequence[str] = (),
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Send ``message`` (its own To/Cc headers are the visible recipients; ``bcc`` adds
        hidden ones); returns SES's message id."""
        data = message.as_bytes()
        if len(data) > MAX_MESSAGE_BYTES:
            raise MailRejected(f"the message is {len(data)} bytes, more than SES's {MAX_MESSAGE_BYTES}")
        recipients = [
            str(a.addr_spec) for h in ("To", "Cc") for a in (message[h].addresses if message[h] else ())
        ]
        request: dict[str, object] = {
            "Destinations": [*recipients, *bcc],
            "RawMessage": {"Data": data},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        if tags:
            request["Tags"] = [{"Name": tag_value(k), "Value": tag_value(v)} for k, v in tags.items()]
        try:
            return str(client("ses").send_raw_email(**request)["MessageId"])
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _PERMANENT:
                raise MailRejected(
                    f"SES refused the message: {code}: {exc.response['Error'].get('Message', '')}"
                ) from exc
            raise
