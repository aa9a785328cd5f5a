"""The functions: the same runtime, layer and logs for each, the environment they need, secrets
kept out of it, the webhook's URL and the daily schedule."""

from __future__ import annotations

import json
import re

import pytest
from template_helpers import (
    FUNCTIONS,
    PARAMETER_ENV,
    ROOT,
    SECRET_PATTERNS,
    TABLE_ENV,
    function_props,
    props,
    refs,
    resources,
    sub_text,
)


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


def test_the_public_webhook_has_a_concurrency_ceiling(template):
    webhook = props(template, "StripeWebhookFunction")
    assert webhook["FunctionUrlConfig"]["AuthType"] == "NONE"
    condition, reserved, otherwise = webhook["ReservedConcurrentExecutions"]["Fn::If"]
    assert (condition, reserved, otherwise) == (
        "HasWebhookConcurrency",
        {"Ref": "WebhookReservedConcurrency"},
        {"Ref": "AWS::NoValue"},
    )
    parameter = template["Parameters"]["WebhookReservedConcurrency"]
    assert 0 < parameter["Default"] <= 10
