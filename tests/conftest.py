"""Shared fixtures: the embedded local AWS (one moto server for the session), a fresh stack
per test created from template.yaml, and the third-party fixtures in ../shared/fixtures."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from invoicing.business import Business
from invoicing.settings import Resources
from invoicing_tools.local_aws.runtime import LocalRuntime
from invoicing_tools.local_aws.server import REGION, LocalAws
from invoicing_tools.local_aws.stack import PROJECT, LocalStack

FIXTURES = PROJECT.parent / "shared" / "fixtures"

#: A test business: SIRET, VAT id and IBAN pass their checksums.
TEST_BUSINESS: dict[str, str] = {
    "BusinessLegalName": "Atelier Durand & Fils",
    "BusinessLegalForm": "SARL",
    "BusinessShareCapital": "8000",
    "BusinessSiret": "73282932000074",
    "BusinessRcsCity": "Lyon",
    "BusinessVatId": "FR44732829320",
    "BusinessStreet": "12 rue des Tanneurs",
    "BusinessPostcode": "69001",
    "BusinessCity": "Lyon",
    "BusinessEmail": "factures@atelier-durand.example",
    "BusinessIban": "FR7630006000011234567890189",
    "BusinessBic": "AGRIFRPPXXX",
}

_names = itertools.count(1)


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


@pytest.fixture
def stack(local_aws: LocalAws) -> LocalStack:
    """A new stack (its own bucket, tables and queues) for each test."""
    return LocalStack(f"t{next(_names)}-stack", TEST_BUSINESS).deploy()


@pytest.fixture
def runtime(local_aws: LocalAws, stack: LocalStack) -> Iterator[LocalRuntime]:
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
        self.s3 = boto3.client("s3", region_name=REGION)

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
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        boto3.client("sns", region_name=REGION).subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)

    def messages(self) -> list[dict[str, Any]]:
        found = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def operator_inbox(stack: LocalStack) -> Inbox:
    return Inbox(stack.resource("AlertsTopic"), f"{stack.name}-operator")


def queue_messages(url: str) -> list[dict[str, Any]]:
    """Read (without deleting) what waits in a queue."""
    sqs = boto3.client("sqs", region_name=REGION)
    found: dict[str, dict[str, Any]] = {}
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
            "Messages", []
        ):
            found[message["MessageId"]] = message
    return list(found.values())


CLIENTS_CSV = (
    "reference;nom;adresse;code_postal;ville;pays;siren;tva;email;langue;conditions_paiement\n"
    "C001;Boulangerie Lefèvre SAS;4 rue de la République;69001;Lyon;FR;552100554;FR96552100554;"
    "compta@lefevre.example;fr;30 jours\n"
    "C002;Brasserie de l'Ourthe SA;Rue de l'Académie 52;4000;Liège;BE;;BE0456712325;"
    "accounts@ourthe.example;en;45 jours fin de mois\n"
    "C003;Mme Hélène Garnier;3 chemin des Frênes;74000;Annecy;FR;;;helene@courriel.example;fr;\n"
)


def sales_csv(rows: list[str]) -> str:
    header = (
        "client;date;description;quantite;unite;prix_unitaire_ht;tva;reference_commande;remise;exoneration\n"
    )
    return header + "".join(row + "\n" for row in rows)


@pytest.fixture
def with_clients(runtime: LocalRuntime, bucket: Bucket) -> None:
    """The three test clients, imported through the generate function like a real drop."""
    bucket.put("incoming/clients/clients.csv", CLIENTS_CSV)
    runtime.run_until_idle()
    assert bucket.keys("processed/clients/") == ["processed/clients/clients.csv"]


def stripe_event(event_type: str, object_fixture: str) -> str:
    """A webhook body in Stripe's real shapes: the `event` envelope from Stripe's OpenAPI
    fixtures carrying a recorded object (pay-rails) as data.object."""
    envelope = json.loads(fixture_path("stripe", "openapi", "fixtures3.json").read_text())["resources"][
        "event"
    ]
    recorded = json.loads(fixture_path("stripe", "pay", object_fixture).read_text())
    event = {**envelope, "type": event_type, "data": {"object": recorded["object"]}}
    return json.dumps(event)
