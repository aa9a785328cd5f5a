"""The messages between functions and the S3-over-SQS key helper."""

from __future__ import annotations

import json

import pytest

from invoicing.events import MessageError, S3Object, SendRequest, s3_objects


def test_send_request_round_trips_through_its_json_form() -> None:
    request = SendRequest("inv-0f3a", "FA2026-00042")
    body = request.to_json()
    assert json.loads(body) == {
        "kind": "send-request",
        "version": 1,
        "invoice_id": "inv-0f3a",
        "number": "FA2026-00042",
    }
    assert SendRequest.from_json(body) == request
    assert SendRequest.from_json(body.encode()) == request


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"invoice_id": "inv-1", "number": "FA1"}', "expected a send-request"),  # the old bare dict
        ('{"kind": "payment", "version": 1, "invoice_id": "i", "number": "n"}', "expected a send-request"),
        ('{"kind": "send-request", "version": 2, "invoice_id": "i", "number": "n"}', "unsupported version"),
        ('{"kind": "send-request", "version": 1, "invoice_id": "i"}', r"missing fields \['number'\]"),
        (
            '{"kind": "send-request", "version": 1, "invoice_id": "i", "number": "n", "to": "x@y"}',
            r"unexpected fields \['to'\]",
        ),
        ('{"kind": "send-request", "version": 1, "invoice_id": 7, "number": "n"}', "non-empty string"),
        ('{"kind": "send-request", "version": 1, "invoice_id": "", "number": "n"}', "non-empty string"),
        (json.dumps({"kind": "send-request", "version": 1, "invoice_id": "i" * 201, "number": "n"}), "200"),
    ],
)
def test_a_malformed_send_request_is_refused_by_name(body: str, reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        SendRequest.from_json(body)


def sam_s3_put(key: str, **object_fields) -> dict:
    """The shape `sam local generate-event s3 put` prints, with S3's URL-encoded key."""
    return {
        "Records": [
            {
                "eventVersion": "2.0",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
                    "object": {"key": key, "size": 1024, "eTag": "0123456789abcdef", **object_fields},
                },
            }
        ]
    }


def test_s3_keys_are_decoded_with_their_version_and_etag() -> None:
    body = json.dumps(sam_s3_put("incoming/ventes+de+novembre+%C3%A9t%C3%A9.csv", versionId="v3"))
    assert s3_objects(body) == (
        S3Object("b", "incoming/ventes de novembre été.csv", "v3", "0123456789abcdef", 1024),
    )


def test_the_s3_test_event_names_no_object() -> None:
    assert s3_objects(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"})) == ()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("nope", "not JSON"),
        ("42", "not a JSON object"),
        ("{}", "no Records"),
        (json.dumps({"Records": [{"s3": {"bucket": {"name": "b"}}}]}), "lacks"),
        (json.dumps({"Records": [None]}), "lacks"),
    ],
)
def test_a_body_that_is_not_an_s3_notification_is_refused(body: str, reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        s3_objects(body)
