"""Stripe's webhook against the local AWS: real-shaped Stripe objects (recorded fixtures, our
ids and amounts put in) wrapped in events, signed with Stripe's scheme, posted to the
function's URL; the ledger and the receivables checked in DynamoDB."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from functools import cache
from typing import Any

import boto3
import pytest

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.payments import PaymentLedger
from invoicing.domain.invoice import Source
from invoicing.domain.ledger import Kind, State
from invoicing.domain.receivable import PENDING_HOLD_DAYS, Status
from invoicing.domain.terms import PaymentTerms
from invoicing.services.clock import today
from invoicing.services.payments import StripeWebhook
from invoicing.settings import WebhookSettings
from invoicing_tools.local_aws.server import REGION
from tests import factories
from tests.conftest import fixture_path

SECRET = "whsec_test_" + "1" * 24  # test values, stored in the local SSM like the real ones
OLD_SECRET = "whsec_test_" + "2" * 24
ROWS = [
    "C001;03/11/2026;Audit;2;h;95;20;;;",  # 228.00
    "C003;03/11/2026;Atelier;1;u;80;20;;;",  # 96.00
]


@cache
def _fixture(*parts: str) -> dict[str, Any]:
    return json.loads(fixture_path("stripe", "events", *parts).read_text())


def envelope(
    event_type: str, obj: dict[str, Any], *, event_id: str | None = None, created: int | None = None
):
    """A Stripe event (the recorded envelope of stripe-ruby-mock) carrying ``obj``."""
    event = copy.deepcopy(_fixture("stripe-ruby-mock", "payment_intent.succeeded.json"))
    event["id"] = event_id or f"evt_{random.getrandbits(64):016x}"
    event["type"] = event_type
    event["created"] = created or int(time.time())
    event["data"] = {"object": obj}
    return event


def session(invoice_id: str | None, cents: int, intent: str, *, paid: bool = True) -> dict[str, Any]:
    obj = copy.deepcopy(_fixture("stripe-ruby-mock", "checkout.session.completed.json")["data"]["object"])
    obj.update(
        id=f"cs_test_{intent}",
        amount_total=cents,
        amount_subtotal=cents,
        currency="eur",
        payment_intent=intent,
        payment_status="paid" if paid else "unpaid",
        metadata={"invoice_id": invoice_id} if invoice_id else {},
        client_reference_id=invoice_id,
    )
    return obj


def charge(intent: str, charge_id: str, refunded: int) -> dict[str, Any]:
    obj = copy.deepcopy(_fixture("stripe-ruby-mock", "charge.refunded.json")["data"]["object"])
    obj.update(id=charge_id, payment_intent=intent, amount_refunded=refunded, currency="eur", refunded=False)
    return obj


def dispute(intent: str, dispute_id: str, cents: int, status: str) -> dict[str, Any]:
    name = (
        "charge_dispute_created_with_pi.json"
        if status == "needs_response"
        else "charge_dispute_closed_with_pi.json"
    )
    obj = copy.deepcopy(_fixture("zulip", name)["data"]["object"])
    obj.update(
        id=dispute_id,
        payment_intent=intent,
        charge=f"ch_{intent[3:]}",
        amount=cents,
        currency="eur",
        status=status,
    )
    return obj


def signature(payload: str, *secrets: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header as Stripe computes it: HMAC-SHA256 of "t.payload", one v1 per secret."""
    ts = int(time.time()) if timestamp is None else timestamp
    signed = [hmac.new(s.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest() for s in secrets]
    return f"t={ts}," + ",".join(f"v1={v}" for v in signed)


def post(runtime, event: dict[str, Any], *secrets: str, as_base64: bool = False, header: str | None = None):
    payload = json.dumps(event)
    headers = {
        "Stripe-Signature": header if header is not None else signature(payload, *(secrets or (SECRET,)))
    }
    response = runtime.call_url(
        "StripeWebhookFunction", path="/stripe/webhook", body=payload, headers=headers, base64_body=as_base64
    )
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def secrets(stack):
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=f"/{stack.name}/stripe/webhook-secret", Value=SECRET, Type="SecureString", Overwrite=True
    )


def issue_sent(resources, business, client, price: str, n: int):
    """An invoice issued and emailed, written through the repository: what the webhook reads is
    its receivable, not its PDF (generate and send make those in their own tests, and in the
    online-sale test below)."""
    repo = InvoiceRepository(resources)
    stored = repo.issue(
        factories.draft(
            client, factories.line(price=price), source=Source("incoming/ventes.csv", "webhook", f"g{n}")
        ),
        seller=business.seller,
        numbering=business.invoice_numbering,
        issue_date=today("Europe/Paris"),
        default_terms=PaymentTerms(30),
    )
    at, invoice_id = datetime.now(UTC), stored.invoice.invoice_id
    repo.update(invoice_id, lambda r: r.queue_send(at))
    repo.update(invoice_id, lambda r: r.claim_send(at))
    return repo.update(invoice_id, lambda r: r.mark_sent(at, f"ses-{n}", "x@example.com"))


@pytest.fixture
def invoices(resources, business, secrets):
    """Two invoices issued and emailed: 228,00 € and 96,00 €."""
    issued = [
        issue_sent(resources, business, factories.company(), "190", 1),
        issue_sent(resources, business, factories.person(), "80", 2),
    ]
    assert [s.receivable.total for s in issued] == [Decimal("228.00"), Decimal("96.00")]
    return issued


@pytest.fixture
def ledger(resources):
    return PaymentLedger(resources.payments_table)


def receivable(resources, invoice_id):
    return InvoiceRepository(resources).get(invoice_id).receivable


def test_a_paid_session_marks_its_invoice_paid_and_stops_its_reminders(runtime, resources, invoices, ledger):
    first = invoices[0]
    assert receivable(resources, first.invoice.invoice_id).next_step_on is not None
    event = envelope("checkout.session.completed", session(first.invoice.invoice_id, 22800, "pi_A1"))
    status, body = post(runtime, event)
    assert status == 200
    assert body["entries"] == [
        {
            "entry": "stripe:pi_A1#payment",
            "state": "succeeded",
            "invoice": first.invoice.number,
            "status": "paid",
        }
    ]
    after = receivable(resources, first.invoice.invoice_id)
    assert (after.status, after.due, after.next_action_on) == (Status.PAID, Decimal("0.00"), None)
    assert [e.cents for e in ledger.of_invoice(first.invoice.invoice_id)] == [22800]


def test_the_same_event_twice_changes_nothing_the_second_time(runtime, resources, invoices, ledger):
    first = invoices[0]
    event = envelope("checkout.session.completed", session(first.invoice.invoice_id, 10000, "pi_T1"))
    assert post(runtime, event)[0] == 200
    version = receivable(resources, first.invoice.invoice_id).version
    status, body = post(runtime, event)
    assert status == 200
    assert body["id"] == event["id"]
    assert receivable(resources, first.invoice.invoice_id).version == version
    assert receivable(resources, first.invoice.invoice_id).paid == Decimal("100.00")


def test_a_bad_signature_is_refused_and_changes_nothing(runtime, resources, invoices, ledger):
    first = invoices[0]
    event = envelope("checkout.session.completed", session(first.invoice.invoice_id, 22800, "pi_B1"))
    payload = json.dumps(event)
    for case, header in {
        "missing": "",
        "wrong secret": signature(payload, "whsec_other"),
        "stale": signature(payload, SECRET, timestamp=int(time.time()) - 301),
        "tampered": signature(payload.replace("22800", "22801"), SECRET),
        "garbage": "t=abc,v1=",
    }.items():
        status, body = post(runtime, event, header=header)
        assert status == 400, case
        assert "signature" in body["error"].lower(), case
    assert ledger.get("stripe:pi_B1") is None
    assert receivable(resources, first.invoice.invoice_id).status is not Status.PAID
    # The same event, correctly signed, is then applied: the refusals left no trace of it.
    assert post(runtime, event)[0] == 200
    assert receivable(resources, first.invoice.invoice_id).status is Status.PAID


def test_rotated_secrets_and_base64_bodies_are_accepted(runtime, stack, resources, invoices):
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=f"/{stack.name}/stripe/webhook-secret",
        Value=f"{SECRET},{OLD_SECRET}",
        Type="SecureString",
        Overwrite=True,
    )
    first = invoices[0]
    signed_by_old = envelope("checkout.session.completed", session(first.invoice.invoice_id, 1000, "pi_R1"))
    assert post(runtime, signed_by_old, OLD_SECRET)[0] == 200
    both = envelope("checkout.session.completed", session(first.invoice.invoice_id, 2000, "pi_R2"))
    assert post(runtime, both, "whsec_unknown", SECRET, as_base64=True)[0] == 200
    assert receivable(resources, first.invoice.invoice_id).paid == Decimal("30.00")


def test_partial_payment_then_the_rest(runtime, resources, invoices):
    first = invoices[0]
    post(runtime, envelope("checkout.session.completed", session(first.invoice.invoice_id, 10000, "pi_P1")))
    middle = receivable(resources, first.invoice.invoice_id)
    assert (middle.status, middle.due) == (Status.PARTIALLY_PAID, Decimal("128.00"))
    assert middle.next_step_on is not None  # still chased for the rest
    post(runtime, envelope("checkout.session.completed", session(first.invoice.invoice_id, 12800, "pi_P2")))
    assert receivable(resources, first.invoice.invoice_id).status is Status.PAID


def test_a_delayed_payment_holds_reminders_for_a_while_until_it_succeeds_or_fails(
    runtime, resources, invoices
):
    first = invoices[0]
    normal = receivable(resources, first.invoice.invoice_id).next_step_on
    # The customer chose a SEPA debit at checkout on the due date: reminders wait for it.
    started = datetime.combine(first.invoice.due_date, clock_time(12), tzinfo=UTC)
    pending = envelope(
        "checkout.session.completed",
        session(first.invoice.invoice_id, 22800, "pi_D1", paid=False),
        created=int(started.timestamp()),
    )
    post(runtime, pending)
    held = receivable(resources, first.invoice.invoice_id)
    assert (held.pending, held.status) == (Decimal("228.00"), Status.SENT)
    until = first.invoice.due_date + timedelta(days=PENDING_HOLD_DAYS)
    assert held.pending_until == until
    assert held.next_step_on == until + timedelta(days=1) > normal
    failed = envelope(
        "checkout.session.async_payment_failed", session(first.invoice.invoice_id, 22800, "pi_D1", paid=False)
    )
    post(runtime, failed)
    again = receivable(resources, first.invoice.invoice_id)
    assert (again.pending, again.due, again.next_step_on) == (Decimal("0.00"), Decimal("228.00"), normal)


def test_a_refund_reopens_the_invoice_and_dunning_resumes(runtime, resources, invoices):
    first = invoices[0]
    post(runtime, envelope("checkout.session.completed", session(first.invoice.invoice_id, 22800, "pi_F1")))
    post(runtime, envelope("charge.refunded", charge("pi_F1", "ch_F1", 5000)))
    after = receivable(resources, first.invoice.invoice_id)
    assert (after.status, after.due, after.refunded) == (
        Status.PARTIALLY_PAID,
        Decimal("50.00"),
        Decimal("50.00"),
    )
    assert after.next_step_on is not None
    # An older, smaller running total arriving late changes nothing.
    post(runtime, envelope("charge.refunded", charge("pi_F1", "ch_F1", 2000)))
    assert receivable(resources, first.invoice.invoice_id).refunded == Decimal("50.00")


def test_a_dispute_pauses_reminders_then_won_keeps_paid_lost_reopens(
    runtime, resources, invoices, operator_inbox
):
    for n, (stored, outcome, status) in enumerate(
        ((invoices[0], "won", Status.PAID), (invoices[1], "lost", Status.SENT)), start=1
    ):
        invoice_id, total = stored.invoice.invoice_id, int(stored.receivable.total * 100)
        post(runtime, envelope("checkout.session.completed", session(invoice_id, total, f"pi_X{n}")))
        post(
            runtime,
            envelope("charge.dispute.created", dispute(f"pi_X{n}", f"du_X{n}", total, "needs_response")),
        )
        held = receivable(resources, invoice_id)
        assert (held.status, held.next_step_on) == (Status.DISPUTED, None)
        assert any(stored.invoice.number in m["Subject"] for m in operator_inbox.messages())
        post(runtime, envelope("charge.dispute.closed", dispute(f"pi_X{n}", f"du_X{n}", total, outcome)))
        after = receivable(resources, invoice_id)
        due = Decimal(0) if outcome == "won" else stored.receivable.total
        assert (after.status, after.due) == (status, due), outcome
        assert (after.next_step_on is None) == (outcome == "won")


def test_a_payment_for_an_unknown_invoice_is_kept_for_review_and_alerted(
    runtime, invoices, ledger, operator_inbox
):
    unknown = "inv-" + "0" * 32
    status, _ = post(runtime, envelope("checkout.session.completed", session(unknown, 5000, "pi_U1")))
    assert status == 200
    kept = ledger.get("stripe:pi_U1")
    assert (kept.invoice_id, kept.cents, kept.state) == (None, 5000, State.SUCCEEDED)
    assert [e.group for e in ledger.to_review()] == ["stripe:pi_U1"]
    alerts = [m for m in operator_inbox.messages() if "unmatched payment" in m["Subject"]]
    assert len(alerts) == 1
    assert "50.00 EUR" in alerts[0]["Subject"]


def test_other_event_types_are_acknowledged_and_ignored(runtime, secrets, ledger):
    event = envelope("customer.updated", {"id": "cus_1", "object": "customer"})
    status, body = post(runtime, event)
    assert status == 200
    assert "not an event payments act on" in body["ignored"]
    assert ledger.to_review() == []


def test_anything_but_the_two_routes_is_a_plain_404(runtime, secrets):
    response = runtime.call_url("StripeWebhookFunction", method="GET", path="/stripe/webhook")
    assert response["statusCode"] == 404
    assert runtime.call_url("StripeWebhookFunction", method="POST", path="/")["statusCode"] == 404


def test_two_hundred_events_shuffled_and_concurrent_end_in_the_exact_expected_state(
    runtime, stack, resources, business, secrets, ledger
):
    clients = (factories.company(), factories.person())
    issued = [issue_sent(resources, business, clients[i % 2], f"{100 + i}", i) for i in range(8)]
    events, expected = [], {}
    for i, stored in enumerate(issued):
        invoice_id, total = stored.invoice.invoice_id, int(stored.receivable.total * 100)
        first, rest = total // 2, total - total // 2
        a, b = f"pi_C{i}a", f"pi_C{i}b"
        events += [
            envelope("checkout.session.completed", session(invoice_id, first, a, paid=False)),
            envelope("checkout.session.async_payment_succeeded", session(invoice_id, first, a, paid=False)),
            envelope("checkout.session.completed", session(invoice_id, rest, b)),
        ]
        if i % 3 == 0:  # refunded twice (running totals 10.00 then 25.00)
            events += [
                envelope("charge.refunded", charge(a, f"ch_C{i}", 1000)),
                envelope("charge.refunded", charge(a, f"ch_C{i}", 2500)),
            ]
            expected[invoice_id] = (Status.PARTIALLY_PAID, Decimal("25.00"))
        elif i % 3 == 1:  # disputed and lost on the second payment
            events += [
                envelope("charge.dispute.created", dispute(b, f"du_C{i}", rest, "needs_response")),
                envelope("charge.dispute.closed", dispute(b, f"du_C{i}", rest, "lost")),
            ]
            expected[invoice_id] = (Status.PARTIALLY_PAID, Decimal(rest) / 100)
        else:
            expected[invoice_id] = (Status.PAID, Decimal("0.00"))
    deliveries = [*events, *random.Random(7).choices(events, k=200 - len(events))]
    random.Random(11).shuffle(deliveries)

    spec = stack.functions["StripeWebhookFunction"]
    with runtime._environment(spec):  # one process, several "containers" (threads)
        workers = [StripeWebhook.from_settings(WebhookSettings.from_env()) for _ in range(6)]

        def deliver(n_event: tuple[int, dict[str, Any]]) -> int:
            n, event = n_event
            payload = json.dumps(event)
            for _ in range(50):  # Stripe retries what is not answered 2xx
                answer = workers[n % len(workers)].receive(payload, signature(payload, SECRET))
                if answer.status == 200:
                    return 200
                time.sleep(0.02)
            return answer.status

        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(deliver, enumerate(deliveries)))
    assert statuses == [200] * 200
    for stored in issued:
        after = receivable(resources, stored.invoice.invoice_id)
        assert (after.status, after.due) == expected[stored.invoice.invoice_id], stored.invoice.number
        assert after.pending == Decimal("0.00")
        kinds = sorted(e.kind.value for e in ledger.of_invoice(stored.invoice.invoice_id))
        assert kinds.count(Kind.PAYMENT.value) == 2
    assert ledger.to_review() == []


@pytest.fixture
def stripe_api(stack, runtime):
    """The Stripe API on loopback (the stub), its secret key in SSM, the function pointed at it."""
    from invoicing_tools.local_aws.stripe_stub import StripeStub

    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=f"/{stack.name}/stripe/secret-key",
        Value="sk_test_" + "3" * 24,
        Type="SecureString",
        Overwrite=True,
    )
    with StripeStub() as stub:
        # OnlineSales=Enabled in the template sets ONLINE_SALES; the same stack serves both cases.
        runtime.overrides["StripeWebhookFunction"] = {"STRIPE_API_BASE": stub.url, "ONLINE_SALES": "Enabled"}
        yield stub


def online_sale(stub, session_id: str, intent: str) -> dict[str, Any]:
    """A paid Checkout Session with no invoice of ours (a Payment Link sale) and its line items,
    as the stub serves them: 2 x 12,00 € TTC at 20 % + 6,00 € delivery = 30,00 €."""
    obj = copy.deepcopy(_fixture("stripe-sync-engine", "checkout_session_completed.json")["data"]["object"])
    obj.update(id=session_id, payment_intent=intent, amount_total=3000, currency="eur", metadata={})
    obj["client_reference_id"] = None
    items = []
    for description, quantity, total, tax in (
        ("Coffret découverte", 2, 2400, 400),
        ("Livraison", 1, 600, 100),
    ):
        item = copy.deepcopy(
            json.loads(fixture_path("stripe", "openapi", "fixtures3.json").read_text())["resources"]["item"]
        )
        item.update(
            description=description, quantity=quantity, amount_total=total, amount_tax=tax, currency="eur"
        )
        items.append(item)
    stub.add_session(obj, items)
    return obj


def test_an_online_sale_issues_its_paid_invoice_once_and_a_refund_reopens_it(
    runtime, resources, secrets, stripe_api, ledger, mailbox, operator_inbox
):
    sale = online_sale(stripe_api, "cs_live_sale1", "pi_S1")
    event = envelope("checkout.session.completed", sale)
    assert post(runtime, event)[0] == 200
    retried = envelope("checkout.session.completed", sale)  # Stripe sends it again, another event id
    assert post(runtime, retried)[0] == 200
    runtime.run_until_idle()  # generate issues it, send emails it
    (stored,) = InvoiceRepository(resources).all()
    assert stored.invoice.settled is not None
    assert stored.receivable.status is Status.PAID
    assert stored.invoice.totals.grand_total == Decimal("30.00")
    assert ledger.get("stripe:pi_S1").invoice_id == stored.invoice.invoice_id
    assert ledger.to_review() == []
    assert [r.path for r in stripe_api.requests].count(f"/v1/checkout/sessions/{sale['id']}/line_items") == 2
    assert len(mailbox.about(stored.invoice.invoice_id)) == 1
    assert not [m for m in operator_inbox.messages() if "unmatched" in m["Subject"]]

    post(runtime, envelope("charge.refunded", charge("pi_S1", "ch_S1", 600)))
    after = receivable(resources, stored.invoice.invoice_id)
    assert (after.status, after.due) == (Status.PARTIALLY_PAID, Decimal("6.00"))


def test_without_online_sales_a_sale_is_kept_for_review(runtime, resources, secrets, ledger, operator_inbox):
    stub_free = copy.deepcopy(
        _fixture("stripe-sync-engine", "checkout_session_completed.json")["data"]["object"]
    )
    stub_free.update(payment_intent="pi_N1", currency="eur", metadata={})
    assert post(runtime, envelope("checkout.session.completed", stub_free))[0] == 200
    assert [e.group for e in ledger.to_review()] == ["stripe:pi_N1"]
    assert list(InvoiceRepository(resources).all()) == []
    assert [m for m in operator_inbox.messages() if "unmatched payment" in m["Subject"]]


# --- what a hostile review found ------------------------------------------------------------------


def alerts_about(operator_inbox, words: str) -> list[dict]:
    return [m for m in operator_inbox.messages() if words in m["Subject"]]


def test_a_payment_its_invoice_cannot_take_is_kept_for_review_not_retried_for_ever(
    runtime, resources, invoices, ledger, operator_inbox
):
    first = invoices[0]
    dollars = session(first.invoice.invoice_id, 22800, "pi_USD1")
    dollars["currency"] = "usd"
    assert post(runtime, envelope("checkout.session.completed", dollars))[0] == 200
    kept = ledger.get("stripe:pi_USD1")
    assert kept.invoice_id is None
    assert "paid in USD" in kept.label
    assert [e.group for e in ledger.to_review()] == ["stripe:pi_USD1"]
    (alert,) = alerts_about(operator_inbox, "unmatched payment")
    assert "paid in USD" in alert["Message"]
    assert receivable(resources, first.invoice.invoice_id).status is Status.SENT


def test_an_overpayment_is_alerted(runtime, resources, invoices, operator_inbox):
    first = invoices[0]
    post(runtime, envelope("checkout.session.completed", session(first.invoice.invoice_id, 22800, "pi_O1")))
    assert alerts_about(operator_inbox, "overpayment") == []
    post(runtime, envelope("checkout.session.completed", session(first.invoice.invoice_id, 22800, "pi_O2")))
    (alert,) = alerts_about(operator_inbox, "overpayment")
    assert "228.00 EUR" in alert["Message"]
    assert receivable(resources, first.invoice.invoice_id).owed_to_customer == Decimal("228.00")


def test_a_client_reference_id_added_to_a_payment_link_names_no_invoice(runtime, resources, invoices, ledger):
    first = invoices[0]
    forged = session(None, 500, "pi_F5")
    forged["client_reference_id"] = first.invoice.invoice_id  # anyone can add it to a link's URL
    assert post(runtime, envelope("checkout.session.completed", forged))[0] == 200
    assert receivable(resources, first.invoice.invoice_id).paid == Decimal("0.00")
    assert ledger.get("stripe:pi_F5").invoice_id is None


def test_a_refund_of_a_stripe_payment_that_is_none_of_ours_is_not_money_to_review(runtime, secrets, ledger):
    assert post(runtime, envelope("charge.refunded", charge("pi_OTHER", "ch_OTHER", 5000)))[0] == 200
    assert ledger.group("stripe:pi_OTHER")  # kept in the ledger…
    assert ledger.to_review() == []  # …but not listed as a credit to assign


def test_a_body_that_is_not_utf8_or_not_base64_is_a_400(runtime, secrets):
    for encoded in (base64.b64encode(b"\xff\xfe\x00garbage").decode(), "%%% not base64 %%%"):
        event = {
            "version": "2.0",
            "rawPath": "/stripe/webhook",
            "rawQueryString": "",
            "headers": {"stripe-signature": "t=1,v1=00", "host": "local.lambda-url"},
            "requestContext": {
                "http": {"method": "POST", "path": "/stripe/webhook"},
                "domainName": "x",
                "stage": "$default",
            },
            "body": encoded,
            "isBase64Encoded": True,
        }
        assert runtime.invoke("StripeWebhookFunction", event)["statusCode"] == 400, encoded


def test_events_of_the_other_mode_are_ignored_and_alerted(
    runtime, stack, resources, invoices, ledger, operator_inbox
):
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=f"/{stack.name}/stripe/secret-key",
        Value="sk_live_" + "4" * 24,
        Type="SecureString",
        Overwrite=True,
    )
    first = invoices[0]
    status, body = post(
        runtime, envelope("checkout.session.completed", session(first.invoice.invoice_id, 22800, "pi_M1"))
    )
    assert status == 200
    assert body["ignored"] == "a test-mode event on a live stack"
    assert ledger.get("stripe:pi_M1") is None
    assert alerts_about(operator_inbox, "other mode")


def test_an_event_from_the_stripe_eventbridge_destination_is_applied_without_a_signature(
    runtime, resources, invoices, ledger
):
    first = invoices[0]
    event = envelope("checkout.session.completed", session(first.invoice.invoice_id, 22800, "pi_EB1"))
    delivery = {  # what an EventBridge rule on Stripe's partner event bus hands the function
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "checkout.session.completed",
        "source": "aws.partner/stripe.com/ed_test_61ReBSeBVkBCLxQ1YVtp",
        "account": "123456789012",
        "time": "2026-11-26T12:00:00Z",
        "region": "eu-west-3",
        "resources": [],
        "detail": event,
    }
    answer = runtime.invoke("StripeWebhookFunction", delivery)
    assert answer["id"] == event["id"]
    assert receivable(resources, first.invoice.invoice_id).status is Status.PAID
    runtime.invoke("StripeWebhookFunction", delivery)  # EventBridge delivers at least once
    assert len(ledger.of_invoice(first.invoice.invoice_id)) == 1
    # A malformed event on the bus is acknowledged as unreadable and changes nothing.
    odd = runtime.invoke("StripeWebhookFunction", {**delivery, "detail": {"object": "event", "id": "evt_x"}})
    assert "no type" in odd["ignored"]
    assert len(ledger.of_invoice(first.invoice.invoice_id)) == 1
