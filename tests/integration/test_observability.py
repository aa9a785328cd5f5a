"""Every function logs and emits metrics through invoicing.observability: structured JSON
logs naming the function's own service, and metrics in the one Invoicing namespace."""

from __future__ import annotations

import json

from tests.conftest import sales_csv


def emitted(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_logs_and_metrics_name_the_function_and_share_one_namespace(
    runtime, bucket, with_clients, capfd
) -> None:
    capfd.readouterr()
    bucket.put("incoming/ventes.csv", sales_csv(["C001;03/11/2026;Audit;2;h;95;20;;;"]))
    bucket.put("inbox/facture.pdf", b"%PDF-1.4 supplier")
    runtime.run_until_idle()
    runtime.run_schedule("RemindFunction")
    runtime.call_url("StripeWebhookFunction", path="/stripe/webhook", body="{}", headers={})
    out = emitted(capfd.readouterr().out)

    metrics = [o for o in out if "_aws" in o]
    by_service: dict[str, set[str]] = {}
    for item in metrics:
        (directive,) = item["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Invoicing"
        by_service.setdefault(item["service"], set()).update(m["Name"] for m in directive["Metrics"])
    assert by_service == {
        "generate": {"FilesProcessed", "InvoicesIssued"},  # nothing rejected
        "send": {"Send_sent"},
        "ocr": {"SupplierDocumentsRead", "SupplierDocumentsToReview"},
        "remind": {"DunningRuns"},  # nothing sent: zero counts are not emitted
        "stripe_webhook": {"WebhookRejected"},
    }
    logs = [o for o in out if "message" in o]
    services = {o["message"]: o["service"] for o in logs}
    assert services["file processed"] == "generate"
    assert services["send request"] == "send"
    assert services["supplier document read"] == "ocr"
    assert services["dunning run"] == "remind"
    assert services["Stripe webhook request refused"] == "stripe_webhook"
    assert all("function_request_id" in o for o in logs)  # the Lambda context is in every line
