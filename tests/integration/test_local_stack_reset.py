"""The shared stacks: a stack reset after heavy use is indistinguishable from a freshly
deployed one, so that reusing stacks across tests keeps every test's starting state."""

from __future__ import annotations

import json

import boto3
import pytest

from invoicing_tools.local_aws.server import REGION
from invoicing_tools.local_aws.stack import LocalStack, StackPool
from tests.conftest import TEST_BUSINESS


def dirty(stack: LocalStack) -> None:
    """Leave something everywhere a test can: every table, object versions and a delete marker,
    an unfinished upload, messages in every queue (one in flight), a changed queue attribute, a
    subscription with its queue, an SSM parameter."""
    s3, ddb, sqs, sns, ssm = (
        boto3.client(s, region_name=REGION) for s in ("s3", "dynamodb", "sqs", "sns", "ssm")
    )
    for logical_id, resource in stack.template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        table = ddb.describe_table(TableName=stack.resource(logical_id))["Table"]
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        for n in range(30):  # more than one batch of deletes
            item = {name: {types[name]: str(n)} for name in types}
            ddb.put_item(TableName=stack.resource(logical_id), Item=item)
    bucket = stack.resource("DocumentsBucket")
    for body in (b"v1", b"v2"):
        s3.put_object(Bucket=bucket, Key="invoices/2026/FA2026-00001.pdf", Body=body)
        s3.put_object(Bucket=bucket, Key="incoming/ventes.csv", Body=body)
    s3.delete_object(Bucket=bucket, Key="invoices/2026/FA2026-00001.pdf")
    s3.create_multipart_upload(Bucket=bucket, Key="reports/big.csv")
    queues = [k for k, r in stack.template["Resources"].items() if r["Type"] == "AWS::SQS::Queue"]
    for logical_id in queues:
        sqs.send_message(QueueUrl=stack.resource(logical_id), MessageBody=json.dumps({"left": "over"}))
        sqs.send_message(QueueUrl=stack.resource(logical_id), MessageBody="delayed", DelaySeconds=600)
    sqs.receive_message(QueueUrl=stack.resource("SendQueue"), VisibilityTimeout=600)
    sqs.set_queue_attributes(QueueUrl=stack.resource("SendQueue"), Attributes={"VisibilityTimeout": "7"})
    inbox = sqs.create_queue(QueueName=f"{stack.name}-operator")["QueueUrl"]
    sns.subscribe(
        TopicArn=stack.resource("AlertsTopic"),
        Protocol="sqs",
        Endpoint=sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ],
    )
    ssm.put_parameter(Name=f"/{stack.name}/stripe/webhook-secret", Value="whsec_x", Type="SecureString")


@pytest.fixture(scope="module")
def fresh(local_aws) -> dict:
    """What a stack looks like right after deploy()."""
    return LocalStack("reset-fresh-stack", TEST_BUSINESS).deploy().state()


def test_a_reset_stack_equals_a_freshly_deployed_one(local_aws, fresh):
    stack = LocalStack("reset-used-stack", TEST_BUSINESS).deploy()
    dirty(stack)
    used = stack.state()
    assert used != fresh  # dirty() reached everything state() looks at
    for part in ("tables", "buckets", "queues", "subscriptions", "stack_named_queues", "parameters"):
        assert used[part] != fresh[part], part
    assert stack.reset().state() == fresh


def test_a_fresh_stack_is_empty_but_for_the_s3_test_events(fresh):
    assert all(table["items"] == 0 for table in fresh["tables"].values())
    assert fresh["buckets"]["DocumentsBucket"]["versions"] == []
    waiting = {k: q["kinds"] for k, q in fresh["queues"].items() if q["kinds"]}
    assert waiting == {"GenerateQueue": ["s3:TestEvent"], "OcrQueue": ["s3:TestEvent"]}
    assert fresh["subscriptions"] == []
    # The one parameter a stack starts with: the keys signing payment links and reply addresses
    # (the operator creates it in AWS; the local stack makes it).
    assert fresh["parameters"] == ["/<stack>/tokens/keys"]


def test_the_pool_deploys_once_per_parameter_set_and_resets_on_reuse(local_aws):
    pool = StackPool(prefix="reuse")
    first = pool.acquire(TEST_BUSINESS)
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=first.resource("DocumentsBucket"), Key="incoming/x.csv", Body=b"x"
    )
    again = pool.acquire(dict(TEST_BUSINESS))
    assert again is first
    assert again.state()["buckets"]["DocumentsBucket"]["versions"] == []
    other = pool.acquire({**TEST_BUSINESS, "DefaultPaymentTerms": "45"})
    assert other is not first
    assert other.functions["GenerateFunction"].environment != first.functions["GenerateFunction"].environment
    assert (pool.deployed, pool.reused) == (2, 1)


def test_the_pool_refuses_a_stack_whose_description_a_test_changed(local_aws):
    pool = StackPool(prefix="changed")
    stack = pool.acquire(TEST_BUSINESS)
    stack.functions["GenerateFunction"].environment["INVOICES_TABLE"] = "elsewhere"
    with pytest.raises(RuntimeError, match="changed the stack"):
        pool.acquire(TEST_BUSINESS)


@pytest.mark.stack_parameters(InvoiceNumberPattern="F{year}-{seq:04d}")
def test_a_marked_test_gets_a_stack_with_its_parameters(stack, business):
    assert stack.values["InvoiceNumberPattern"] == "F{year}-{seq:04d}"
    assert business.seller.siret == TEST_BUSINESS["BusinessSiret"]
