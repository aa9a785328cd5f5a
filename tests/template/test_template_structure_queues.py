"""Queues, dead-letter queues and alarms: nothing asynchronous is dropped silently, and every
failure reaches the operator."""

from __future__ import annotations

import pytest
from template_helpers import (
    CONSUMED_QUEUES,
    FUNCTIONS,
    alarms_on,
    as_list,
    assert_alarm_fires_on_first,
    function_props,
    grants,
    props,
    refs,
    resources,
)


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
