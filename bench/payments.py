"""Payments against the local moto server (bench/__main__.py runs it):

- webhook_ms_p50, webhook_ms_p99  one signed Stripe event through the real stripe_webhook handler
                                  (Function URL request: routing, signature, Idempotency, ledger,
                                  receivable), warm, one process; target p99 <= 50 ms. 300 paid
                                  Checkout Sessions for 300 invoices, then 100 refunds of them
- webhook_baseline_ms_p50         a GetItem + a conditional UpdateItem against the same server:
                                  the floor one receivable write costs here
- bank_lines_per_s                statement lines imported per second (read, matched, recorded,
                                  invoices settled, report written) against 10,000 open invoices
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

SECRET = "whsec_bench_" + "0" * 20
INVOICES = 300
REFUNDS = 100
TARGET_P99_MS = 50


def _signed(payload: str) -> str:
    ts = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def _event(n: int, event_type: str, obj: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": f"evt_bench{n:08d}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": obj},
        }
    )


def _session(invoice_id: str, cents: int, n: int) -> dict[str, Any]:
    return {
        "id": f"cs_test_bench{n:08d}",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "status": "complete",
        "amount_total": cents,
        "currency": "eur",
        "payment_intent": f"pi_bench{n:08d}",
        "payment_method_types": ["card"],
        "metadata": {"invoice_id": invoice_id},
        "client_reference_id": invoice_id,
        "customer_details": {"email": "client@example.com", "name": "Client"},
    }


def _charge(n: int, refunded: int) -> dict[str, Any]:
    return {
        "id": f"ch_bench{n:08d}",
        "object": "charge",
        "amount": refunded,
        "amount_refunded": refunded,
        "currency": "eur",
        "payment_intent": f"pi_bench{n:08d}",
        "refunded": True,
        "metadata": {},
    }


@contextlib.contextmanager
def _stack_with_open_invoices(name: str, total: int) -> Iterator[tuple[Any, Any, Any]]:
    """A local AWS with a deployed sample stack whose invoice table holds ``total`` open
    invoices (cloned from one really issued: reminder_load); yields (aws, stack, resources)."""
    from invoicing.business import Business
    from invoicing.settings import Resources
    from invoicing_tools.local_aws.reminder_load import load
    from invoicing_tools.local_aws.samconfig import environments
    from invoicing_tools.local_aws.server import LocalAws
    from invoicing_tools.local_aws.stack import LocalStack

    aws = LocalAws()
    aws.start()
    aws.activate()
    try:
        stack = LocalStack(name, environments()["conseil-horizon"].parameters).deploy()
        env = stack.functions["GenerateFunction"].environment
        resources = Resources.from_env(env)
        load(stack, resources, Business.from_env(env), total=total, due=total)
        yield aws, stack, resources
    finally:
        aws.stop()


def payments(report: Callable[..., None]) -> None:
    import boto3

    from invoicing.adapters.invoices import InvoiceRepository
    from invoicing_tools.local_aws.runtime import LocalRuntime
    from invoicing_tools.local_aws.server import REGION

    with _stack_with_open_invoices("bench-payments", INVOICES) as (aws, stack, resources):
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=f"/{stack.name}/stripe/webhook-secret", Value=SECRET, Type="SecureString", Overwrite=True
        )
        open_invoices = [s for s in InvoiceRepository(resources).all() if s.receivable.due > 0]
        runtime = LocalRuntime(aws, stack)
        try:
            bodies = [
                _event(
                    n,
                    "checkout.session.completed",
                    _session(s.invoice.invoice_id, int(s.receivable.due * 100), n),
                )
                for n, s in enumerate(open_invoices)
            ]
            bodies += [_event(100_000 + n, "charge.refunded", _charge(n, 1000)) for n in range(REFUNDS)]
            warm = _event(999_999, "customer.updated", {"id": "cus_1", "object": "customer"})
            runtime.call_url(
                "StripeWebhookFunction",
                path="/stripe/webhook",
                body=warm,
                headers={"Stripe-Signature": _signed(warm)},
            )
            timings, own, failures = [], [], 0
            with _aws_calls() as calls:
                for body in bodies:
                    headers = {"Stripe-Signature": _signed(body)}
                    waited = sum(calls)
                    started = time.perf_counter()
                    response = runtime.call_url(
                        "StripeWebhookFunction", path="/stripe/webhook", body=body, headers=headers
                    )
                    elapsed = (time.perf_counter() - started) * 1000
                    timings.append(elapsed)
                    own.append(elapsed - (sum(calls) - waited))
                    failures += response["statusCode"] != 200
                per_event = len(calls) / len(bodies)
        finally:
            runtime.close()
        paid = sum(1 for s in InvoiceRepository(resources).all() if s.receivable.status.value == "paid")
        timings.sort()
        own.sort()
        p99 = timings[int(len(timings) * 0.99) - 1]
        floor = _floor(resources.invoices_table, open_invoices[0].invoice.invoice_id)
        report(
            "webhook_ms_p50",
            statistics.median(timings),
            "ms",
            f"{len(timings)} events ({len(open_invoices)} sessions paid, {REFUNDS} refunds), warm, one "
            f"process; {failures} not answered 200; {paid} invoices paid after",
        )
        report(
            "webhook_ms_p99",
            p99,
            "ms",
            f"target <= {TARGET_P99_MS} ({'met' if p99 <= TARGET_P99_MS else 'MISSED'})",
        )
        report(
            "webhook_own_ms_p50",
            statistics.median(own),
            "ms",
            f"the same events minus their time waiting for AWS calls ({per_event:.1f} calls per event: "
            f"Idempotency 2, ledger 2, invoice 2); p99 {own[int(len(own) * 0.99) - 1]:.1f} ms",
        )
        report(
            "webhook_baseline_ms_p50",
            floor,
            "ms",
            "one GetItem + one conditional UpdateItem on the same server: what two of an event's calls cost",
        )


@contextlib.contextmanager
def _aws_calls() -> Iterator[list[float]]:
    """Milliseconds of every AWS API call made meanwhile (botocore, client side)."""
    import botocore.client

    calls: list[float] = []
    original = botocore.client.BaseClient._make_api_call

    def timed(self: Any, operation: str, params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return original(self, operation, params)
        finally:
            calls.append((time.perf_counter() - started) * 1000)

    botocore.client.BaseClient._make_api_call = timed  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def _floor(table: str, invoice_id: str) -> float:
    from invoicing_tools.local_aws.server import client

    ddb = client("dynamodb")
    timings = []
    for _ in range(100):
        started = time.perf_counter()
        ddb.get_item(TableName=table, Key={"invoice_id": {"S": invoice_id}}, ConsistentRead=True)
        try:
            ddb.update_item(
                TableName=table,
                Key={"invoice_id": {"S": invoice_id}},
                UpdateExpression="SET bench_touch = :t",
                ConditionExpression="attribute_exists(invoice_id)",
                ExpressionAttributeValues={":t": {"N": "1"}},
            )
        finally:
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


BANK_INVOICES = 10_000
BANK_LINES = 1_000


def bank(report: Callable[..., None]) -> None:
    """A statement of 1,000 lines (600 credits naming an invoice, 200 that name none, 200 debits)
    imported through the real generate handler against 10,000 open invoices; and the matching
    alone, on the same lines and invoices."""
    import random
    from datetime import timedelta

    import boto3

    from invoicing.adapters.clients import ClientRepository
    from invoicing.adapters.invoices import InvoiceRepository
    from invoicing.domain.matching import match_credits
    from invoicing.ingest.bank import read_statement
    from invoicing.services.bank_import import OpenInvoices
    from invoicing_tools.local_aws.reminder_load import remind_today
    from invoicing_tools.local_aws.runtime import LocalRuntime
    from invoicing_tools.local_aws.server import REGION

    with _stack_with_open_invoices("bench-bank", BANK_INVOICES) as (aws, stack, resources):
        repo = InvoiceRepository(resources)
        listing = OpenInvoices(resources, invoices=repo, clients=ClientRepository(resources))
        started = time.perf_counter()
        open_invoices = listing.list()
        list_s = time.perf_counter() - started
        rnd = random.Random(5)
        chosen = rnd.sample(open_invoices, 600)
        day = remind_today(stack)
        rows = ["Date;Libellé;Montant"]
        for n, invoice in enumerate(chosen):
            spelled = invoice.number if n % 2 else invoice.number.lower().replace("-", " ")
            amount = f"{invoice.due:.2f}".replace(".", ",")
            rows.append(
                f"{(day - timedelta(days=n % 20)):%d/%m/%Y};VIR SEPA CLIENT {n} REF {spelled};{amount}"
            )
        for n in range(200):
            rows.append(
                f"{day:%d/%m/%Y};VIREMENT RECU DIVERS {n};{rnd.randint(100, 99999) / 100:.2f}".replace(
                    ".", ","
                )
            )
        for n in range(200):
            rows.append(
                f"{day:%d/%m/%Y};PRLV SEPA FOURNISSEUR {n};-{rnd.randint(100, 99999) / 100:.2f}".replace(
                    ".", ","
                )
            )
        data = ("\n".join(rows) + "\n").encode()
        statement = read_statement(data, "bench.csv")
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            matches = match_credits(statement.lines, open_invoices)
            timings.append(time.perf_counter() - started)
        matched = sum(1 for m in matches if m.invoice_id)
        report(
            "bank_match_lines_per_s",
            len(statement.lines) / statistics.median(timings),
            "lines/s",
            f"matching alone (domain.matching), {len(statement.lines)} lines against "
            f"{len(open_invoices)} open invoices, median of 3; {matched} credits matched",
        )
        runtime = LocalRuntime(aws, stack)
        s3 = boto3.client("s3", region_name=REGION)
        bucket = stack.resource("DocumentsBucket")
        try:
            s3.put_object(
                Bucket=bucket, Key="bank/warm.csv", Body=b"Date;Libelle;Montant\n01/01/2026;FRAIS;-1,00\n"
            )
            runtime.run_until_idle()  # the generate function loaded and warm
            s3.put_object(Bucket=bucket, Key="bank/bench.csv", Body=data)
            started = time.perf_counter()
            runtime.run_until_idle()
            elapsed = time.perf_counter() - started
        finally:
            runtime.close()
        paid = sum(1 for s in repo.all() if s.receivable.status.value == "paid")
        report(
            "bank_lines_per_s",
            BANK_LINES / elapsed,
            "lines/s",
            f"a {BANK_LINES}-line statement imported through the generate handler against "
            f"{BANK_INVOICES:,} open invoices in {elapsed:.1f} s (listing them: one Scan, {list_s:.1f} s; "
            f"each credit recorded, its invoice settled); {paid} invoices paid after (600 expected)",
        )
