"""What the template checks share: the expected functions, queues, tables and parameters, and
helpers that read template.yaml as data (imported as a plain module, like the unit helpers)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = {
    # logical id: (code directory, short service name, timeout in seconds)
    "GenerateFunction": ("generate", "generate", 300),
    "SendFunction": ("send", "send", 60),
    "RemindFunction": ("remind", "remind", 120),
    "OcrFunction": ("ocr", "ocr", 600),
    "StripeWebhookFunction": ("stripe_webhook", "stripe_webhook", 15),
}

#: queue -> (consumer, batch size)
CONSUMED_QUEUES = {
    "GenerateQueue": ("GenerateFunction", 5),
    "OcrQueue": ("OcrFunction", 1),
    "SendQueue": ("SendFunction", 10),
}

TABLE_ENV = {
    "INVOICES_TABLE": "InvoicesTable",
    "SEQUENCES_TABLE": "SequencesTable",
    "CLIENTS_TABLE": "ClientsTable",
    "PRODUCTS_TABLE": "ProductsTable",
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
    ("OcrFunction", "textract:StartExpenseAnalysis"): "Textract has no resource types: IAM accepts only '*'",
    ("OcrFunction", "textract:GetExpenseAnalysis"): "Textract has no resource types: IAM accepts only '*'",
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
