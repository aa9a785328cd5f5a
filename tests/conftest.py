"""Shared fixtures: the embedded local AWS (one moto server for the session), the deployed
stacks (one per parameter set for the session, reset before each test: every test starts from
the state of a freshly deployed stack), and the third-party fixtures in ../shared/fixtures.

A test that needs other business settings says so with a marker; it gets a stack of its own
from the pool, deployed once with those parameters::

    @pytest.mark.stack_parameters(VatRegime="franchise", BusinessVatId="")
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from invoicing.business import Business
from invoicing.settings import Resources
from invoicing_tools.local_aws.runtime import LocalRuntime
from invoicing_tools.local_aws.server import LocalAws, client, sent_emails
from invoicing_tools.local_aws.stack import PROJECT, LocalStack, StackPool
from tests import factories

FIXTURES = PROJECT.parent / "shared" / "fixtures"

#: The test business as stack parameters: the seller of ``tests.factories``.
TEST_BUSINESS: dict[str, str] = factories.stack_parameters()


def fixture_path(*parts: str) -> Path:
    """A file from ../shared/fixtures, or a clear skip when that folder is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"third-party fixture not available: {path} (the ../shared/fixtures folder is missing)")
    return path


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    aws = LocalAws()
    aws.start()
    aws.activate()
    yield aws
    aws.stop()


@pytest.fixture(scope="session")
def stack_pool(local_aws: LocalAws) -> StackPool:
    return StackPool()


@pytest.fixture
def stack(request: pytest.FixtureRequest, stack_pool: StackPool) -> LocalStack:
    """The stack of this test: deployed once per parameter set, emptied before each test."""
    marker = request.node.get_closest_marker("stack_parameters")
    overrides = dict(marker.kwargs) if marker else {}
    return stack_pool.acquire({**TEST_BUSINESS, **overrides})


@pytest.fixture
def runtime(local_aws: LocalAws, stack: LocalStack) -> Iterator[LocalRuntime]:
    """The stack's functions, cold: fresh handler modules for each test."""
    rt = LocalRuntime(local_aws, stack)
    yield rt
    rt.close()


@pytest.fixture
def resources(stack: LocalStack) -> Resources:
    return Resources.from_env(stack.functions["GenerateFunction"].environment)


@pytest.fixture
def business(stack: LocalStack) -> Business:
    return Business.from_env(stack.functions["GenerateFunction"].environment)


class Bucket:
    """The stack's documents bucket, as a user and a test look at it."""

    def __init__(self, stack: LocalStack) -> None:
        self.name = stack.resource("DocumentsBucket")
        self.s3 = client("s3")

    def put(self, key: str, data: bytes | str) -> None:
        body = data.encode("utf-8") if isinstance(data, str) else data
        self.s3.put_object(Bucket=self.name, Key=key, Body=body)

    def get(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.name, Key=key)["Body"].read()

    def keys(self, prefix: str = "") -> list[str]:
        paginator = self.s3.get_paginator("list_objects_v2")
        return sorted(
            item["Key"]
            for page in paginator.paginate(Bucket=self.name, Prefix=prefix)
            for item in page.get("Contents", [])
        )


@pytest.fixture
def bucket(stack: LocalStack) -> Bucket:
    return Bucket(stack)


class Inbox:
    """An SQS queue subscribed to a topic: what the operator would receive by email."""

    def __init__(self, topic_arn: str, name: str) -> None:
        self.sqs = client("sqs")
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)

    def messages(self) -> list[dict[str, Any]]:
        found = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


class Mailbox:
    """What the embedded SES accepted since this mailbox was opened, parsed as mail clients do."""

    def __init__(self) -> None:
        self.start = len(sent_emails())

    def messages(self) -> list[EmailMessage]:
        found = []
        for sent in sent_emails()[self.start :]:
            message = email.message_from_bytes(sent["raw"], policy=email.policy.default)
            message.ses_id = sent["message_id"]  # type: ignore[attr-defined]
            message.envelope_to = sent["destinations"]  # type: ignore[attr-defined]
            found.append(message)
        return found

    def about(self, invoice_id: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["X-Invoicing-Invoice-Id"] == invoice_id]


@pytest.fixture
def mailbox(stack: LocalStack) -> Mailbox:
    return Mailbox()


@pytest.fixture
def operator_inbox(stack: LocalStack) -> Inbox:
    return Inbox(stack.resource("AlertsTopic"), f"{stack.name}-operator")


def queue_messages(url: str) -> list[dict[str, Any]]:
    """Read (without deleting) what waits in a queue."""
    sqs = client("sqs")
    found: dict[str, dict[str, Any]] = {}
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
            "Messages", []
        ):
            found[message["MessageId"]] = message
    return list(found.values())


#: The integration tests' clients file (``tests.factories.CLIENTS``).
CLIENTS_CSV = factories.clients_csv()


def sales_csv(rows: list[str]) -> str:
    """A sales export with its usual columns; ``rows`` are lines written in that order."""
    return factories.sales_csv(*rows, columns=factories.SALES_BASIC_COLUMNS)


@pytest.fixture
def with_clients(runtime: LocalRuntime, bucket: Bucket) -> None:
    """The three test clients, imported through the generate function like a real drop."""
    bucket.put("incoming/clients/clients.csv", CLIENTS_CSV)
    runtime.run_until_idle()
    assert bucket.keys("processed/clients/") == ["processed/clients/clients.csv"]
