"""The messages between functions, typed, with their JSON form; and S3 objects named by
S3-over-SQS notifications.

A message is a frozen dataclass with ``to_json()`` and ``from_json()``. ``from_json`` refuses
anything that is not exactly the message (missing or extra fields, wrong types, an unknown
``kind`` or version) with ``MessageError``: a malformed message fails loudly and ends in its
queue's dead-letter queue, it is never half-understood.

Messages:
- ``SendRequest``: generate (the issuer) -> send, one per issued document.
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
