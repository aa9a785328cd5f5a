"""The payments part of ``make demo``: money coming in the ways a business sees it.

- a customer clicks the payment link of their invoice email: ``GET /pay/<token>`` on the
  stripe_webhook function's URL answers 303 to a Stripe Checkout page (the local Stripe API
  stub plays Stripe), the customer pays by card, Stripe posts ``checkout.session.completed``
  signed with the webhook secret: the invoice is paid and its reminders stop;
- the business refunds part of it in its Stripe dashboard: ``charge.refunded`` reopens the
  invoice for the refunded amount and its reminders resume;
- a bank statement dropped under ``bank/`` settles two invoices (by the number in the label,
  by amount and name) and leaves one credit for the operator;
- a sale paid online through a Stripe Payment Link (no invoice of ours): its invoice is issued
  paid ("Facture acquittée"), in the same number series, and emailed.

Every Stripe event goes to the real handler in the Function URL's request shape, signed the way
Stripe signs (``Stripe-Signature: t=…,v1=HMAC-SHA256``); nothing is written behind its back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import runpy
import secrets
import time
from datetime import date, datetime
from datetime import time as clock_time
from decimal import Decimal
from email import message_from_bytes, policy
from typing import Any

import boto3

from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.domain.calendar import at_local_time
from invoicing.settings import Resources
from invoicing_tools.local_aws.runtime import LocalRuntime
from invoicing_tools.local_aws.server import REGION, sent_emails
from invoicing_tools.local_aws.stack import PROJECT, LocalStack
from invoicing_tools.local_aws.stripe_stub import StripeStub

#: Demo values, stored in the local SSM like the real ones (never in code in a real stack).
WEBHOOK_SECRET = "whsec_demo_" + "5" * 24
API_KEY = "sk_test_demo_" + "6" * 20
_PAY_LINK = re.compile(r"/pay/([A-Za-z0-9_.~-]{20,})")


def connect(stack: LocalStack, runtime: LocalRuntime, stub: StripeStub) -> None:
    """The stack's Stripe secrets in its SSM, and its webhook function pointed at the stub."""
    ssm = boto3.client("ssm", region_name=REGION)
    for name, value in (("webhook-secret", WEBHOOK_SECRET), ("secret-key", API_KEY)):
        ssm.put_parameter(
            Name=f"/{stack.name}/stripe/{name}", Value=value, Type="SecureString", Overwrite=True
        )
    runtime.overrides["StripeWebhookFunction"] = {"STRIPE_API_BASE": stub.url}


def post_event(runtime: LocalRuntime, event_type: str, obj: dict[str, Any], on: date | None = None) -> dict:
    """A Stripe event, signed as Stripe signs it, posted to the function's URL; the JSON answer."""
    created = int(at_local_time(on, clock_time(14, 0)).timestamp()) if on else int(time.time())
    event = {
        "id": f"evt_demo{secrets.token_hex(8)}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }
    payload = json.dumps(event)
    ts = int(time.time())
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    response = runtime.call_url(
        "StripeWebhookFunction",
        path="/stripe/webhook",
        body=payload,
        headers={"Stripe-Signature": f"t={ts},v1={signature}", "content-type": "application/json"},
    )
    if response["statusCode"] != 200:
        raise RuntimeError(f"the webhook answered {response['statusCode']}: {response['body']}")
    return json.loads(response["body"])


def pay_link_token(invoice_id: str) -> str:
    """The payment link's token, read from the invoice email the customer received."""
    for sent in sent_emails():
        message = message_from_bytes(sent["raw"], policy=policy.default)
        if message["X-Invoicing-Invoice-Id"] != invoice_id or message["X-Invoicing-Kind"] != "invoice":
            continue
        body = message.get_body(preferencelist=("plain",))
        found = _PAY_LINK.search(body.get_content() if body else "")
        if found:
            return found[1]
    raise LookupError(f"no payment link in the email of {invoice_id}")


def pay_by_card(
    runtime: LocalRuntime, stub: StripeStub, stored: StoredInvoice, on: date | None = None
) -> dict:
    """The customer clicks the link, pays on Stripe Checkout, Stripe tells the webhook."""
    token = pay_link_token(stored.invoice.invoice_id)
    opened = runtime.call_url("StripeWebhookFunction", method="GET", path=f"/pay/{token}")
    location = (opened.get("headers") or {}).get("Location", "")
    if opened["statusCode"] != 303 or "/c/pay/" not in location:
        raise RuntimeError(f"the payment link answered {opened['statusCode']}, not a Checkout page")
    session = stub.complete_session(location.rsplit("/", 1)[1])
    answer = post_event(runtime, "checkout.session.completed", session, on)
    return {"session": session["id"], "intent": session["payment_intent"], "answer": answer}


def refund(runtime: LocalRuntime, intent: str, cents: int, on: date | None = None) -> dict:
    """The business refunds ``cents`` of a card payment from its Stripe dashboard."""
    charge = {
        "id": "ch_" + intent.removeprefix("pi_"),
        "object": "charge",
        "amount_refunded": cents,
        "currency": "eur",
        "payment_intent": intent,
        "refunded": False,
        "metadata": {},
    }
    return post_event(runtime, "charge.refunded", charge, on)


def bank_statement(stack: LocalStack, runtime: LocalRuntime, resources: Resources, day: date) -> str:
    """The demo's statement (samples/bank/releve-demo.csv, filled with this run's numbers)."""
    folder = PROJECT / "samples" / "bank"
    fill = runpy.run_path(str(folder / "demo_statement.py"))["fill"]
    data = fill((folder / "releve-demo.csv").read_text("utf-8"), InvoiceRepository(resources).all(), day)
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=stack.resource("DocumentsBucket"), Key="bank/releve-demo.csv", Body=data
    )
    runtime.run_until_idle()
    return "bank/releve-demo.csv"


def online_sale(runtime: LocalRuntime, stub: StripeStub, customer: dict[str, Any]) -> dict:
    """A sale through a Payment Link: a Christmas box (food, 5.5 % VAT) and its delivery (20 %),
    prices incl. VAT as shops show them; Stripe computed the tax of each line."""
    lines = (
        ("Coffret « Noël gourmand » – épicerie fine", 2, 3490, 364),
        ("Livraison Colissimo", 1, 690, 115),
    )
    items = [
        {
            "object": "item",
            "description": description,
            "quantity": quantity,
            "currency": "eur",
            "amount_subtotal": quantity * unit - tax,
            "amount_tax": tax,
            "amount_total": quantity * unit,
            "amount_discount": 0,
            "price": {"object": "price", "unit_amount": unit, "currency": "eur", "tax_behavior": "inclusive"},
        }
        for description, quantity, unit, tax in lines
    ]
    total = sum(item["amount_total"] for item in items)
    session = stub.add_session(
        {
            "id": f"cs_test_demo{secrets.token_hex(12)}",
            "mode": "payment",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": total,
            "amount_subtotal": total,
            "currency": "eur",
            "payment_intent": f"pi_demo{secrets.token_hex(8)}",
            "payment_method_types": ["card"],
            "metadata": {},
            "client_reference_id": None,
            "customer_details": customer,
            "total_details": {
                "amount_discount": 0,
                "amount_shipping": 0,
                "amount_tax": sum(i["amount_tax"] for i in items),
            },
        },
        items,
    )
    answer = post_event(runtime, "checkout.session.completed", session)
    runtime.run_until_idle()  # generate issues it, send emails it
    return {"session": session["id"], "total": Decimal(total) / 100, "answer": answer}


def when(day: date) -> datetime:
    return at_local_time(day, clock_time(14, 0))
