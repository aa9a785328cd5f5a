"""A sale paid online (the file the stripe_webhook function writes) to the draft of its paid invoice.

Sessions and line items are Stripe's real shapes, read from ../shared/fixtures/stripe: recorded
``checkout.session.completed`` events and the ``item`` (a Checkout line item) and ``tax_rate``
objects of Stripe's OpenAPI fixtures, with the amounts of each case put in.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoicing.domain.invoice import LineAmounts, Settlement
from invoicing.domain.parties import Locale, Seller
from invoicing.domain.problems import InputRejected, Problem
from invoicing.domain.vat import FRENCH_RATES, VatCategory, VatTreatment
from invoicing.ingest.online_sale import MAX_ITEMS, read_online_sale
from invoicing.ingest.report import problems_csv
from invoicing.services.payments import online_sale_invoice_id
from tests.conftest import fixture_path

KEY = "incoming/stripe/sale.json"


@cache
def _json(*parts: str) -> Any:
    return json.loads(fixture_path(*parts).read_text(encoding="utf-8"))


def recorded_session(name: str = "sync-engine") -> dict[str, Any]:
    """The Checkout Session of a recorded ``checkout.session.completed`` event."""
    path = {
        "sync-engine": ("stripe", "events", "stripe-sync-engine", "checkout_session_completed.json"),
        "ruby-mock": ("stripe", "events", "stripe-ruby-mock", "checkout.session.completed.json"),
    }[name]
    return copy.deepcopy(_json(*path)["data"]["object"])


def api_object(name: str) -> dict[str, Any]:
    """An object of Stripe's OpenAPI fixtures (``checkout.session``, ``item``, ``tax_rate``...)."""
    return copy.deepcopy(_json("stripe", "openapi", "fixtures3.json")["resources"][name])


def item(description: str, quantity: int, total: int, tax: int = 0, **fields: Any) -> dict[str, Any]:
    """A Checkout line item: ``total`` cents paid for it, ``tax`` of which is VAT."""
    found = api_object("item")
    found.update(
        description=description,
        quantity=quantity,
        amount_subtotal=total,
        amount_discount=0,
        amount_tax=tax,
        amount_total=total,
        currency="eur",
    )
    found.update(fields)
    return found


def tax(amount: int, percentage: str | int, country: str = "FR", **fields: Any) -> dict[str, Any]:
    """One entry of a line item's ``taxes`` (when the webhook expands them), with a real tax_rate."""
    rate = api_object("tax_rate")
    # A JSON number, as Stripe writes it (5.5); the reader takes it as a Decimal, never a float.
    rate.update(percentage=float(percentage), country=country, jurisdiction=country, inclusive=True)
    return {"amount": amount, "rate": rate, "taxability_reason": "standard_rated", **fields}


def sale(
    items: list[dict[str, Any]] | None = None,
    *,
    session: dict[str, Any] | None = None,
    shipping: dict[str, Any] | None = None,
    **envelope: Any,
) -> dict[str, Any]:
    """The file the webhook writes: the recorded session with ``items``, paid in full."""
    found = session if session is not None else recorded_session()
    found["currency"] = "eur"
    items = items if items is not None else [item("Coffret découverte", 2, 2400, 400)]
    found["line_items"] = {"object": "list", "data": items, "has_more": False, "url": "/v1/..."}
    if shipping is not None:
        found["shipping_cost"] = shipping
    found["amount_total"] = sum(i["amount_total"] for i in items) + (shipping or {}).get("amount_total", 0)
    return {
        "source": "stripe",
        "event_id": "evt_1QzY8tB7WZ01zgkW",
        "livemode": False,
        "paid_on": "2026-11-26",
        "payment_id": "stripe:pi_1IqxJOJDPojXS6LN9uOebAea",
        "method": "card",
        "session": found,
        **envelope,
    }


def read(document: dict[str, Any] | bytes, seller: Seller, **kwargs: Any):  # type: ignore[no-untyped-def]
    data = document if isinstance(document, bytes) else json.dumps(document, default=str).encode()
    return read_online_sale(data, KEY, seller=seller, **kwargs)


def refused(document: dict[str, Any] | bytes, seller: Seller) -> tuple[Problem, ...]:
    with pytest.raises(InputRejected) as caught:
        read(document, seller)
    return caught.value.problems


def codes(problems: tuple[Problem, ...]) -> set[str]:
    return {p.code for p in problems}


# --- a real session becomes the draft of a paid invoice ---------------------------------------------------


def test_a_recorded_session_becomes_a_paid_invoice_draft(seller: Seller) -> None:
    document = sale()
    session = document["session"]
    draft = read(document, seller)

    buyer = draft.buyer
    assert buyer.ref == f"stripe-{session['customer']}" == "stripe-cus_IhGfebO16cMIGN"
    assert (buyer.name, buyer.email) == ("Copple", "billz@supabase.io")
    assert not buyer.is_business  # a private person: no VAT number given
    # Stripe collected no address (every field ""): none is invented, the country is the seller's.
    assert (buyer.address.lines, buyer.address.postcode, buyer.address.city) == ((), "", "")
    assert buyer.address.country == "FR"
    assert buyer.payment_terms is not None
    assert buyer.payment_terms.days == 0

    assert draft.settled == Settlement(date(2026, 11, 26), "card", "stripe:pi_1IqxJOJDPojXS6LN9uOebAea")
    assert (draft.period_start, draft.period_end) == (date(2026, 11, 26), date(2026, 11, 26))
    assert draft.order_ref == session["id"]
    assert draft.source is not None
    assert (draft.source.file_key, draft.source.group) == (KEY, "sale")
    # The id the webhook records the payment against.
    assert draft.source.invoice_id == online_sale_invoice_id(session["id"])

    [line] = draft.lines
    assert (line.description, line.quantity, line.vat) == (
        "Coffret découverte",
        Decimal(2),
        VatTreatment.standard(Decimal(20)),
    )
    # Priced as paid, VAT included: 12,00 € each; 10,00 € each excluding VAT on the invoice.
    assert draft.prices_include_vat
    assert line.unit_price == Decimal("12.00")
    totals = draft.totals()
    assert (totals.tax_basis_total, totals.vat_total, totals.grand_total) == (
        Decimal("20.00"),
        Decimal("4.00"),
        Decimal("24.00"),
    )
    assert totals.lines == (LineAmounts(Decimal("10.00"), Decimal("20.00")),)


def test_the_invoice_id_depends_on_the_session_only(seller: Seller) -> None:
    document = sale()
    first = read(document, seller)
    # The same session written again: other bytes (key order, spacing, another event, another day).
    again = dict(reversed(list({**document, "event_id": "evt_other", "livemode": True}.items())))
    second = read_online_sale(
        json.dumps(again, indent=2, default=str).encode(), "incoming/stripe/other.json", seller=seller
    )
    assert second.source is not None
    assert first.source is not None
    assert second.source.invoice_id == first.source.invoice_id
    other = sale()
    other["session"]["id"] = "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY"
    assert read(other, seller).source.invoice_id != first.source.invoice_id  # type: ignore[union-attr]


def test_a_guest_checkout_is_known_by_its_email_and_named_by_it(seller: Seller) -> None:
    """The OpenAPI example session: no customer object, no name, only an e-mail address."""
    session = api_object("checkout.session")
    session["shipping_cost"] = None  # the example's amounts are random (more tax than total)
    assert session["customer"] is None
    assert session["customer_details"]["name"] is None
    draft = read(sale(session=session), seller)
    assert draft.buyer.name == draft.buyer.email == "example@example.com"
    assert draft.buyer.ref.startswith("stripe-")
    assert len(draft.buyer.ref) <= 35
    shouting = api_object("checkout.session")
    shouting["shipping_cost"] = None
    shouting["customer_details"]["email"] = "EXAMPLE@example.com"
    assert read(sale(session=shouting), seller).buyer.ref == draft.buyer.ref


def test_a_business_customer_gives_its_vat_number(seller: Seller) -> None:
    session = recorded_session()
    session["customer_details"].update(
        business_name="Société Dauphinoise de Transports",
        tax_ids=[{"type": "fr_siret", "value": "x"}, {"type": "eu_vat", "value": "FR 19 428716302"}],
        address={
            "line1": "8 avenue Alsace-Lorraine",
            "line2": "",
            "postal_code": "38000",
            "city": "Grenoble",
            "country": "FR",
            "state": None,
        },
    )
    buyer = read(sale(session=session), seller).buyer
    assert buyer.is_business
    assert (buyer.vat_id, buyer.siren) == ("FR19428716302", "428716302")
    assert buyer.name == "Société Dauphinoise de Transports"
    assert (buyer.address.lines, buyer.address.postcode, buyer.address.city) == (
        ("8 avenue Alsace-Lorraine",),
        "38000",
        "Grenoble",
    )


def test_language_follows_the_checkout_locale(seller: Seller) -> None:
    session = recorded_session()
    session["locale"] = "en-GB"
    ship = {"amount_subtotal": 600, "amount_tax": 100, "amount_total": 600, "shipping_rate": "shr_1"}
    draft = read(sale(session=session, shipping=ship), seller)
    assert draft.buyer.locale is Locale.EN
    assert [line.description for line in draft.lines] == ["Coffret découverte", "Shipping"]
    session = recorded_session()
    session["locale"] = "auto"
    assert read(sale(session=session), seller, default_locale=Locale.EN).buyer.locale is Locale.EN


# --- VAT and the total paid ---------------------------------------------------------------------------------


def test_without_tax_data_prices_include_vat_at_the_standard_rate(seller: Seller) -> None:
    """French consumer prices are TTC: 2 x 10,00 € paid is 16,67 € HT and 3,33 € of VAT at 20 %."""
    draft = read(sale([item("Bougie parfumée", 2, 2000)]), seller)
    totals = draft.totals()
    assert (totals.tax_basis_total, totals.vat_total, totals.grand_total) == (
        Decimal("16.67"),
        Decimal("3.33"),
        Decimal("20.00"),
    )
    [line] = draft.lines
    assert line.vat == VatTreatment.standard(Decimal(20))
    assert (line.quantity, line.unit_price) == (Decimal(2), Decimal("10.00"))
    assert totals.lines == (LineAmounts(Decimal("8.335"), Decimal("16.67")),)  # 2 x 8,335 is 16,67


def test_the_rate_follows_from_stripes_tax_amounts(seller: Seller) -> None:
    """Line items listed without their taxes expanded: 2,00 € on 10,00 € is 20 %, 0,55 € on 10,00 €
    is 5,5 %; each rate keeps its own base."""
    draft = read(sale([item("Coffret", 1, 1200, 200), item("Livre de recettes", 1, 1055, 55)]), seller)
    rates = {b.vat.rate: (b.basis, b.amount) for b in draft.totals().breakdown}
    assert rates == {
        Decimal(20): (Decimal("10.00"), Decimal("2.00")),
        Decimal("5.5"): (Decimal("10.00"), Decimal("0.55")),
    }
    assert draft.totals().grand_total == Decimal("22.55")


def test_the_rate_is_read_from_expanded_taxes(seller: Seller) -> None:
    draft = read(sale([item("Repas", 1, 1100, 100, taxes=[tax(100, 10)])]), seller)
    assert draft.lines[0].vat == VatTreatment.standard(Decimal(10))
    assert draft.totals().vat_total == Decimal("1.00")


def test_per_item_tax_rounding_is_absorbed_so_the_total_is_what_was_paid(seller: Seller) -> None:
    """Stripe rounds VAT per item (0,33 € at 20 % is 0,07 €, three times 0,40 €); VAT here is per rate
    (1,20 € at 20 % holds 0,20 €): the base takes the cent, the total is the 1,20 € paid."""
    items = [item(f"Carte postale {n}", 1, 40, 7) for n in (1, 2, 3)]
    draft = read(sale(items), seller)
    totals = draft.totals()
    assert (totals.tax_basis_total, totals.vat_total, totals.grand_total) == (
        Decimal("1.00"),
        Decimal("0.20"),
        Decimal("1.20"),
    )
    assert [amounts.net_amount for amounts in totals.lines] == [
        Decimal("0.34"),  # 0,3333 each: the cent left over to the first
        Decimal("0.33"),
        Decimal("0.33"),
    ]


def test_a_total_prices_excluding_vat_cannot_reach_is_invoiced(seller: Seller) -> None:
    """9,99 € at 20 %: 8,32 € HT gives 9,98 €, 8,33 € gives 10,00 €; it used to be refused
    (``sale_total_unreachable``). Priced VAT included: 1,67 € of VAT (9,99 x 20 / 120, rounded), 8,32 € HT."""
    draft = read(sale([item("Bougie", 1, 999)]), seller)
    totals = draft.totals()
    assert (totals.tax_basis_total, totals.vat_total, totals.grand_total) == (
        Decimal("8.32"),
        Decimal("1.67"),
        Decimal("9.99"),
    )
    assert draft.lines[0].unit_price == Decimal("9.99")
    # Stripe's tax amount (1,67 € too, here) only names the rate.
    with_tax = read(sale([item("Bougie", 1, 999, 167, taxes=[tax(167, 20)])]), seller).totals()
    assert with_tax == totals


def test_unit_prices_give_each_line_exactly_its_amount(seller: Seller) -> None:
    draft = read(sale([item("Stylo", 3, 3000), item("Gomme", 7, 1000)]), seller)
    totals = draft.totals()
    assert totals.grand_total == Decimal("40.00")
    # Paid 30,00 € for 3 (10,00 each) and 10,00 € for 7: 1,4286 (7 x 1,43 would be 10,01).
    assert [line.unit_price for line in draft.lines] == [Decimal("10.00"), Decimal("1.4286")]
    # 33,33 € HT split 25,00 / 8,33: 8,3333 for 3 (3 x 8,33 would be 24,99), 1,19 for 7.
    assert totals.lines == (
        LineAmounts(Decimal("8.3333"), Decimal("25.00")),
        LineAmounts(Decimal("1.19"), Decimal("8.33")),
    )


def test_without_vat_the_prices_are_plain(franchise_seller: Seller) -> None:
    """Nothing carries VAT (franchise en base): the draft is an ordinary one, priced as paid."""
    draft = read(sale([item("Poterie", 3, 3500)]), franchise_seller)
    assert not draft.prices_include_vat
    assert draft.totals().lines == (LineAmounts(Decimal("11.6667"), Decimal("35.00")),)


def _stripe_tax(cents: int, rate: Decimal) -> int:
    """The VAT Stripe puts on an item of ``cents`` including VAT at ``rate`` (it rounds per item)."""
    return int((Decimal(cents) * rate / (100 + rate)).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


@st.composite
def paid_sales(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A sale of 0,50 € to 10 000 € over 1 to 4 French rates, 1 to 5 items at each (quantities 1 to
    12), the total split at random; Stripe's taxes expanded, or none at all (20 %); shipping sometimes."""
    rates = draw(st.lists(st.sampled_from(FRENCH_RATES), min_size=1, max_size=4, unique=True))
    per_rate = draw(st.lists(st.integers(1, 5), min_size=len(rates), max_size=len(rates)))
    slots = [rate for rate, count in zip(rates, per_rate, strict=True) for _ in range(count)]
    shipped = draw(st.booleans())
    total = draw(st.integers(50, 1_000_000))
    parts = len(slots) + shipped
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=parts - 1, max_size=parts - 1)))
    amounts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    items = []
    for n, (rate, cents) in enumerate(zip(slots, amounts, strict=False)):
        quantity = draw(st.integers(1, 12))
        if rate == 20 and draw(st.booleans()):  # no tax data: prices including VAT at 20 %
            items.append(item(f"Article {n}", quantity, cents))
        else:
            vat = _stripe_tax(cents, rate)
            items.append(item(f"Article {n}", quantity, cents, vat, taxes=[tax(vat, format(rate, "f"))]))
    shipping = None
    if shipped:
        cents = amounts[-1]
        shipping = {
            "amount_subtotal": cents,
            "amount_tax": 0,
            "amount_total": cents,
            "shipping_rate": "shr_1",
        }
    return items, shipping


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paid=paid_sales())
def test_every_total_paid_is_invoiced_to_the_cent(seller: Seller, paid: Any) -> None:
    """Whatever was paid, at any French rates, over any number of items: the invoice's total including
    VAT is ``amount_total``, its VAT per rate follows the rule of prices including VAT, and each line
    excluding VAT is within a cent of its share; no sale is refused for its amount."""
    items, shipping = paid
    document = sale(items, shipping=shipping)
    draft = read(document, seller)
    totals = draft.totals()
    assert totals.grand_total == Decimal(document["session"]["amount_total"]) / 100
    assert draft.prices_include_vat
    assert totals.tax_basis_total + totals.vat_total == totals.grand_total
    for row in totals.breakdown:
        rate = row.vat.rate
        lines = [i for i, line in enumerate(draft.lines) if line.vat.key == row.vat.key]
        paid_at_rate = sum(
            (draft.lines[i].quantity * draft.lines[i].unit_price).quantize(Decimal("0.01")) for i in lines
        )
        assert row.amount == (paid_at_rate * rate / (100 + rate)).quantize(Decimal("0.01"), "ROUND_HALF_UP")
        assert row.basis == paid_at_rate - row.amount
        assert sum(totals.lines[i].net_amount for i in lines) == row.basis
        # Each line's price times its quantity is what was paid for it, and its amount excluding
        # VAT the price excluding VAT times the quantity (prices of at most six decimals).
        for i in lines:
            line, amounts = draft.lines[i], totals.lines[i]
            assert -amounts.unit_price.as_tuple().exponent <= 6  # type: ignore[operator]
            assert (line.quantity * amounts.unit_price).quantize(Decimal("0.01"), "ROUND_HALF_UP") == (
                amounts.net_amount
            )


def test_a_rate_whose_vat_rounds_to_nothing_keeps_its_rate(seller: Seller) -> None:
    """0,09 € at 5,5 % holds no cent of VAT: Stripe's tax of 0 at 5,5 % is that rate, not 20 %."""
    draft = read(sale([item("Sachet de thé", 1, 9, 0, taxes=[tax(0, "5.5")])]), seller)
    assert draft.lines[0].vat == VatTreatment.standard(Decimal("5.5"))
    assert draft.totals().grand_total == Decimal("0.09")


def test_reverse_charge_for_a_customer_with_a_vat_number(seller: Seller) -> None:
    session = recorded_session()
    session["customer_details"]["tax_ids"] = [{"type": "eu_vat", "value": "BE0456712325"}]
    session["customer_details"]["address"]["country"] = "BE"
    zero = tax(0, 0, "BE", taxability_reason="reverse_charge")
    draft = read(sale([item("Audit", 1, 50000, 0, taxes=[zero])], session=session), seller)
    assert draft.lines[0].vat.category is VatCategory.REVERSE_CHARGE
    assert draft.totals().grand_total == Decimal("500.00")
    # Without the customer's VAT number there is no reverse charge to apply.
    problems = refused(sale([item("Audit", 1, 50000, 0, taxes=[zero])]), seller)
    assert codes(problems) == {"sale_vat_unsupported"}


def test_a_franchise_seller_invoices_no_vat_and_refuses_taxed_sales(franchise_seller: Seller) -> None:
    draft = read(sale([item("Poterie", 1, 3500)]), franchise_seller)
    assert draft.lines[0].vat == VatTreatment.exempt("franchise")
    assert draft.totals().grand_total == Decimal("35.00")
    assert codes(refused(sale([item("Poterie", 1, 4200, 700)]), franchise_seller)) == {"franchise_with_vat"}


@pytest.mark.parametrize(
    ("taxes", "detail"),
    [
        ([tax(190, 19, "DE")], "19 % DE"),
        ([tax(100, 10), tax(100, 10, "ES")], "10 % FR, 10 % ES"),
        ([tax(0, 0, taxability_reason="not_collecting")], "not_collecting"),
    ],
)
def test_other_taxes_are_refused(seller: Seller, taxes: list[dict[str, Any]], detail: str) -> None:
    total = 1000 + sum(t["amount"] for t in taxes)
    [problem] = refused(sale([item("Article", 1, total, total - 1000, taxes=taxes)]), seller)
    assert problem.code == "sale_vat_unsupported"
    assert problem.params["tax"] == detail


# --- hostile input: a clear refusal naming the field, never a crash -----------------------------------------


def _set(path: str, value: Any) -> dict[str, Any]:
    """A valid sale with the value at ``path`` (dotted, list indexes as numbers) replaced."""
    document = sale()
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return document


_DELETE = object()
ITEM = "session.line_items.data.0"


@pytest.mark.parametrize(
    ("path", "value", "code", "column"),
    [
        ("source", "paypal", "not_an_online_sale", "source"),
        ("session", _DELETE, "required", "session"),
        ("session", [], "wrong_type", "session"),
        ("session.id", "pi_123", "not_an_online_sale", "session.id"),
        ("session.currency", "usd", "currency_not_eur", "session.currency"),
        ("session.currency", 978, "wrong_type", "session.currency"),
        ("session.amount_total", -2400, "negative", "session.amount_total"),
        ("session.amount_total", "24.00", "wrong_type", "session.amount_total"),
        ("session.amount_total", 24.5, "wrong_type", "session.amount_total"),
        ("session.amount_total", True, "wrong_type", "session.amount_total"),
        ("session.amount_total", 10**40, "number_too_large", "session.amount_total"),
        ("session.amount_total", 2399, "sale_total_mismatch", "session.amount_total"),
        ("session.customer_details.email", None, "required", "session.customer_details.email"),
        ("session.customer_details.email", "a@b@c", "bad_email", "session.customer_details.email"),
        ("session.customer_details.email", "é@x.fr", "email_not_ascii", "session.customer_details.email"),
        (
            "session.customer_details.name",
            "Evil\u202eCorp",
            "forbidden_characters",
            "session.customer_details.name",
        ),
        ("session.customer_details.name", "x" * 1_000_000, "text_too_long", "session.customer_details.name"),
        (
            "session.customer_details.address.country",
            "ZZ",
            "bad_country",
            "session.customer_details.address.country",
        ),
        (
            "session.customer_details.tax_ids",
            [{"type": "eu_vat", "value": "FR00000000000"}],
            "bad_vat_id",
            None,
        ),
        (
            "session.customer_details.tax_ids",
            "FR19428716302",
            "wrong_type",
            "session.customer_details.tax_ids",
        ),
        ("session.customer", {"id": "cus 1"}, "not_an_online_sale", "session.customer"),
        ("session.line_items.has_more", True, "not_an_online_sale", "session.line_items.has_more"),
        ("session.line_items.data", [], "required", "session.line_items.data"),
        ("session.line_items.data", {"0": {}}, "wrong_type", "session.line_items.data"),
        ("session.line_items.data.0", "Coffret", "wrong_type", "session.line_items.data[0]"),
        (f"{ITEM}.quantity", 0, "not_positive", "session.line_items.data[0].quantity"),
        (f"{ITEM}.quantity", -3, "not_positive", "session.line_items.data[0].quantity"),
        (f"{ITEM}.quantity", 2.5, "wrong_type", "session.line_items.data[0].quantity"),
        (f"{ITEM}.amount_total", None, "required", "session.line_items.data[0].amount_total"),
        (f"{ITEM}.amount_tax", 99999, "sale_vat_unsupported", "session.line_items.data[0].amount_tax"),
        (f"{ITEM}.description", '=HYPERLINK("http://x")\u200b', "forbidden_characters", None),
        (f"{ITEM}.description", "", "required", "session.line_items.data[0].description"),
        ("paid_on", "26/11/2026", "bad_date", "paid_on"),
        ("paid_on", "2026-02-30", "bad_date", "paid_on"),
        ("paid_on", "1999-12-31", "date_out_of_range", "paid_on"),
        ("payment_id", "stripe:pi 1; drop", "not_an_online_sale", "payment_id"),
        ("method", "Card<script>", "not_an_online_sale", "method"),
    ],
)
def test_a_wrong_field_is_named_with_its_value(
    seller: Seller, path: str, value: Any, code: str, column: str | None
) -> None:
    problems = refused(_set(path, value), seller)
    found = [p for p in problems if p.code == code]
    assert found, [str(p) for p in problems]
    if column is not None:
        assert found[0].column == column
    assert found[0].reason_fr
    assert found[0].reason_en
    if path.startswith(ITEM):
        assert found[0].row == 1  # the item's position
    assert all(len(p.value or "") <= 121 for p in problems)  # quoted back bounded
    problems_csv(problems)  # the report can be written


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"", "Expecting value"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"<xml/>", "Expecting value"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b'{"source": "stripe", "source": "stripe"}', "appears twice"),
        (b'{"amount": NaN}', "NaN"),
    ],
)
def test_what_is_not_json_is_refused_whole(seller: Seller, data: bytes, detail: str) -> None:
    [problem] = refused(data, seller)
    assert problem.code == "bad_json"
    assert detail in problem.params["detail"]


@pytest.mark.parametrize("document", [[], "sale", 42, None, {"source": "stripe"}])
def test_other_documents_are_refused(seller: Seller, document: Any) -> None:
    assert refused(json.dumps(document).encode(), seller)


def test_ten_thousand_items_are_refused_at_once(seller: Seller) -> None:
    items = [item("Article", 1, 100)] * 10_000
    [problem] = refused(sale(items), seller)
    assert problem.code == "too_many_items"
    assert problem.params == {"count": 10_000, "limit": MAX_ITEMS}


def test_every_problem_is_reported_at_once(seller: Seller) -> None:
    document = sale([item("A", 0, 100), item("B", 1, -5), item("C", 1, 100)])
    document["session"]["line_items"]["data"][2] = "C"
    document["paid_on"] = "hier"
    document["session"]["currency"] = "gbp"
    problems = refused(document, seller)
    assert {(p.code, p.row) for p in problems} >= {
        ("not_positive", 1),
        ("negative", 2),
        ("wrong_type", 3),
        ("bad_date", None),
        ("currency_not_eur", None),
    }


def test_a_real_session_in_another_currency_is_refused(seller: Seller) -> None:
    """stripe-ruby-mock's recorded session, in USD as recorded."""
    document = sale()
    document["session"] = recorded_session("ruby-mock") | {"line_items": document["session"]["line_items"]}
    problems = refused(document, seller)
    assert "currency_not_eur" in codes(problems)
    assert next(p for p in problems if p.code == "currency_not_eur").reason_en.startswith("Sale in USD")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.decimals(allow_nan=False, places=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_PATHS = [
    "source",
    "paid_on",
    "method",
    "payment_id",
    "session",
    "session.id",
    "session.currency",
    "session.amount_total",
    "session.customer",
    "session.customer_details",
    "session.customer_details.email",
    "session.customer_details.address",
    "session.customer_details.tax_ids",
    "session.line_items",
    "session.line_items.data",
    ITEM,
    f"{ITEM}.quantity",
    f"{ITEM}.amount_total",
    f"{ITEM}.amount_tax",
    f"{ITEM}.taxes",
    f"{ITEM}.description",
    "session.shipping_cost",
    "session.locale",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(_PATHS), value=_json_values)
def test_any_value_anywhere_is_read_or_refused_never_a_crash(seller: Seller, path: str, value: Any) -> None:
    try:
        draft = read(_set(path, value), seller)
    except InputRejected as rejected:
        problems = rejected.problems
    else:
        assert draft.totals().grand_total == Decimal(draft_paid(path, value)) / 100
        return
    assert problems
    problems_csv(problems)


def draft_paid(path: str, value: Any) -> int:
    """What the sale at ``path`` = ``value`` says was paid (when it was read)."""
    return int(_set(path, value)["session"]["amount_total"])


def test_a_sale_without_its_envelope_fields_names_each_one(seller: Seller) -> None:
    document = {"source": "stripe", "session": sale()["session"]}
    problems = refused(document, seller)
    assert {(p.code, p.column) for p in problems} == {
        ("required", "paid_on"),
        ("required", "payment_id"),
        ("required", "method"),
    }
