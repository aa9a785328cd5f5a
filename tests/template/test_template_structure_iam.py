"""IAM: least privilege on named resources of this stack, for each function."""

from __future__ import annotations

import re

import pytest
from template_helpers import (
    FUNCTIONS,
    WILDCARD_RESOURCE_ALLOWED,
    as_list,
    grants,
    props,
    refs,
    resources,
    s3_prefix,
    statements,
    sub_text,
)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_no_wildcard_actions_or_resources(template, function):
    for statement in statements(template, function):
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{function}: wildcard action {action}"
        if "*" in as_list(statement["Resource"]):
            for action in as_list(statement["Action"]):
                assert (function, action) in WILDCARD_RESOURCE_ALLOWED, (
                    f"{function}: {action} on Resource '*' is not in the justified allow-list"
                )


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_resources_are_named_resources_of_this_stack(template, function):
    tables = set(resources(template, "AWS::DynamoDB::Table"))
    for action, resource in grants(template, function):
        service = action.split(":")[0]
        if resource == "*":
            continue  # checked against the allow-list above
        if service == "s3" and resource == {"Fn::GetAtt": ["DocumentsBucket", "Arn"]}:
            # On the bucket itself, only listing: S3 then tells a missing key (404) from a forbidden
            # one; and listing the versions of incoming/, to find the version an event names.
            assert action in ("s3:ListBucket", "s3:ListBucketVersions"), f"{function}: {action} on the bucket"
        elif service == "s3":
            prefix = s3_prefix(resource)
            assert prefix, f"{function}: {action} on {resource}: name a key prefix"
            assert re.fullmatch(r"[a-z]+/([a-z]+/)?", prefix), (
                f"{function}: {action} on a whole bucket or odd prefix"
            )
        elif service == "dynamodb":
            (table,) = [t for t in tables if refs(resource, t)]
            text = sub_text(resource)
            if text is not None:
                index = re.fullmatch(r"\$\{" + table + r"\.Arn\}/index/([a-z-]+)", text)
                assert index, f"{function}: {text} must be one named index"
                names = [i["IndexName"] for i in props(template, table).get("GlobalSecondaryIndexes", [])]
                assert index.group(1) in names, f"{function}: {table} has no index {index.group(1)}"
            else:
                assert resource == {"Fn::GetAtt": [table, "Arn"]}
        elif service == "ses":
            assert (
                sub_text(resource) == "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
            )
        elif service in ("sqs", "sns", "kms"):
            assert isinstance(resource, dict), resource
            assert "Ref" in resource or "Fn::GetAtt" in resource, resource
            (target,) = [r for r in template["Resources"] if refs(resource, r)]
            assert target


def test_issued_invoices_and_numbers_can_never_be_deleted(template):
    for function in FUNCTIONS:
        for action, resource in grants(template, function):
            if refs(resource, "InvoicesTable") or refs(resource, "SequencesTable"):
                assert action not in ("dynamodb:DeleteItem", "dynamodb:BatchWriteItem"), (function, action)
            if action == "s3:DeleteObject":
                # Working files only: an upload to import (sales, clients, bank statements), or a
                # configuration file refused on upload.
                # And a mail SES flagged (spam, virus), moved to quarantine/ by ocr.
                assert s3_prefix(resource) in ("incoming/", "bank/", "config/", "inbox/mail/"), (
                    f"{function} may delete {resource}"
                )


def test_the_daily_run_queries_its_index_and_never_scans(template):
    pairs = grants(template, "RemindFunction")
    assert not [a for a, _ in pairs if a == "dynamodb:Scan"]
    queries = [r for a, r in pairs if a == "dynamodb:Query" and refs(r, "InvoicesTable")]
    assert queries == [{"Fn::Sub": "${InvoicesTable.Arn}/index/by-next-action"}]


def test_the_webhook_writes_only_online_sales_and_reads_only_its_secrets(template):
    pairs = grants(template, "StripeWebhookFunction")
    services = {action.split(":")[0] for action, _ in pairs}
    assert services == {"dynamodb", "ssm", "s3", "sns", "kms"}
    ssm = [r for a, r in pairs if a.startswith("ssm:")]
    assert [sub_text(r) for r in ssm] == [
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/stripe/*",
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/tokens/keys",
    ]
    assert {a for a, _ in pairs if a.startswith("ssm:")} == {"ssm:GetParameter"}
    # The ledger and the idempotency records are written; invoices are only updated, never put.
    assert {a for a, r in pairs if refs(r, "InvoicesTable")} == {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
    }


BUCKET = "(the bucket itself)"


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (
            "GenerateFunction",
            {
                "incoming/": {
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                },
                "incoming/sheets/": {"s3:PutObject"},  # the pulled Google Sheet's snapshots
                # bank statements: read, then moved to processed/ or rejected/
                "bank/": {
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                },
                "invoices/": {"s3:PutObject", "s3:GetObject", "s3:PutObjectRetention"},
                "reports/": {"s3:PutObject"},
                "rejected/": {"s3:PutObject", "s3:GetObject"},
                "processed/": {"s3:PutObject", "s3:GetObject"},
                # the business's policy, logo and templates, checked on upload (refused: moved)
                "config/": {
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                },
                BUCKET: {"s3:ListBucket", "s3:ListBucketVersions"},
            },
        ),
        (
            "SendFunction",
            {"invoices/": {"s3:GetObject"}, "config/": {"s3:GetObject"}, BUCKET: {"s3:ListBucket"}},
        ),
        (
            "RemindFunction",
            {
                "invoices/": {"s3:GetObject"},
                "config/": {"s3:GetObject"},
                "notices/": {"s3:PutObject"},  # the formal notices it makes
                BUCKET: {"s3:ListBucket"},
            },
        ),
        (
            "OcrFunction",
            {
                "inbox/": {"s3:GetObject", "s3:GetObjectVersion"},  # by the version the event names
                # a mail SES flags is moved (that version) to quarantine/
                "inbox/mail/": {"s3:DeleteObject", "s3:DeleteObjectVersion"},
                "quarantine/": {"s3:PutObject"},
                "supplier/": {"s3:PutObject", "s3:GetObject"},
                "reports/": {"s3:PutObject"},
                "reports/supplier/": {"s3:GetObject"},  # a redelivered event finds its report
                "exports/": {"s3:PutObject"},  # the monthly accounting export
                "config/": {"s3:GetObject"},  # templates of the forwarded replies, supplier accounts
                BUCKET: {"s3:ListBucket"},
            },
        ),
        ("StripeWebhookFunction", {"incoming/stripe/": {"s3:PutObject"}}),
    ],
)
def test_document_access_per_function(template, function, expected):
    found: dict[str, set[str]] = {}
    for action, resource in grants(template, function):
        if action.startswith("s3:"):
            where = BUCKET if resource == {"Fn::GetAtt": ["DocumentsBucket", "Arn"]} else s3_prefix(resource)
            found.setdefault(where, set()).add(action)
    assert found == expected


@pytest.mark.parametrize("function", ["SendFunction", "RemindFunction", "OcrFunction"])
def test_email_only_from_the_business_address(template, function):
    ses = [
        s for s in statements(template, function) if any(a.startswith("ses:") for a in as_list(s["Action"]))
    ]
    assert ses
    for statement in ses:
        assert statement["Condition"]["StringEquals"]["ses:FromAddress"] == {"Ref": "BusinessEmail"}
    others = [f for f in FUNCTIONS if f not in ("SendFunction", "RemindFunction", "OcrFunction")]
    for other in others:
        assert not [a for a, _ in grants(template, other) if a.startswith("ses:")], other


def test_listing_versions_is_limited_to_the_drop_folders(template):
    (statement,) = [
        s for s in statements(template, "GenerateFunction") if "s3:ListBucketVersions" in as_list(s["Action"])
    ]
    assert statement["Condition"] == {"StringLike": {"s3:prefix": ["incoming/*", "bank/*"]}}


def test_grants_nothing_uses_are_gone(template):
    """The idempotency table is the webhook's alone (each Stripe event applied once); generate
    reads clients and products by scan and writes them in batches, nothing else."""
    for function in FUNCTIONS:
        users = [r for _, r in grants(template, function) if refs(r, "IdempotencyTable")]
        assert bool(users) == (function == "StripeWebhookFunction"), function
    clients = {a for a, r in grants(template, "GenerateFunction") if refs(r, "ClientsTable")}
    assert clients == {"dynamodb:BatchWriteItem", "dynamodb:Scan"}
    # The price list likewise, and only generate touches it (it alone reads sales files).
    for function in FUNCTIONS:
        products = {a for a, r in grants(template, function) if refs(r, "ProductsTable")}
        expected = {"dynamodb:BatchWriteItem", "dynamodb:Scan"} if function == "GenerateFunction" else set()
        assert products == expected, function
