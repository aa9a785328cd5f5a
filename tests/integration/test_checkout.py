"""Payment links against the local AWS: invoices issued by dropping a sales export, tokens signed
with the stack's keys from SSM, the Stripe key read from SSM, and Stripe reached through the
stripe library over HTTP to the local stub, which checks and records what it is sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from aws_lambda_powertools.utilities import parameters

from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.domain.ledger import Entry, Kind, Source, State
from invoicing.domain.tokens import Keyring, Purpose, sign
from invoicing.services import clock
from invoicing.services.checkout import Page, PayLinks
from invoicing.settings import WebhookSettings
from invoicing_tools.local_aws.server import client
from invoicing_tools.local_aws.stripe_stub import StripeStub
from tests.conftest import sales_csv

STRIPE_KEY = "sk_test_" + "51Checkout" + "7" * 30  # a test value, stored in the local SSM like the real one
BASE = "https://pay.example.test"
SESSIONS = "/v1/checkout/sessions"
ROWS = {
    "C001": "C001;03/11/2026;Audit;2;h;95;20;;;",  # 228.00, French
    "C002": "C002;03/11/2026;Consulting;6;h;110;0;;;autoliquidation",  # 660.00, English
    "C003": "C003;03/11/2026;Atelier;1;u;80;20;;;",  # 96.00, French
}


@pytest.fixture(scope="module")
def stub():
    with StripeStub(api_key=STRIPE_KEY) as running:
        yield running


@pytest.fixture
def settings(stack, stub) -> WebhookSettings:
    stub.reset()
    env = {**stack.functions["StripeWebhookFunction"].environment, "STRIPE_API_BASE": stub.url}
    result = WebhookSettings.from_env(env)
    put_stripe_key(result, STRIPE_KEY)
    return result


def put_stripe_key(settings: WebhookSettings, value: str) -> None:
    assert settings.api_key_parameter
    client("ssm").put_parameter(
        Name=settings.api_key_parameter, Value=value, Type="SecureString", Overwrite=True
    )
    parameters.clear_caches()  # Powertools keeps secrets 5 minutes: this test's value, now


@pytest.fixture
def links(settings) -> PayLinks:
    return PayLinks.from_settings(settings)


@pytest.fixture
def keys(stack) -> Keyring:
    value = client("ssm").get_parameter(Name=stack.token_keys_parameter(), WithDecryption=True)
    return Keyring.parse(value["Parameter"]["Value"])


@pytest.fixture
def issue(runtime, bucket, resources, with_clients) -> Callable[..., dict[str, StoredInvoice]]:
    """Issue invoices for these clients through generate, as a dropped sales export does."""

    def issued(*refs: str) -> dict[str, StoredInvoice]:
        bucket.put("incoming/ventes.csv", sales_csv([ROWS[ref] for ref in refs]))
        while runtime.poll("GenerateFunction"):  # issued; sending them is not needed here
            pass
        found = {s.invoice.buyer.ref: s for s in InvoiceRepository(resources).all()}
        assert sorted(found) == sorted(refs)
        return found

    return issued


def token_for(invoice_id: str, keys: Keyring, *, days: int = 30, purpose: Purpose = Purpose.PAY) -> str:
    return sign(invoice_id, purpose, clock.today("Europe/Paris") + timedelta(days=days), keys)


def session_of(page: Page) -> str:
    assert page.status == 303
    assert page.location is not None
    return page.location.rsplit("/", 1)[-1]


def test_a_link_opens_one_checkout_session_for_what_is_due(issue, keys, links, stub, settings):
    issued = issue("C001", "C002")
    first = issued["C001"].invoice
    token = token_for(first.invoice_id, keys)

    page = links.open(token, base_url=BASE + "/", accept_language="en-US,en;q=0.9")
    again = links.open(token, base_url=BASE)  # a double click, a reload

    session_id = session_of(page)
    assert again.location == page.location == f"{stub.url}/c/pay/{session_id}"
    assert session_id.startswith("cs_test_")
    assert list(stub.sessions) == [session_id]
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    customer_calls = stub.requests_to("POST", "/v1/customers")
    session_calls = stub.requests_to("POST", SESSIONS)
    # One key per invoice and amount: Stripe answered the second click with the first session.
    assert [r.idempotency_key for r in session_calls] == [session_calls[0].idempotency_key] * 2
    assert session_calls[0].idempotency_key.startswith(f"pay-{first.invoice_id}-22800-")
    assert {r.headers["authorization"] for r in stub.requests} == {f"Bearer {STRIPE_KEY}"}
    # The customer a bank transfer needs, with the invoice's buyer, made once.
    assert len({r.idempotency_key for r in customer_calls}) == 1
    assert customer_calls[0].params == {
        "name": "Boulangerie Lefèvre SAS",
        "email": "compta@lefevre.example",
        "metadata": {"client_ref": "C001", "invoice_id": first.invoice_id},
        "preferred_locales": ["fr"],
    }
    (customer_id,) = stub.customers
    metadata = {"invoice_id": first.invoice_id, "invoice_number": first.number}
    assert session_calls[0].params == {
        "mode": "payment",
        "line_items": [
            {
                "quantity": "1",
                "price_data": {
                    "currency": "eur",
                    "unit_amount": "22800",
                    "product_data": {"name": f"Facture {first.number}"},
                },
            }
        ],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": f"Facture {first.number}"},
        "client_reference_id": first.invoice_id,
        "customer": customer_id,
        "payment_method_types": ["card", "sepa_debit", "customer_balance"],
        "payment_method_options": {
            "customer_balance": {
                "funding_type": "bank_transfer",
                "bank_transfer": {"type": "eu_bank_transfer", "eu_bank_transfer": {"country": "FR"}},
            }
        },
        "locale": "fr",  # the invoice's language, not the browser's
        "success_url": f"{BASE}/pay/{token}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{BASE}/pay/{token}",
    }
    assert stub.sessions[session_id]["amount_total"] == 22800
    assert requests.get(page.location, timeout=5).status_code == 200  # the stub's checkout page

    # An English invoice, on a stack that offers cards only: no Stripe customer, the buyer's email.
    english = issued["C002"].invoice
    card_only = PayLinks.from_settings(replace(settings, payment_methods=("card",)))
    english_session = session_of(card_only.open(token_for(english.invoice_id, keys), base_url=BASE))
    sent = stub.requests_to("POST", SESSIONS)[-1].params
    assert sent["line_items"][0]["price_data"]["product_data"] == {"name": f"Invoice {english.number}"}
    assert sent["line_items"][0]["price_data"]["unit_amount"] == "66000"
    assert (sent["locale"], sent["customer_email"], sent["payment_method_types"]) == (
        "en",
        "accounts@ourthe.example",
        ["card"],
    )
    assert "customer" not in sent
    assert "payment_method_options" not in sent
    assert len(stub.customers) == 1

    # A day later Stripe still replays the first session, now expired: a new one, the same for
    # every click; once the customer has started paying, no session at all.
    stub.expire_session(session_id)
    renewed = session_of(links.open(token, base_url=BASE))
    assert renewed not in (session_id, english_session)
    assert session_of(links.open(token, base_url=BASE)) == renewed
    stub.complete_session(renewed, payment_status="unpaid")  # a SEPA debit, not yet recorded
    later = links.open(token, base_url=BASE)
    assert later.status == 200
    assert "<h1>Paiement en cours</h1>" in later.body
    assert len(stub.sessions) == 3

    # Back from Checkout: thanks, in the invoice's language, even once the link has expired.
    for thanks in (links.thanks(token), links.thanks(token_for(first.invoice_id, keys, days=-1))):
        assert thanks.status == 200
        assert "<h1>Merci</h1>" in thanks.body
        assert first.number in thanks.body


def test_what_was_paid_or_is_on_its_way_is_not_asked_again(issue, keys, links, stub, resources):
    issued = issue("C001", "C002", "C003")
    repo = InvoiceRepository(resources)
    today = clock.today("Europe/Paris")
    paid, pending, partly = issued["C001"].invoice, issued["C002"].invoice, issued["C003"].invoice
    repo.update(paid.invoice_id, lambda r: r.record_payment("bank:x", r.due, today, "transfer"))
    sepa = Entry("stripe:pi_S1", Kind.PAYMENT, "pi_S1", State.PENDING, 66000, today, Source.STRIPE,
                 method="sepa_debit", invoice_id=pending.invoice_id)  # fmt: skip
    repo.update(pending.invoice_id, lambda r: r.settle([sepa]))
    repo.update(partly.invoice_id, lambda r: r.record_payment("bank:y", Decimal("50.00"), today, "transfer"))

    nothing = links.open(token_for(paid.invoice_id, keys), base_url=BASE)
    on_its_way = links.open(token_for(pending.invoice_id, keys), base_url=BASE)
    assert (nothing.status, on_its_way.status) == (200, 200)
    assert "<h1>Rien à payer</h1>" in nothing.body
    assert paid.number in nothing.body
    assert "<h1>Payment in progress</h1>" in on_its_way.body
    assert stub.requests == []  # Stripe was not asked

    session_of(links.open(token_for(partly.invoice_id, keys), base_url=BASE))
    (sent,) = stub.requests_to("POST", SESSIONS)
    assert sent.params["line_items"][0]["price_data"]["unit_amount"] == "4600"  # 96.00 - 50.00
    assert sent.idempotency_key.startswith(f"pay-{partly.invoice_id}-4600-")


def test_stripe_failing_shows_the_bank_transfer_details_and_never_the_key(
    issue, keys, links, stub, settings, capsys
):
    invoice = issue("C001")["C001"].invoice
    token = token_for(invoice.invoice_id, keys)
    capsys.readouterr()

    stub.fail_next(500, "api_error", "Something went wrong on Stripe's end.")
    outage = links.open(token, base_url=BASE)
    stub.drop_next(2)  # the connection lost, and lost again on the library's one retry
    network = links.open(token, base_url=BASE)
    put_stripe_key(settings, "sk_test_" + "revoked" + "0" * 20)  # a key Stripe refuses
    refused = links.open(token, base_url=BASE)

    for page in (outage, network, refused):
        assert page.status == 503
        assert page.location is None
        assert "FR76 3000 6000 0112 3456 7890 189" in page.body  # the seller's IBAN, grouped
        assert f"<strong>{invoice.number}</strong>" in page.body  # the transfer's reference
        assert "228,00\u00a0€" in page.body
        assert "sk_" not in page.body
    assert stub.sessions == {}
    logs = capsys.readouterr().out
    assert logs.count("Stripe Checkout unavailable") == 3
    assert '"http_status":500' in logs
    assert '"error":"APIConnectionError"' in logs
    assert '"error":"AuthenticationError"' in logs
    for secret in (STRIPE_KEY, "revoked", token):
        assert secret not in logs

    put_stripe_key(settings, STRIPE_KEY)  # back: the client is rebuilt for the new key
    session_of(links.open(token, base_url=BASE))


def test_bad_tokens_get_the_same_404_and_stripe_is_never_called(stack, keys, links, stub):
    unknown = "inv-" + "0" * 32  # an authentic signature, but no such invoice
    good = token_for(unknown, keys)
    flipped = good[:10] + ("a" if good[10] != "a" else "b") + good[11:]
    someone = "inv-" + "1" * 32
    bad = {
        "tampered": flipped,
        "expired": token_for(someone, keys, days=-1),
        "reply token": token_for(someone, keys, purpose=Purpose.REPLY),
        "other key": token_for(someone, Keyring.parse("9:" + "A" * 43)),
        "no such invoice": good,
        "garbage": "<script>alert(1)</script>" * 100,
        "empty": "",
    }
    pages = {why: links.open(token, base_url=BASE) for why, token in bad.items()}
    for why, page in pages.items():
        assert page.status == 404, why
        assert page.body == pages["tampered"].body, why  # nothing says why
    body = pages["tampered"].body
    assert body.index("<h1>Lien de paiement invalide</h1>") < body.index("<h1>Invalid payment link</h1>")
    assert "<script>" not in body
    english_first = links.open(flipped, base_url=BASE, accept_language="en-GB,en;q=0.9,fr;q=0.8").body
    assert english_first.index("<h1>Invalid payment link</h1>") < english_first.index("<h1>Lien de paiement")
    assert links.thanks(flipped).status == 404
    assert stub.requests == []


def test_unreadable_link_keys_answer_503_without_stripe(settings, stub):
    links = PayLinks.from_settings(replace(settings, token_keys_parameter="/nowhere/tokens/keys"))
    page = links.open("a" * 56, base_url=BASE)
    assert page.status == 503
    assert "<h1>Online payment temporarily unavailable</h1>" in page.body
    assert stub.requests == []
