"""The messages between functions, typed, with their JSON form; and S3 objects named by
S3-over-SQS notifications.

A message is a frozen dataclass with ``to_json()`` and ``from_json()``. ``from_json`` refuses
anything that is not exactly the message (missing or extra fields, wrong types, an unknown
``kind`` or version) with ``MessageError``: a malformed message fails loudly and ends in its
queue's dead-letter queue, it is never half-understood.

Messages:
- ``SendRequest``: generate (the issuer), remind (a slot came) and the operator -> send.
- ``MailEvent``: SES bounces and complaints (configuration set -> SNS -> send).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote_plus

#: Bumped when a message's JSON form changes incompatibly.
MESSAGE_VERSION = 1


class MessageError(ValueError):
    """A message body that is not the message it claims to be."""


@dataclass(frozen=True, slots=True)
class SendRequest:
    """Email this issued document to its buyer."""

    kind: ClassVar[str] = "send-request"
    invoice_id: str
    number: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "version": MESSAGE_VERSION,
                "invoice_id": self.invoice_id,
                "number": self.number,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, body: str | bytes) -> SendRequest:
        data = _envelope(body, cls.kind, {"invoice_id", "number"})
        return cls(invoice_id=data["invoice_id"], number=data["number"])


def _envelope(body: str | bytes, kind: str, fields: set[str]) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise MessageError(f"{kind}: the body is not JSON") from exc
    if not isinstance(data, dict):
        raise MessageError(f"{kind}: the body is not a JSON object")
    if data.get("kind") != kind:
        raise MessageError(f"expected a {kind} message, got kind {data.get('kind')!r}")
    if data.get("version") != MESSAGE_VERSION:
        raise MessageError(f"{kind}: unsupported version {data.get('version')!r}")
    keys = set(data) - {"kind", "version"}
    if keys != fields:
        missing, extra = sorted(fields - keys), sorted(keys - fields)
        raise MessageError(f"{kind}: missing fields {missing}, unexpected fields {extra}")
    for name in fields:
        value = data[name]
        if not isinstance(value, str) or not value or len(value) > 200:
            raise MessageError(f"{kind}: {name} must be a non-empty string of at most 200 characters")
    return data


# --- S3 notifications carried by SQS ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class S3Object:
    """One object a notification names, exactly: its key, and the version and eTag of the
    upload that caused the event (a later upload to the same key is another event)."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None


def s3_objects(body: str | dict[str, Any]) -> tuple[S3Object, ...]:
    """The objects named by an S3 event notification delivered through SQS.

    The one-off ``s3:TestEvent`` (sent when a notification is configured) names none. S3
    URL-encodes keys in notifications (a space arrives as ``+``); they are decoded here.
    Raises ``MessageError`` for a body that is not an S3 notification.
    """
    try:
        data = json.loads(body) if isinstance(body, str) else body
    except ValueError as exc:
        raise MessageError("S3 notification: the body is not JSON") from exc
    if not isinstance(data, dict):
        raise MessageError("S3 notification: the body is not a JSON object")
    if data.get("Event") == "s3:TestEvent":
        return ()
    records = data.get("Records")
    if not isinstance(records, list):
        raise MessageError("S3 notification: no Records")
    found = []
    for record in records:
        try:
            s3 = record["s3"]
            obj = s3["object"]
            found.append(
                S3Object(
                    bucket=s3["bucket"]["name"],
                    key=unquote_plus(obj["key"]),
                    version_id=obj.get("versionId"),
                    etag=obj.get("eTag"),
                    size=obj.get("size"),
                )
            )
        except (KeyError, TypeError) as exc:
            raise MessageError(f"S3 notification: a record lacks {exc}") from exc
    return tuple(found)


# --- SES delivery events (configuration set -> SNS -> send) ------------------------------------

#: Event types that mean the customer did not get (or refuses) the email.
UNDELIVERED = frozenset({"Bounce", "Complaint", "Reject", "RenderingFailure"})


@dataclass(frozen=True, slots=True)
class MailEvent:
    """One SES event about a message we sent (event publishing's ``eventType``, or an
    identity notification's ``notificationType``)."""

    event_type: str  # Bounce, Complaint, Delivery, Reject, Send, DeliveryDelay, ...
    subtype: str  # bounce "Permanent/General", complaint "abuse", reject reason, ...
    recipients: tuple[str, ...]
    diagnostic: str
    message_id: str | None
    #: The document it was about: our ``invoice_id`` message tag, or our header.
    invoice_id: str | None
    timestamp: str
    #: What the message was (our ``kind`` tag): invoice, credit-note, reminder, escalation,
    #: reply-forward; None when unknown.
    kind: str | None = None

    @property
    def permanent(self) -> bool:
        """Whether the address is not worth another try: a permanent bounce, a complaint, a
        rejection (a transient bounce is SES giving up for now)."""
        if self.event_type == "Bounce":
            return not self.subtype.startswith(("Transient", "Undetermined"))
        return self.event_type in UNDELIVERED


def mail_events(event: dict[str, Any]) -> tuple[MailEvent, ...]:
    """The SES events of a Lambda SNS event. A record whose message is not an SES event (the
    topic's own confirmation text, say) is skipped; one that is JSON but not an object raises
    ``MessageError``."""
    found = []
    for record in event.get("Records", ()):
        sns = record.get("Sns") or {}
        try:
            message = json.loads(sns.get("Message") or "")
        except ValueError:
            continue
        if not isinstance(message, dict):
            raise MessageError("an SES event is a JSON object")
        kind = message.get("eventType") or message.get("notificationType")
        if not isinstance(kind, str) or not kind:
            continue
        found.append(_mail_event(kind, message, str(sns.get("Timestamp") or "")))
    return tuple(found)


def _mail_event(kind: str, message: dict[str, Any], timestamp: str) -> MailEvent:
    mail = message.get("mail") if isinstance(message.get("mail"), dict) else {}
    detail = message.get(kind[0].lower() + kind[1:]) or {}
    if not isinstance(detail, dict):
        detail = {}
    recipients: list[str] = []
    diagnostic = ""
    subtype = ""
    if kind == "Bounce":
        subtype = f"{detail.get('bounceType', '')}/{detail.get('bounceSubType', '')}"
        for r in detail.get("bouncedRecipients") or ():
            if isinstance(r, dict) and r.get("emailAddress"):
                recipients.append(str(r["emailAddress"]))
                diagnostic = diagnostic or str(r.get("diagnosticCode") or r.get("status") or "")
    elif kind == "Complaint":
        subtype = str(detail.get("complaintFeedbackType") or detail.get("complaintSubType") or "")
        recipients = [
            str(r["emailAddress"])
            for r in detail.get("complainedRecipients") or ()
            if isinstance(r, dict) and r.get("emailAddress")
        ]
    elif kind == "Reject":
        subtype = str(detail.get("reason") or "")
    elif kind == "RenderingFailure":
        subtype = str(detail.get("errorMessage") or "")
    if not recipients:
        recipients = [str(a) for a in mail.get("destination") or () if isinstance(a, str)]
    return MailEvent(
        event_type=kind,
        subtype=subtype,
        recipients=tuple(recipients),
        diagnostic=diagnostic[:500],
        message_id=str(mail["messageId"]) if mail.get("messageId") else None,
        invoice_id=_invoice_id(mail),
        timestamp=str(detail.get("timestamp") or mail.get("timestamp") or timestamp),
        kind=_tag(mail, "kind", "x-invoicing-kind"),
    )


def _invoice_id(mail: dict[str, Any]) -> str | None:
    return _tag(mail, "invoice_id", "x-invoicing-invoice-id")


def _tag(mail: dict[str, Any], tag: str, header: str) -> str | None:
    """Our message tag ``tag`` (event publishing carries them), else our header ``header``."""
    tags = mail.get("tags")
    if isinstance(tags, dict):
        values = tags.get(tag)
        if isinstance(values, list) and values and isinstance(values[0], str):
            return values[0]
    for item in mail.get("headers") or ():
        if isinstance(item, dict) and str(item.get("name", "")).lower() == header:
            return str(item.get("value", "")).strip() or None
    return None
