"""What template.yaml promises, read as data: storage private and kept as long as the law says,
nothing asynchronous dropped silently, every function on the same runtime with its logs kept,
least-privilege policies, the tables shaped for their queries, and no secret anywhere."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = {
    # logical id: (code directory, short service name, timeout in seconds)
    "GenerateFunction": ("generate", "generate", 300),
    "SendFunction": ("send", "send", 60),
    "RemindFunction": ("remind", "remind", 120),
    "OcrFunction": ("ocr", "ocr", 120),
    "StripeWebhookFunction": ("stripe_webhook", "stripe_webhook", 15),
}

#: queue -> (consumer, batch size)
CONSUMED_QUEUES = {
    "GenerateQueue": ("GenerateFunction", 5),
    "OcrQueue": ("OcrFunction", 5),
    "SendQueue": ("SendFunction", 10),
}

TABLE_ENV = {
    "INVOICES_TABLE": "InvoicesTable",
    "SEQUENCES_TABLE": "SequencesTable",
    "CLIENTS_TABLE": "ClientsTable",
    "DUNNING_TABLE": "DunningTable",
    "PAYMENTS_TABLE": "PaymentsTable",
    "SUPPLIER_INVOICES_TABLE": "SupplierInvoicesTable",
    "IDEMPOTENCY_TABLE": "IdempotencyTable",
    "DOCUMENTS_BUCKET": "DocumentsBucket",
    "SEND_QUEUE_URL": "SendQueue",
    "ALERTS_TOPIC_ARN": "AlertsTopic",
}

PARAMETER_ENV = {
    "SELLER_LEGAL_NAME": "BusinessLegalName",
    "SELLER_LEGAL_FORM": "BusinessLegalForm",
    "SELLER_SHARE_CAPITAL": "BusinessShareCapital",
    "SELLER_SIRET": "BusinessSiret",
    "SELLER_RCS_CITY": "BusinessRcsCity",
    "SELLER_VAT_ID": "BusinessVatId",
    "SELLER_STREET": "BusinessStreet",
    "SELLER_POSTCODE": "BusinessPostcode",
    "SELLER_CITY": "BusinessCity",
    "SELLER_COUNTRY": "BusinessCountry",
    "SELLER_IBAN": "BusinessIban",
    "SELLER_BIC": "BusinessBic",
    "SELLER_EMAIL": "BusinessEmail",
    "SELLER_PHONE": "BusinessPhone",
    "VAT_REGIME": "VatRegime",
    "VAT_ON_DEBITS": "VatOnDebits",
    "OPERATION_CATEGORY": "OperationCategory",
    "LATE_PENALTY": "LatePenalty",
    "INVOICE_NUMBER_PATTERN": "InvoiceNumberPattern",
    "CREDIT_NOTE_NUMBER_PATTERN": "CreditNoteNumberPattern",
    "NUMBERING_YEARLY_RESET": "NumberingYearlyReset",
    "DEFAULT_PAYMENT_TERMS": "DefaultPaymentTerms",
    "DEFAULT_LOCALE": "DefaultLocale",
    "POWERTOOLS_LOG_LEVEL": "LogLevel",
}

#: Parameters that say who the business is: each deployment must give them, so no default.
IDENTITY_PARAMETERS = {
    "BusinessLegalName",
    "BusinessLegalForm",
    "BusinessSiret",
    "BusinessStreet",
    "BusinessPostcode",
    "BusinessCity",
    "BusinessEmail",
}

#: Statements allowed to use "Resource": "*", with the reason. Keep it short.
WILDCARD_RESOURCE_ALLOWED = {
    ("OcrFunction", "textract:AnalyzeExpense"): "Textract has no resource types: IAM accepts only '*'",
}

#: Ten years from the end of the fiscal year an invoice belongs to: up to eleven years from issue.
LEGAL_RETENTION_DAYS = 4018

SECRET_PATTERNS = re.compile(
    r"(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]+"  # Stripe API keys
    r"|whsec_[0-9A-Za-z]+"  # Stripe webhook signing secrets
    r"|\bA(?:KIA|SIA)[0-9A-Z]{16}\b"  # AWS access key ids
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|xox[abprs]-[0-9A-Za-z-]+"  # Slack tokens
    r"|\bSG\.[0-9A-Za-z_-]{20,}\.[0-9A-Za-z_-]{20,}"  # SendGrid keys
)


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resources(template: dict, type_: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_}


def props(template: dict, logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id].get("Properties", {})


def merged(base: Any, override: Any) -> Any:
    """SAM's Globals merge: maps merge key by key, anything else is replaced by the resource's."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = merged(base[key], value) if key in base else value
        return out
    return override


def function_props(template: dict, logical_id: str) -> dict[str, Any]:
    globals_ = template.get("Globals", {}).get("Function", {})
    return merged(globals_, props(template, logical_id))


def refs(value: Any, logical_id: str) -> bool:
    """Whether a property value points at ``logical_id`` (Ref, GetAtt or inside a Sub)."""
    if isinstance(value, dict):
        if value.get("Ref") == logical_id:
            return True
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return (target[0] if isinstance(target, list) else target.split(".")[0]) == logical_id
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            return re.search(r"\$\{" + re.escape(logical_id) + r"(\.[A-Za-z]+)?\}", text) is not None
    return False


def sub_text(value: Any) -> str | None:
    if isinstance(value, dict) and "Fn::Sub" in value:
        return value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
    return None


def statements(template: dict, logical_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in as_list(props(template, logical_id).get("Policies", [])):
        message = f"{logical_id}: policies must be inline statements on named resources, not {policy!r}"
        assert isinstance(policy, dict), message
        assert "Statement" in policy, message
        found.extend(as_list(policy["Statement"]))
    return found


def grants(template: dict, logical_id: str) -> list[tuple[str, Any]]:
    """Every (action, resource) pair an Allow statement of the function's policies grants."""
    pairs = []
    for statement in statements(template, logical_id):
        if statement.get("Effect") != "Allow":
            continue
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                pairs.append((action, resource))
    return pairs


def s3_prefix(resource: Any) -> str | None:
    """The key prefix of an object ARN ``${DocumentsBucket.Arn}/<prefix>/*``, else None."""
    text = sub_text(resource)
    if text is None:
        return None
    match = re.fullmatch(r"\$\{DocumentsBucket\.Arn\}/(.*)\*", text)
    return match.group(1) if match else None


def alarms_on(template: dict, namespace: str, metric: str, dimension: str, logical_id: str) -> list[dict]:
    found = []
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        p = alarm["Properties"]
        if p.get("Namespace") != namespace or p.get("MetricName") != metric:
            continue
        if any(d["Name"] == dimension and refs(d["Value"], logical_id) for d in p.get("Dimensions", [])):
            found.append(p)
    return found


def assert_alarm_fires_on_first(alarm: dict) -> None:
    assert alarm["Threshold"] <= 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Period"] * alarm["EvaluationPeriods"] <= 300
    assert alarm["TreatMissingData"] == "notBreaching"
    assert any(refs(action, "AlertsTopic") for action in alarm["AlarmActions"])


def parameter_overrides(section: dict) -> dict[str, str]:
    """Parse samconfig ``parameter_overrides`` written as a list of ``Key=Value`` strings."""
    parsed = {}
    for item in section["parameter_overrides"]:
        match = re.fullmatch(r'([A-Za-z0-9]+)=(?:"(.*)"|([^\s"]*))', item)
        assert match, f'unreadable parameter override {item!r}: use Key=Value or Key="value with spaces"'
        parsed[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
    return parsed


def samconfig_environments() -> dict[str, dict]:
    with open(ROOT / "samconfig.toml", "rb") as handle:
        config = tomllib.load(handle)
    return {
        env: sections["deploy"]["parameters"]
        for env, sections in config.items()
        if isinstance(sections, dict) and env != "default" and "deploy" in sections
    }


# --------------------------------------------------------------------------------------------------
# Template basics and parameters
# --------------------------------------------------------------------------------------------------


def test_is_a_sam_template_with_a_description(template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Description"].strip()


def test_identity_parameters_have_no_default_and_others_do(template):
    parameters = template["Parameters"]
    for name in IDENTITY_PARAMETERS:
        assert "Default" not in parameters[name], f"{name} identifies the business: it must be given"
    for name, spec in parameters.items():
        assert spec.get("Description", "").strip(), f"{name} needs a Description"
        if name not in IDENTITY_PARAMETERS:
            assert "Default" in spec, f"{name} should have a sensible default"


def test_parameter_defaults_satisfy_their_own_constraints(template):
    for name, spec in template["Parameters"].items():
        if "Default" not in spec:
            continue
        default = str(spec["Default"])
        if "AllowedValues" in spec:
            assert default in [str(v) for v in spec["AllowedValues"]], name
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], default), f"{name} default {default!r}"


@pytest.mark.parametrize(
    ("parameter", "good", "bad"),
    [
        ("BusinessSiret", ["85212345400013"], ["852123454", "8521234540001A", "852 123 454 00013"]),
        ("BusinessVatId", ["", "FR73852123454"], ["FR7385212345", "DE123456789", "fr73852123454"]),
        ("BusinessBic", ["", "AGRIFRPPXXX", "AGRIFRPP"], ["AGRI", "agrifrppxxx"]),
        ("BusinessEmail", ["factures@horizon-conseil.fr"], ["", "factures", "a@b"]),
        ("OperatorEmail", ["", "ops@agence.fr"], ["ops"]),
        ("LatePenalty", ["ecb+10", "legal-x3", "12", "12,5", "12.5 %"], ["ecb", "douze"]),
        ("InvoiceNumberPattern", ["FA{year}-{seq:05d}", "F{yy}/{seq}"], ["FA{year}", "FA {seq}"]),
        ("BusinessShareCapital", ["", "10000", "7 500,00"], ["dix mille"]),
    ],
)
def test_parameter_patterns(template, parameter, good, bad):
    pattern = template["Parameters"][parameter]["AllowedPattern"]
    for value in good:
        assert re.fullmatch(pattern, value), f"{parameter} should accept {value!r}"
    for value in bad:
        assert not re.fullmatch(pattern, value), f"{parameter} should refuse {value!r}"


def test_every_parameter_is_grouped_for_the_console_and_used(template):
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"]), "each parameter in exactly one group"
    text = json.dumps(template["Resources"]) + json.dumps(template["Globals"])
    for name in template["Parameters"]:
        assert f'{{"Ref": "{name}"}}' in text, f"parameter {name} is never used"


# --------------------------------------------------------------------------------------------------
# Documents bucket
# --------------------------------------------------------------------------------------------------


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
    (policy,) = resources(template, "AWS::S3::BucketPolicy").values()
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
    (policy,) = resources(template, "AWS::S3::BucketPolicy").values()
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
    assert set(routes) == {"incoming/", "inbox/"}
    for prefix, queue in (("incoming/", "GenerateQueue"), ("inbox/", "OcrQueue")):
        assert routes[prefix]["Event"] == "s3:ObjectCreated:*"
        assert routes[prefix]["Filter"]["S3Key"]["Rules"][0]["Name"] == "prefix"
        assert refs(routes[prefix]["Queue"], queue)
    assert set(as_list(bucket["DependsOn"])) >= {"GenerateQueuePolicy", "OcrQueuePolicy"}


@pytest.mark.parametrize("queue", ["GenerateQueue", "OcrQueue"])
def test_queue_policy_admits_only_this_stacks_bucket(template, queue):
    policy = props(template, f"{queue}Policy")
    assert [q for q in policy["Queues"] if refs(q, queue)]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sqs:SendMessage"]
    assert refs(statement["Resource"], queue)
    condition = statement["Condition"]
    source_arn = (condition.get("ArnEquals") or condition.get("ArnLike"))["aws:SourceArn"]
    bucket_name = sub_text(props(template, "DocumentsBucket")["BucketName"])
    assert sub_text(source_arn) == "arn:${AWS::Partition}:s3:::" + bucket_name
    assert condition["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


# --------------------------------------------------------------------------------------------------
# Queues, dead-letter queues and alarms
# --------------------------------------------------------------------------------------------------


def _sqs_events(template: dict) -> list[tuple[str, str, dict]]:
    """(function, queue, event properties) for every SQS event source."""
    found = []
    for name, function in resources(template, "AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                (queue,) = [q for q in template["Resources"] if refs(event["Properties"]["Queue"], q)]
                found.append((name, queue, event["Properties"]))
    return found


def _dead_letter_queues(template: dict) -> set[str]:
    dlqs = set()
    for queue in resources(template, "AWS::SQS::Queue").values():
        target = queue["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
        if target is not None:
            dlqs.update(q for q in template["Resources"] if refs(target, q))
    for function in resources(template, "AWS::Serverless::Function").values():
        target = function["Properties"].get("DeadLetterQueue", {}).get("TargetArn")
        if target is not None:
            dlqs.update(q for q in template["Resources"] if refs(target, q))
        for event in function["Properties"].get("Events", {}).values():
            target = event["Properties"].get("DeadLetterConfig", {}).get("Arn")
            if target is not None:
                dlqs.update(q for q in template["Resources"] if refs(target, q))
    return dlqs


def test_the_expected_queues_feed_the_expected_functions(template):
    consumed = {queue: (function, p["BatchSize"]) for function, queue, p in _sqs_events(template)}
    assert consumed == CONSUMED_QUEUES


def test_every_queue_is_consumed_or_is_a_dead_letter_queue(template):
    consumed = {queue for _, queue, _ in _sqs_events(template)}
    dlqs = _dead_letter_queues(template)
    for name, queue in resources(template, "AWS::SQS::Queue").items():
        assert name in consumed or name in dlqs, f"{name} is neither consumed nor a DLQ"
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, f"{name} must be encrypted"


@pytest.mark.parametrize("queue", sorted(CONSUMED_QUEUES))
def test_consumed_queue_has_dead_letter_queue_with_alarm_and_long_enough_visibility(template, queue):
    (function, _, event) = next(e for e in _sqs_events(template) if e[1] == queue)
    assert "ReportBatchItemFailures" in event["FunctionResponseTypes"], "partial batch failures"
    p = props(template, queue)
    redrive = p["RedrivePolicy"]
    assert 1 <= redrive["maxReceiveCount"] <= 10
    (dlq,) = [q for q in resources(template, "AWS::SQS::Queue") if refs(redrive["deadLetterTargetArn"], q)]
    dlq_retention = props(template, dlq)["MessageRetentionPeriod"]
    assert dlq_retention == 1209600
    # A message keeps its original enqueue time in the DLQ: it must outlive the source queue.
    assert dlq_retention > p.get("MessageRetentionPeriod", 345600)
    timeout = function_props(template, function)["Timeout"]
    assert timeout == FUNCTIONS[function][2]
    assert p["VisibilityTimeout"] >= 6 * timeout, "Lambda recommends 6x the function timeout"
    alarms = alarms_on(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq)
    assert alarms, f"no alarm on {dlq}"
    assert_alarm_fires_on_first(alarms[0])


def test_every_dead_letter_queue_has_an_alarm(template):
    dlqs = _dead_letter_queues(template)
    assert dlqs >= {"GenerateDeadLetterQueue", "OcrDeadLetterQueue", "SendDeadLetterQueue"}
    for dlq in dlqs:
        alarms = alarms_on(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq)
        assert alarms, f"no alarm on {dlq}"
        assert_alarm_fires_on_first(alarms[0])


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_has_an_errors_alarm(template, function):
    alarms = alarms_on(template, "AWS/Lambda", "Errors", "FunctionName", function)
    assert alarms, f"no Errors alarm on {function}"
    assert alarms[0]["Statistic"] == "Sum"
    assert_alarm_fires_on_first(alarms[0])


def test_alerts_reach_the_operator(template):
    subscription = props(template, "OperatorAlertsSubscription")
    assert template["Resources"]["OperatorAlertsSubscription"]["Condition"] == "HasOperatorEmail"
    assert refs(subscription["TopicArn"], "AlertsTopic")
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == {"Ref": "OperatorEmail"}
    assert template["Conditions"]["HasOperatorEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "OperatorEmail"}, ""]}]
    }


def test_alerts_topic_is_encrypted_with_a_key_cloudwatch_may_use(template):
    # alias/aws/sns would silently drop every alarm notification: CloudWatch cannot use it.
    key_id = props(template, "AlertsTopic")["KmsMasterKeyId"]
    assert refs(key_id, "AlertsKey")
    key = props(template, "AlertsKey")
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(as_list(cloudwatch[0]["Action"]))
    # Functions that publish alerts may use the key.
    for function in ("GenerateFunction", "OcrFunction"):
        pairs = grants(template, function)
        assert ("sns:Publish", {"Ref": "AlertsTopic"}) in pairs
        assert any(a == "kms:GenerateDataKey" and refs(r, "AlertsKey") for a, r in pairs), function


# --------------------------------------------------------------------------------------------------
# Functions: runtime, layer, logs, environment
# --------------------------------------------------------------------------------------------------


def test_the_five_functions_and_only_them(template):
    assert set(resources(template, "AWS::Serverless::Function")) == set(FUNCTIONS)


def test_globals_give_every_function_the_runtime(template):
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    assert globals_["LoggingConfig"]["LogFormat"] == "JSON"
    assert {"Ref": "SharedLayer"} in globals_["Layers"]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_runtime_layer_code_and_log_group(template, function):
    directory, _, timeout = FUNCTIONS[function]
    p = function_props(template, function)
    assert p["Runtime"] == "python3.13"
    assert p["Architectures"] == ["arm64"]
    assert p["Timeout"] == timeout
    assert {"Ref": "SharedLayer"} in p["Layers"]
    assert p["CodeUri"].rstrip("/") == f"functions/{directory}"
    assert p["Handler"] == f"{directory}_handler.handler"
    assert p["LoggingConfig"]["LogFormat"] == "JSON"
    (log_group,) = [
        g for g in resources(template, "AWS::Logs::LogGroup") if refs(p["LoggingConfig"]["LogGroup"], g)
    ]
    group = props(template, log_group)
    assert group["RetentionInDays"] == 90
    # Lambda's conventional name, so the console's "View logs" finds it.
    assert sub_text(group["LogGroupName"]) == "/aws/lambda/" + sub_text(p["FunctionName"])
    assert sub_text(p["FunctionName"]).startswith("${AWS::StackName}-"), "unique per client stack"


def test_handler_module_names_are_unique(template):
    handlers = [function_props(template, f)["Handler"].split(".")[0] for f in FUNCTIONS]
    assert len(set(handlers)) == len(handlers)


def test_shared_layer_carries_only_our_code(template):
    layer = template["Resources"]["SharedLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    p = layer["Properties"]
    assert p["ContentUri"].rstrip("/") == "shared"
    assert p["CompatibleRuntimes"] == ["python3.13"]
    assert p["RetentionPolicy"] == "Delete"
    assert layer["Metadata"]["BuildMethod"] == "python3.13"


def test_every_function_gets_every_environment_variable(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for name, resource in TABLE_ENV.items():
        assert variables[name] == {"Ref": resource}, name
    for name, parameter in PARAMETER_ENV.items():
        assert variables[name] == {"Ref": parameter}, name
    assert variables["TIME_ZONE"] == "Europe/Paris"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Invoicing"
    for function, (_, service, _) in FUNCTIONS.items():
        env = function_props(template, function)["Environment"]["Variables"]
        assert set(env) >= set(TABLE_ENV) | set(PARAMETER_ENV) | {"TIME_ZONE", "POWERTOOLS_METRICS_NAMESPACE"}
        assert env["POWERTOOLS_SERVICE_NAME"] == service


def test_only_the_webhook_knows_where_the_stripe_secret_is(template):
    for function in FUNCTIONS:
        env = function_props(template, function)["Environment"]["Variables"]
        if function == "StripeWebhookFunction":
            assert env["STRIPE_WEBHOOK_SECRET_PARAM"] == {
                "Fn::Sub": "/${AWS::StackName}/stripe/webhook-secret"
            }
        else:
            assert "STRIPE_WEBHOOK_SECRET_PARAM" not in env


def test_no_secret_in_parameters_environment_or_samconfig(template):
    texts = {
        "parameter defaults": json.dumps([p.get("Default") for p in template["Parameters"].values()]),
        "globals": json.dumps(template["Globals"]),
        "functions": json.dumps(resources(template, "AWS::Serverless::Function")),
        "template.yaml": (ROOT / "template.yaml").read_text(encoding="utf-8"),
        "samconfig.toml": (ROOT / "samconfig.toml").read_text(encoding="utf-8"),
    }
    for where, text in texts.items():
        found = SECRET_PATTERNS.search(text)
        assert found is None, f"{where} holds what looks like a secret: {found.group(0)[:12]}..."
    for name in template["Parameters"]:
        assert not re.search(r"secret|password|token|apikey|api_key", name, re.IGNORECASE), (
            f"parameter {name}: secrets go to SSM Parameter Store, never through parameters"
        )


def test_secret_detector_catches_stripe_and_aws_keys():
    for sample in (
        "sk_live_51Habc",
        "sk_test_4eC39",
        "rk_live_abc123",
        "whsec_abc123",
        "AKIAIOSFODNN7EXAMPLE",
    ):
        assert SECRET_PATTERNS.search(f"value: {sample}"), sample


def test_webhook_is_a_public_url_the_handler_authenticates(template):
    p = function_props(template, "StripeWebhookFunction")
    assert p["FunctionUrlConfig"]["AuthType"] == "NONE"
    assert p["Timeout"] == 15
    assert p["MemorySize"] == 256
    assert not p.get("Events"), "only the function URL invokes the webhook"


def test_reminders_run_daily_at_nine_paris_time(template):
    events = props(template, "RemindFunction")["Events"]
    (schedule,) = [e["Properties"] for e in events.values() if e["Type"] == "ScheduleV2"]
    assert schedule["ScheduleExpression"] == "cron(0 9 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
    # Schedule names are unique per account: several client stacks may share one.
    assert sub_text(schedule["Name"]).startswith("${AWS::StackName}-")


# --------------------------------------------------------------------------------------------------
# IAM: least privilege on named resources
# --------------------------------------------------------------------------------------------------


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
            # On the bucket itself, only listing: S3 then tells a missing key (404) from a forbidden one.
            assert action == "s3:ListBucket", f"{function}: {action} on the whole bucket"
        elif service == "s3":
            prefix = s3_prefix(resource)
            assert prefix, f"{function}: {action} on {resource}: name a key prefix"
            assert re.fullmatch(r"[a-z]+/", prefix), f"{function}: {action} on a whole bucket or odd prefix"
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
                assert s3_prefix(resource) == "incoming/", f"{function} may delete outside incoming/"


def test_the_daily_run_queries_its_index_and_never_scans(template):
    pairs = grants(template, "RemindFunction")
    assert not [a for a, _ in pairs if a == "dynamodb:Scan"]
    queries = [r for a, r in pairs if a == "dynamodb:Query" and refs(r, "InvoicesTable")]
    assert queries == [{"Fn::Sub": "${InvoicesTable.Arn}/index/by-next-action"}]


def test_the_webhook_touches_no_documents_and_reads_only_its_secrets(template):
    pairs = grants(template, "StripeWebhookFunction")
    services = {action.split(":")[0] for action, _ in pairs}
    assert services == {"dynamodb", "ssm"}
    ssm = [r for a, r in pairs if a.startswith("ssm:")]
    assert [sub_text(r) for r in ssm] == [
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/stripe/*"
    ]
    assert {a for a, _ in pairs if a.startswith("ssm:")} == {"ssm:GetParameter"}


BUCKET = "(the bucket itself)"


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (
            "GenerateFunction",
            {
                "incoming/": {"s3:GetObject", "s3:DeleteObject"},
                "invoices/": {"s3:PutObject", "s3:GetObject"},
                "reports/": {"s3:PutObject"},
                "rejected/": {"s3:PutObject"},
                "processed/": {"s3:PutObject"},
                BUCKET: {"s3:ListBucket"},
            },
        ),
        ("SendFunction", {"invoices/": {"s3:GetObject"}, BUCKET: {"s3:ListBucket"}}),
        ("RemindFunction", {}),
        (
            "OcrFunction",
            {
                "inbox/": {"s3:GetObject"},
                "supplier/": {"s3:PutObject", "s3:GetObject"},
                "reports/": {"s3:PutObject"},
                BUCKET: {"s3:ListBucket"},
            },
        ),
        ("StripeWebhookFunction", {}),
    ],
)
def test_document_access_per_function(template, function, expected):
    found: dict[str, set[str]] = {}
    for action, resource in grants(template, function):
        if action.startswith("s3:"):
            where = BUCKET if resource == {"Fn::GetAtt": ["DocumentsBucket", "Arn"]} else s3_prefix(resource)
            found.setdefault(where, set()).add(action)
    assert found == expected


@pytest.mark.parametrize("function", ["SendFunction", "RemindFunction"])
def test_email_only_from_the_business_address(template, function):
    ses = [
        s for s in statements(template, function) if any(a.startswith("ses:") for a in as_list(s["Action"]))
    ]
    assert ses
    for statement in ses:
        assert statement["Condition"]["StringEquals"]["ses:FromAddress"] == {"Ref": "BusinessEmail"}
    others = [f for f in FUNCTIONS if f not in ("SendFunction", "RemindFunction")]
    for other in others:
        assert not [a for a, _ in grants(template, other) if a.startswith("ses:")], other


# --------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------


def _key_schema(schema: list[dict]) -> tuple[tuple[str, str], ...]:
    return tuple((k["AttributeName"], k["KeyType"]) for k in schema)


@pytest.mark.parametrize(
    ("table", "keys", "indexes"),
    [
        (
            "InvoicesTable",
            [("invoice_id", "HASH")],
            {
                "by-number": [("number", "HASH")],
                "by-client": [("client_ref", "HASH"), ("issued_key", "RANGE")],
                "by-next-action": [("dunning_queue", "HASH"), ("next_action_on", "RANGE")],
            },
        ),
        ("SequencesTable", [("series", "HASH")], {}),
        ("ClientsTable", [("client_ref", "HASH")], {}),
        ("DunningTable", [("invoice_id", "HASH"), ("step", "RANGE")], {}),
        (
            "PaymentsTable",
            [("payment_id", "HASH")],
            {"by-invoice": [("invoice_id", "HASH"), ("received_at", "RANGE")]},
        ),
        (
            "SupplierInvoicesTable",
            [("supplier_invoice_id", "HASH")],
            {"by-status": [("status", "HASH"), ("received_at", "RANGE")]},
        ),
        ("IdempotencyTable", [("id", "HASH")], {}),
    ],
)
def test_table_keys_and_indexes(template, table, keys, indexes):
    p = props(template, table)
    assert _key_schema(p["KeySchema"]) == tuple(keys)
    found = {i["IndexName"]: i for i in p.get("GlobalSecondaryIndexes", [])}
    assert set(found) == set(indexes)
    for name, schema in indexes.items():
        assert _key_schema(found[name]["KeySchema"]) == tuple(schema), name
        assert found[name]["Projection"]["ProjectionType"] == "ALL", name
    key_attributes = {a for a, _ in keys} | {a for schema in indexes.values() for a, _ in schema}
    definitions = {d["AttributeName"]: d["AttributeType"] for d in p["AttributeDefinitions"]}
    assert definitions == dict.fromkeys(key_attributes, "S")


ALL_TABLES = (
    "InvoicesTable",
    "SequencesTable",
    "ClientsTable",
    "DunningTable",
    "PaymentsTable",
    "SupplierInvoicesTable",
    "IdempotencyTable",
)


def test_the_seven_tables_and_only_them(template):
    assert set(resources(template, "AWS::DynamoDB::Table")) == set(ALL_TABLES)


@pytest.mark.parametrize("table", ALL_TABLES)
def test_tables_are_on_demand_encrypted_and_recoverable(template, table):
    p = props(template, table)
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert p["SSESpecification"]["SSEEnabled"] is True


@pytest.mark.parametrize("table", ["InvoicesTable", "SequencesTable"])
def test_invoices_and_sequences_outlive_the_stack(template, table):
    resource = template["Resources"][table]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert resource["Properties"]["DeletionProtectionEnabled"] is True


def test_idempotency_records_expire(template):
    ttl = props(template, "IdempotencyTable")["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiration", "Enabled": True}


# --------------------------------------------------------------------------------------------------
# Outputs and the example samconfig.toml
# --------------------------------------------------------------------------------------------------


def test_outputs_give_the_operator_what_it_needs(template):
    outputs = template["Outputs"]
    assert outputs["DocumentsBucketName"]["Value"] == {"Ref": "DocumentsBucket"}
    assert outputs["StripeWebhookUrl"]["Value"] == {"Fn::GetAtt": ["StripeWebhookFunctionUrl", "FunctionUrl"]}
    assert outputs["AlertsTopicArn"]["Value"] == {"Ref": "AlertsTopic"}
    for table in resources(template, "AWS::DynamoDB::Table"):
        assert outputs[f"{table}Name"]["Value"] == {"Ref": table}
    for queue in resources(template, "AWS::SQS::Queue"):
        assert outputs[f"{queue}Url"]["Value"] == {"Ref": queue}


def test_samconfig_has_common_defaults_and_one_environment_per_business():
    with open(ROOT / "samconfig.toml", "rb") as handle:
        config = tomllib.load(handle)
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["region"] == "eu-west-3"
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert deploy["resolve_s3"] is True
    assert config["default"]["build"]["parameters"] == {"cached": True, "parallel": True}
    environments = samconfig_environments()
    assert len(environments) >= 2
    stacks = [section["stack_name"] for section in environments.values()]
    assert len(set(stacks)) == len(stacks)
    for env, section in environments.items():
        # SAM does not merge an environment with [default]: each repeats the deploy settings.
        for key in ("region", "capabilities", "confirm_changeset", "resolve_s3"):
            assert section[key] == deploy[key], f"[{env}] {key}"
        assert re.fullmatch(r"[a-z][a-z0-9-]{0,39}", section["stack_name"]), "lowercase, at most 40"


@pytest.mark.parametrize("env", sorted(samconfig_environments()))
def test_samconfig_environment_satisfies_the_template_parameters(template, env):
    overrides = parameter_overrides(samconfig_environments()[env])
    parameters = template["Parameters"]
    assert set(overrides) <= set(parameters), f"unknown parameters: {set(overrides) - set(parameters)}"
    missing = {name for name, spec in parameters.items() if "Default" not in spec} - set(overrides)
    assert not missing, f"[{env}] must give {sorted(missing)}"
    for name, value in overrides.items():
        spec = parameters[name]
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], f"[{env}] {name}={value!r}"
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), f"[{env}] {name}={value!r}"


@pytest.mark.parametrize("env", sorted(samconfig_environments()))
def test_samconfig_identity_is_accepted_by_the_functions(template, env):
    """The example identities pass the checks the functions run at start (SIRET, VAT key, IBAN...)."""
    from invoicing.business import Business
    from invoicing_tools.local_aws.stack import LocalStack

    overrides = parameter_overrides(samconfig_environments()[env])
    environ = LocalStack(env, overrides).parameter_environment()
    business = Business.from_env(environ)
    assert business.seller.siret == overrides["BusinessSiret"]
