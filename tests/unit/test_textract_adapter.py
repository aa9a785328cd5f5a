"""The Textract client: requests checked against the real API model by botocore's Stubber, answered
with the real recorded responses of ../shared/fixtures/textract, and Textract's errors mapped to
what the queue should do (retry, refuse, propagate)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from invoicing.adapters import aws
from invoicing.adapters import textract as textract_adapter
from invoicing.adapters.textract import (
    AnalysisFailed,
    AnalysisInProgress,
    DocumentRefused,
    ExpenseReader,
    TextractBusy,
    needs_async,
)
from invoicing.ingest.textract_expense import expense_to_invoice
from tests.conftest import fixture_path

BUCKET = "documents-bucket"
KEY = "inbox/upload/facture-2024-042.pdf"
VERSION = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:textract-done"
ROLE = "arn:aws:iam::123456789012:role/textract-publish"
JOB = "8e5b3f2f4c1d4d2b9a0e7c6b5a4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d"
MB = 1024 * 1024


def recorded(*parts: str) -> dict[str, Any]:
    return json.loads(fixture_path("textract", *parts).read_text(encoding="utf-8"))


@pytest.fixture
def textract() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "textract", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_analyze_reads_the_object_version(textract: tuple[Any, Stubber]) -> None:
    client, stubber = textract
    answer = recorded("textract-response-parser", "invoice-expense-response.json")
    stubber.add_response(
        "analyze_expense",
        answer,
        {"Document": {"S3Object": {"Bucket": BUCKET, "Name": KEY, "Version": VERSION}}},
    )
    responses = ExpenseReader(client).analyze(BUCKET, KEY, VERSION)
    invoice = expense_to_invoice(responses, document_hash=HASH)
    assert invoice.invoice_number == "123PQR456"
    assert invoice.total_incl_tax == Decimal("6231.09")


def test_analyze_without_version(textract: tuple[Any, Stubber]) -> None:
    client, stubber = textract
    answer = recorded("textractor", "test_analyze_expense_from_path.json")  # carries its ResponseMetadata
    stubber.add_response(
        "analyze_expense", answer, {"Document": {"S3Object": {"Bucket": BUCKET, "Name": KEY}}}
    )
    [response] = ExpenseReader(client).analyze(BUCKET, KEY)
    assert expense_to_invoice([response], document_hash=HASH).supplier_name == "MEGA MARKET PLUS"


def test_start_is_idempotent_by_the_document_hash(textract: tuple[Any, Stubber]) -> None:
    client, stubber = textract
    expected = {
        "DocumentLocation": {"S3Object": {"Bucket": BUCKET, "Name": KEY, "Version": VERSION}},
        "ClientRequestToken": HASH[:64],
        "JobTag": "inbox-9f86d081",
        "NotificationChannel": {"SNSTopicArn": TOPIC, "RoleArn": ROLE},
    }
    for _ in range(2):  # the same message delivered twice: Textract answers the same job
        stubber.add_response("start_expense_analysis", {"JobId": JOB}, expected)
    reader = ExpenseReader(client)
    for _ in range(2):
        job = reader.start(
            BUCKET,
            KEY,
            VERSION,
            topic_arn=TOPIC,
            role_arn=ROLE,
            job_tag="inbox-9f86d081",
            request_token=HASH + "-and-more-than-64",
        )
        assert job == JOB


@pytest.mark.parametrize(
    ("token", "tag"),
    [("not/a token", "inbox"), ("", "inbox"), (HASH, "tag with spaces"), (HASH, ""), (HASH, "x" * 65)],
)
def test_start_refuses_tokens_and_tags_textract_would_refuse(token: str, tag: str) -> None:
    with pytest.raises(ValueError, match=r"request_token|job_tag"):
        ExpenseReader(object()).start(
            BUCKET, KEY, None, topic_arn=TOPIC, role_arn=ROLE, job_tag=tag, request_token=token
        )


def multipage_pages() -> list[dict[str, Any]]:
    whole = recorded("textract-response-parser", "analyzeExpenseResponse-multipage.json")
    first, second = whole["ExpenseDocuments"]
    common = {k: v for k, v in whole.items() if k != "ExpenseDocuments"}
    return [
        {**common, "ExpenseDocuments": [first], "NextToken": "page-2"},
        {**common, "ExpenseDocuments": [second]},
    ]


def test_results_follow_next_token(textract: tuple[Any, Stubber]) -> None:
    client, stubber = textract
    first, second = multipage_pages()
    stubber.add_response("get_expense_analysis", first, {"JobId": JOB, "MaxResults": 20})
    stubber.add_response(
        "get_expense_analysis", second, {"JobId": JOB, "MaxResults": 20, "NextToken": "page-2"}
    )
    pages = ExpenseReader(client).results(JOB)
    assert len(pages) == 2
    invoice = expense_to_invoice(pages, document_hash=HASH)
    assert (invoice.pages, invoice.invoice_number, invoice.total_incl_tax) == (
        2,
        "00000135",
        Decimal("5715.00"),
    )
    assert len(invoice.lines) == 8


def test_results_of_a_running_job(textract: tuple[Any, Stubber]) -> None:
    client, stubber = textract
    stubber.add_response(
        "get_expense_analysis", {"JobStatus": "IN_PROGRESS"}, {"JobId": JOB, "MaxResults": 20}
    )
    with pytest.raises(AnalysisInProgress, match=JOB):
        ExpenseReader(client).results(JOB)


def test_results_of_a_failed_job(textract: tuple[Any, Stubber]) -> None:
    client, stubber = textract
    stubber.add_response(
        "get_expense_analysis",
        {"JobStatus": "FAILED", "StatusMessage": "Request has unsupported document format"},
        {"JobId": JOB, "MaxResults": 20},
    )
    with pytest.raises(AnalysisFailed, match="unsupported document format"):
        ExpenseReader(client).results(JOB)


def test_partial_success_returns_what_was_read(
    textract: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture
) -> None:
    client, stubber = textract
    first, _ = multipage_pages()
    page = {
        **first,
        "JobStatus": "PARTIAL_SUCCESS",
        "NextToken": None,
        "StatusMessage": "Some pages could not be read",
        "Warnings": [{"ErrorCode": "UNSUPPORTED_DOCUMENT_FORMAT", "Pages": [2]}],
    }
    del page["NextToken"]
    stubber.add_response("get_expense_analysis", page, {"JobId": JOB, "MaxResults": 20})
    with caplog.at_level(logging.WARNING, logger="invoicing.adapters.textract"):
        pages = ExpenseReader(client).results(JOB)
    assert pages[0]["Warnings"] == [{"ErrorCode": "UNSUPPORTED_DOCUMENT_FORMAT", "Pages": [2]}]
    assert "read only part of the document" in caplog.text
    assert expense_to_invoice(pages, document_hash=HASH).invoice_number == "00000135"


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError"]
)
def test_busy_textract_is_retried_by_the_queue(textract: tuple[Any, Stubber], code: str) -> None:
    client, stubber = textract
    stubber.add_client_error("analyze_expense", service_error_code=code, service_message="Slow down")
    with pytest.raises(TextractBusy, match=code) as caught:
        ExpenseReader(client).analyze(BUCKET, KEY, VERSION)
    assert isinstance(caught.value.__cause__, ClientError)


def test_too_many_jobs_is_retried(textract: tuple[Any, Stubber]) -> None:
    client, stubber = textract
    stubber.add_client_error("start_expense_analysis", service_error_code="LimitExceededException")
    with pytest.raises(TextractBusy):
        ExpenseReader(client).start(
            BUCKET, KEY, VERSION, topic_arn=TOPIC, role_arn=ROLE, job_tag="inbox", request_token=HASH
        )


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("UnsupportedDocumentException", "does not support this document's format"),
        ("BadDocumentException", "cannot read this document"),
        ("DocumentTooLargeException", "too large"),
    ],
)
def test_documents_textract_refuses(textract: tuple[Any, Stubber], code: str, reason: str) -> None:
    client, stubber = textract
    stubber.add_client_error("analyze_expense", service_error_code=code, service_message="Request failed")
    with pytest.raises(DocumentRefused, match=reason) as caught:
        ExpenseReader(client).analyze(BUCKET, KEY, VERSION)
    assert caught.value.code == code
    assert "Request failed" in caught.value.reason


def test_other_errors_propagate(textract: tuple[Any, Stubber]) -> None:
    client, stubber = textract
    stubber.add_client_error("get_expense_analysis", service_error_code="AccessDeniedException")
    with pytest.raises(ClientError, match="AccessDenied"):
        ExpenseReader(client).results(JOB)


def test_the_default_client_is_the_projects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Made lazily, by ``invoicing.adapters.aws.client`` (one region, retry and timeout policy)."""
    assert textract_adapter.client is aws.client
    asked: list[str] = []
    made = object()

    def fake_client(service: str) -> object:
        asked.append(service)
        return made

    monkeypatch.setattr(textract_adapter, "client", fake_client)
    reader = ExpenseReader()
    assert asked == []
    assert reader._textract is made
    assert asked == ["textract"]


@pytest.mark.parametrize(
    ("content_type", "size", "pages", "expected"),
    [
        ("image/png", 2 * MB, None, False),
        ("image/jpeg", 10 * MB, 1, False),
        ("application/pdf", 1 * MB, 1, False),
        ("application/pdf; name=facture.pdf", 1 * MB, 1, False),
        ("APPLICATION/PDF", 1 * MB, 1, False),
        ("application/pdf", 1 * MB, 2, True),
        ("application/pdf", 1 * MB, None, True),  # pages unknown
        ("application/pdf", 11 * MB, 1, True),  # over the sync limit: async reads up to 500 MB
        ("application/pdf", 400 * MB, 3000, True),
        ("image/tiff", 3 * MB, 4, True),
    ],
)
def test_needs_async(content_type: str, size: int, pages: int | None, expected: bool) -> None:
    assert needs_async(content_type, size, pages) is expected


@pytest.mark.parametrize(
    ("content_type", "size", "pages", "says"),
    [
        ("image/png", 11 * MB, 1, "images of at most 10 MB"),
        ("application/pdf", 501 * MB, 10, "at most 500 MB"),
        ("application/pdf", 1 * MB, 3001, "at most 3000"),
        ("application/msword", 1 * MB, 1, "not application/msword"),
        ("", 1, 1, "not an unknown type"),
    ],
)
def test_documents_textract_cannot_take_at_all(content_type: str, size: int, pages: int, says: str) -> None:
    with pytest.raises(DocumentRefused, match=says):
        needs_async(content_type, size, pages)
