"""The local Stripe stub answers the stripe library as Stripe does: shapes, errors, idempotency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stripe

from invoicing_tools.local_aws.stripe_stub import FIXTURES, StripeStub, parse_form

KEY = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"


@pytest.fixture(scope="module")
def stub():
    with StripeStub() as running:
        yield running


@pytest.fixture
def api(stub) -> stripe.StripeClient:
    stub.reset()
    return stripe.StripeClient(KEY, base_addresses={"api": stub.url}, max_network_retries=0)


def session_params(**changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 1250,
                    "product_data": {"name": "Facture F1"},
                },
            }
        ],
        "success_url": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/pay",
        "metadata": {"invoice_id": "inv-1"},
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def test_bracket_notation_becomes_nested_dicts_and_lists() -> None:
    pairs = [
        ("line_items[0][price_data][currency]", "eur"),
        ("line_items[1][quantity]", "2"),
        ("line_items[0][quantity]", "1"),
        ("payment_method_types[0]", "card"),
        ("payment_method_types[1]", "sepa_debit"),
        ("metadata[invoice_id]", "inv-1"),
        ("expand[]", "line_items"),
        ("mode", "payment"),
    ]
    assert parse_form(pairs) == {
        "line_items": [{"price_data": {"currency": "eur"}, "quantity": "1"}, {"quantity": "2"}],
        "payment_method_types": ["card", "sepa_debit"],
        "metadata": {"invoice_id": "inv-1"},
        "expand": ["line_items"],
        "mode": "payment",
    }


def test_a_created_session_has_stripe_shape_and_its_line_items(api, stub) -> None:
    session = api.v1.checkout.sessions.create(params=session_params())
    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.url == f"{stub.url}/c/pay/{session.id}"
    assert (session.amount_total, session.currency, session.status, session.payment_status) == (
        2500,
        "eur",
        "open",
        "unpaid",
    )
    assert session.metadata.to_dict() == {"invoice_id": "inv-1"}
    if FIXTURES.exists():  # the OpenAPI example's every field, not only the built-in few
        assert "phone_number_collection" in session
    assert session.amount_total == 2500
    extra = {
        "quantity": 1,
        "price_data": {"currency": "eur", "unit_amount": 99, "product_data": {"name": "Port"}},
    }
    two = api.v1.checkout.sessions.create(
        params=session_params(line_items=[*session_params()["line_items"], extra])
    )
    items = api.v1.checkout.sessions.line_items.list(two.id, params={"limit": 1})
    assert items.has_more is True
    every = list(items.auto_paging_iter())
    assert [(i.object, i.description, i.quantity, i.amount_total) for i in every] == [
        ("item", "Facture F1", 2, 2500),
        ("item", "Port", 1, 99),
    ]
    assert every[0].price.unit_amount == 1250
    assert two.amount_total == 2599
    expanded = api.v1.checkout.sessions.retrieve(two.id, params={"expand": ["line_items"]})
    assert [i.id for i in expanded.line_items.data] == [i.id for i in every]


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"mode": None}, "mode"),
        ({"success_url": "not a url"}, "success_url"),
        ({"line_items": []}, "line_items"),
        (
            {"line_items": [{"price_data": {"currency": "eur", "unit_amount": 100}}]},
            "line_items[0][quantity]",
        ),
        (
            {
                "line_items": [
                    {"quantity": 1, "price_data": {"currency": "eur", "product_data": {"name": "x"}}}
                ]
            },
            "line_items[0][price_data][unit_amount]",
        ),
        ({"payment_method_types": ["card", "cheque"]}, "payment_method_types[1]"),
        ({"payment_method_types": ["customer_balance"]}, "customer"),
        ({"locale": "fr-FR"}, "locale"),
        ({"custmer_email": "a@b.example"}, "custmer_email"),
        ({"customer_email": "not an email"}, "customer_email"),
        ({"metadata": {"invoice_id": "x" * 501}}, "metadata[invoice_id]"),
    ],
)
def test_wrong_checkout_parameters_get_stripe_invalid_request_error(api, stub, changes, param) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        api.v1.checkout.sessions.create(params=session_params(**changes))
    assert refused.value.http_status == 400
    assert refused.value.param == param
    assert stub.sessions == {}


def test_checkout_refuses_what_stripe_refuses_about_amounts_and_customers(api) -> None:
    tiny = [
        {"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 49, "product_data": {"name": "x"}}}
    ]
    with pytest.raises(stripe.InvalidRequestError, match=r"at least 0\.50 eur"):
        api.v1.checkout.sessions.create(params=session_params(line_items=tiny))
    customer = api.v1.customers.create(params={"email": "compta@client.example"})
    with pytest.raises(stripe.InvalidRequestError, match="only specify one of these parameters"):
        api.v1.checkout.sessions.create(
            params=session_params(customer=customer.id, customer_email="compta@client.example")
        )
    bank = {
        "customer_balance": {"funding_type": "bank_transfer", "bank_transfer": {"type": "eu_bank_transfer"}}
    }
    with pytest.raises(stripe.InvalidRequestError) as refused:
        api.v1.checkout.sessions.create(
            params=session_params(
                customer=customer.id, payment_method_types=["customer_balance"], payment_method_options=bank
            )
        )
    assert (
        refused.value.param
        == "payment_method_options[customer_balance][bank_transfer][eu_bank_transfer][country]"
    )


def test_one_idempotency_key_is_one_answer_and_other_parameters_are_refused(api, stub) -> None:
    first = api.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "k-1"})
    again = api.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "k-1"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        api.v1.checkout.sessions.create(
            params=session_params(metadata={"invoice_id": "inv-2"}), options={"idempotency_key": "k-1"}
        )
    assert len(stub.sessions) == 1
    assert [r.idempotency_key for r in stub.requests] == ["k-1"] * 3
    assert [r.answered for r in stub.requests] == [200, 200, 400]
    # A request refused by validation does not use its key up.
    with pytest.raises(stripe.InvalidRequestError):
        api.v1.checkout.sessions.create(params=session_params(mode=None), options={"idempotency_key": "k-2"})
    assert api.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "k-2"}).id


def test_only_secret_keys_get_in(stub) -> None:
    for key in ("pk_test_123456789012345", "sk_test_"):
        with pytest.raises(stripe.AuthenticationError) as refused:
            stripe.StripeClient(key, base_addresses={"api": stub.url}).v1.customers.create()
        assert refused.value.http_status == 401
        assert key not in str(refused.value.json_body)
    strict = StripeStub(api_key=KEY)
    with strict, pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_other0000", base_addresses={"api": strict.url}).v1.customers.create()


def test_failures_on_demand_seeded_sessions_and_missing_objects(api, stub) -> None:
    stub.fail_next(429, "invalid_request_error", "Too many requests", code="rate_limit")
    with pytest.raises(stripe.RateLimitError):
        api.v1.customers.create()
    stub.drop_next()
    with pytest.raises(stripe.APIConnectionError):
        api.v1.customers.create()
    assert stub.customers == {}

    seeded = stub.add_session(
        {"id": "cs_test_sale1", "status": "complete", "payment_status": "paid", "amount_total": 4200,
         "currency": "eur", "payment_intent": "pi_sale1"},
        [{"description": "Panier garni", "quantity": 1, "amount_total": 4200}],
        payment_intent={"id": "pi_sale1", "amount": 4200, "status": "succeeded"},
    )  # fmt: skip
    assert seeded["id"] == "cs_test_sale1"
    session = api.v1.checkout.sessions.retrieve("cs_test_sale1", params={"expand": ["payment_intent"]})
    assert session.payment_intent.status == "succeeded"
    (item,) = api.v1.checkout.sessions.line_items.list("cs_test_sale1").data
    assert (item.description, item.amount_total, item.id.startswith("li_")) == ("Panier garni", 4200, True)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        api.v1.payment_intents.retrieve("pi_nope")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_without_the_openapi_fixtures_the_built_in_shapes_serve(tmp_path: Path) -> None:
    with StripeStub(fixtures=tmp_path / "absent.json") as bare:
        api = stripe.StripeClient(KEY, base_addresses={"api": bare.url})
        session = api.v1.checkout.sessions.create(params=session_params())
        assert (session.object, session.amount_total, session.status) == ("checkout.session", 2500, "open")
        assert "phone_number_collection" not in session
        bare.complete_session(session.id)
        intent = api.v1.payment_intents.retrieve(api.v1.checkout.sessions.retrieve(session.id).payment_intent)
        assert (intent.status, intent.amount) == ("succeeded", 2500)
