"""The documents bucket: private, encrypted, versioned, kept as long as the law says, and feeding
the queues through notifications only this stack's bucket may send."""

from __future__ import annotations

import pytest
from template_helpers import (
    LEGAL_RETENTION_DAYS,
    as_list,
    props,
    refs,
    resources,
    sub_text,
)


def test_documents_bucket_is_private_encrypted_versioned_and_retained(template):
    bucket = template["Resources"]["DocumentsBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    p = bucket["Properties"]
    block = p["PublicAccessBlockConfiguration"]
    for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
        assert block[flag] is True, flag
    (rule,) = p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert rule["BucketKeyEnabled"] is True
    assert p["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert p["VersioningConfiguration"]["Status"] == "Enabled"
    assert "AccessControl" not in p
    assert sub_text(p["BucketName"]) == "${AWS::StackName}-documents-${AWS::AccountId}"


def test_documents_bucket_policy_refuses_plain_http(template):
    policy = resources(template, "AWS::S3::BucketPolicy")["DocumentsBucketPolicy"]
    assert refs(policy["Properties"]["Bucket"], "DocumentsBucket")
    denies = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny"
        and s["Principal"] in ("*", {"AWS": "*"})
        and "s3:*" in as_list(s["Action"])
        and str(s["Condition"]["Bool"]["aws:SecureTransport"]).lower() == "false"
    ]
    assert denies, "no statement denies requests without TLS"
    targets = as_list(denies[0]["Resource"])
    assert any(refs(t, "DocumentsBucket") and sub_text(t) is None for t in targets), "the bucket itself"
    assert any(sub_text(t) == "${DocumentsBucket.Arn}/*" for t in targets), "every object"


def test_documents_bucket_policy_lets_only_ses_of_this_account_write_only_the_inbox(template):
    policy = resources(template, "AWS::S3::BucketPolicy")["DocumentsBucketPolicy"]
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
    assert as_list(allow["Action"]) == ["s3:PutObject"]
    assert sub_text(allow["Resource"]) == "${DocumentsBucket.Arn}/inbox/*"
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def _lifecycle_rules(template: dict) -> list[dict]:
    rules = props(template, "DocumentsBucket")["LifecycleConfiguration"]["Rules"]
    assert all(rule["Status"] == "Enabled" for rule in rules)
    return rules


def _rule_prefix(rule: dict) -> str:
    if "Prefix" in rule:
        return rule["Prefix"]
    return rule.get("Filter", {}).get("Prefix", "")


def test_invoices_are_kept_ten_years_from_the_end_of_the_fiscal_year(template):
    rules = _lifecycle_rules(template)
    (invoices,) = [rule for rule in rules if _rule_prefix(rule) == "invoices/"]
    assert invoices["ExpirationInDays"] >= LEGAL_RETENTION_DAYS
    assert invoices["NoncurrentVersionExpiration"]["NoncurrentDays"] >= LEGAL_RETENTION_DAYS
    transitions = {t["StorageClass"]: t["TransitionInDays"] for t in invoices["Transitions"]}
    assert transitions == {"STANDARD_IA": 90, "GLACIER_IR": 365}
    # No other rule may expire anything under invoices/ earlier (a rule with a shorter prefix,
    # or none, applies to invoices/ too).
    for rule in rules:
        if rule is invoices or not "invoices/".startswith(_rule_prefix(rule)):
            continue
        assert rule.get("ExpirationInDays", LEGAL_RETENTION_DAYS) >= LEGAL_RETENTION_DAYS, rule["Id"]
        assert "ExpirationDate" not in rule, rule["Id"]
        noncurrent = rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays", LEGAL_RETENTION_DAYS)
        assert noncurrent >= LEGAL_RETENTION_DAYS, rule["Id"]


def test_working_files_old_versions_expire_and_uploads_are_cleaned(template):
    rules = _lifecycle_rules(template)
    for prefix in ("incoming/", "processed/", "rejected/", "reports/"):
        matching = [r for r in rules if _rule_prefix(r) == prefix]
        assert matching, f"no lifecycle rule for {prefix}"
        assert matching[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
        assert "ExpirationInDays" not in matching[0], f"current versions under {prefix} are kept"
    aborts = [r for r in rules if "AbortIncompleteMultipartUpload" in r and _rule_prefix(r) == ""]
    assert aborts
    assert aborts[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7


def test_bucket_notifications_feed_the_queues_and_wait_for_their_policies(template):
    bucket = template["Resources"]["DocumentsBucket"]
    routes = {
        c["Filter"]["S3Key"]["Rules"][0]["Value"]: c
        for c in bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    }
    assert set(routes) == {"incoming/", "inbox/", "config/", "bank/"}
    for prefix, queue in (
        ("incoming/", "GenerateQueue"),
        ("config/", "GenerateQueue"),
        ("bank/", "GenerateQueue"),
        ("inbox/", "OcrQueue"),
    ):
        assert routes[prefix]["Event"] == "s3:ObjectCreated:*"
        assert routes[prefix]["Filter"]["S3Key"]["Rules"][0]["Name"] == "prefix"
        assert refs(routes[prefix]["Queue"], queue)
    assert set(as_list(bucket["DependsOn"])) >= {"GenerateQueuePolicy", "OcrQueuePolicy"}


@pytest.mark.parametrize("queue", ["GenerateQueue", "OcrQueue"])
def test_queue_policy_admits_only_this_stacks_bucket(template, queue):
    policy = props(template, f"{queue}Policy")
    assert [q for q in policy["Queues"] if refs(q, queue)]
    from_s3 = [
        s for s in policy["PolicyDocument"]["Statement"] if s["Principal"] == {"Service": "s3.amazonaws.com"}
    ]
    others = [s for s in policy["PolicyDocument"]["Statement"] if s not in from_s3]
    # The ocr queue also takes Textract's completion notices, from this stack's topic only.
    assert [(s["Principal"], s["Condition"]) for s in others] == (
        [({"Service": "sns.amazonaws.com"}, {"ArnEquals": {"aws:SourceArn": {"Ref": "TextractTopic"}}})]
        if queue == "OcrQueue"
        else []
    )
    (statement,) = from_s3
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sqs:SendMessage"]
    assert refs(statement["Resource"], queue)
    condition = statement["Condition"]
    source_arn = (condition.get("ArnEquals") or condition.get("ArnLike"))["aws:SourceArn"]
    bucket_name = sub_text(props(template, "DocumentsBucket")["BucketName"])
    assert sub_text(source_arn) == "arn:${AWS::Partition}:s3:::" + bucket_name
    assert condition["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_the_invoice_archive_has_access_logs_in_a_private_bucket(template):
    logging = props(template, "DocumentsBucket")["LoggingConfiguration"]
    assert refs(logging["DestinationBucketName"], "AccessLogsBucket")
    assert logging["LogFilePrefix"] == "documents/"
    logs = props(template, "AccessLogsBucket")
    assert all(logs["PublicAccessBlockConfiguration"].values())
    (rule,) = logs["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"  # what log delivery accepts
    assert sub_text(logs["BucketName"]) == "${AWS::StackName}-logs-${AWS::AccountId}"
    policy = resources(template, "AWS::S3::BucketPolicy")["AccessLogsBucketPolicy"]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in s["Condition"]["Bool"] for s in statements)
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert sub_text(allow["Resource"]) == "${AccessLogsBucket.Arn}/documents/*"
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_issued_documents_can_be_locked_for_their_retention(template):
    bucket = props(template, "DocumentsBucket")
    assert bucket["ObjectLockEnabled"] == {"Fn::If": ["LockInvoices", True, {"Ref": "AWS::NoValue"}]}
    condition, config, otherwise = bucket["ObjectLockConfiguration"]["Fn::If"]
    # Enabled without a default rule: only invoices/ is locked, object by object; a default
    # retention would lock incoming/ and the working folders too.
    assert (condition, config, otherwise) == (
        "LockInvoices",
        {"ObjectLockEnabled": "Enabled"},
        {"Ref": "AWS::NoValue"},
    )
    assert template["Conditions"]["LockInvoices"] == {"Fn::Equals": [{"Ref": "InvoiceObjectLock"}, "Enabled"]}
    assert template["Parameters"]["InvoiceObjectLock"]["Default"] == "Enabled"
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["INVOICE_OBJECT_LOCK"] == {"Ref": "InvoiceObjectLock"}
    # The access-log bucket cannot have Object Lock (S3 refuses it as a log destination).
    assert "ObjectLockEnabled" not in props(template, "AccessLogsBucket")
