"""Stripe events as recorded by others (../shared/fixtures/stripe/events) read into ledger
entries; hostile events refused with the reason."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from invoicing.domain.ledger import Kind, State
from invoicing.ingest.stripe import NotOurs, read_event
from tests.conftest import fixture_path

OURS = "inv-" + "a" * 32


def recorded(*parts: str) -> dict:
    return json.loads(fixture_path("stripe", "events", *parts).read_text())


def test_a_recorded_paid_session_with_our_metadata_is_a_succeeded_payment():
    event = recorded("stripe-ruby-mock", "checkout.session.completed.json")
    event["data"]["object"]["metadata"] = {"invoice_id": OURS}
    facts = read_event(event)
    (entry,) = facts.entries
    assert (entry.group, entry.kind, entry.state, entry.cents, entry.currency, entry.invoice_id) == (
        "stripe:pi_000000000000000000000000",
        Kind.PAYMENT,
        State.SUCCEEDED,
        3000,
        "USD",
        OURS,
    )
    assert entry.on == date(2022, 3, 26)  # the event's creation time, in Paris
    assert facts.sale is None


def test_a_live_session_without_our_metadata_is_a_sale():
    event = recorded("stripe-sync-engine", "checkout_session_completed.json")
    facts = read_event(event)
    (entry,) = facts.entries
    assert (entry.invoice_id, entry.state, entry.currency) == (None, State.SUCCEEDED, "EUR")
    assert facts.sale is not None
    assert facts.sale["id"] == event["data"]["object"]["id"]
    assert facts.livemode


def test_a_refunded_charge_is_its_running_total_grouped_by_its_payment():
    event = recorded("stripe-ruby-mock", "charge.refunded.json")
    event["data"]["object"]["payment_intent"] = "pi_42"
    (entry,) = read_event(event).entries
    assert (entry.group, entry.kind, entry.ref, entry.cents) == (
        "stripe:pi_42",
        Kind.REFUND,
        event["data"]["object"]["id"],
        100,
    )


@pytest.mark.parametrize(
    ("name", "state"),
    [("charge_dispute_created_with_pi.json", State.OPEN), ("charge_dispute_closed_with_pi.json", State.LOST)],
)
def test_disputes_recorded_by_zulip(name, state):
    event = recorded("zulip", name)
    (entry,) = read_event(event).entries
    obj = event["data"]["object"]
    assert (entry.group, entry.kind, entry.state, entry.cents) == (
        f"stripe:{obj['payment_intent']}",
        Kind.CHARGEBACK,
        state,
        2200,
    )
    assert entry.label == "product_not_received"


def test_a_payment_intent_without_our_metadata_is_not_ours():
    facts = read_event(recorded("stripe-ruby-mock", "payment_intent.succeeded.json"))
    assert facts.entries == ()
    assert "metadata" in facts.ignored


def test_a_payment_intent_with_our_metadata_counts_what_was_received():
    event = recorded("stripe-ruby-mock", "payment_intent.succeeded.json")
    event["data"]["object"]["metadata"] = {"invoice_id": OURS}
    (entry,) = read_event(event).entries
    assert (entry.state, entry.cents, entry.invoice_id) == (State.SUCCEEDED, 2000, OURS)


def test_a_processing_sepa_payment_intent_is_pending():
    event = recorded("stripe-ruby-mock", "payment_intent.processing.json")
    event["data"]["object"]["metadata"] = {"invoice_id": OURS}
    (entry,) = read_event(event).entries
    assert entry.state is State.PENDING


@pytest.mark.parametrize(
    "name",
    [
        ("zulip", "charge_failed_with_pi.json"),
        ("zulip", "refund_event.json"),
        ("stripe-sync-engine", "payment_intent_partially_funded.json"),
    ],
)
def test_other_recorded_events_are_ignored_with_the_reason(name):
    facts = read_event(recorded(*name))
    assert facts.entries == ()
    assert "not an event payments act on" in facts.ignored


def test_a_metadata_invoice_id_that_is_not_ours_is_kept_as_a_foreign_reference():
    event = recorded("stripe-ruby-mock", "checkout.session.completed.json")
    event["data"]["object"]["metadata"] = {"invoice_id": "FA2026-00012"}
    facts = read_event(event)
    assert (facts.entries[0].invoice_id, facts.foreign_reference, facts.sale) == (None, "FA2026-00012", None)


def _session_event(**changes):
    event = copy.deepcopy(recorded("stripe-ruby-mock", "checkout.session.completed.json"))
    event["data"]["object"].update(changes)
    return event


@pytest.mark.parametrize(
    ("event", "why"),
    [
        ([], "not a Stripe event"),
        ({"object": "event", "id": "evt_1"}, "no type"),
        ({"object": "event", "id": "evt_1", "type": "checkout.session.completed", "data": []}, "data.object"),
        ({"object": "event", "id": "x" * 300, "type": "t", "data": {"object": {}}}, "not a Stripe id"),
        (_session_event(amount_total=-5), "amount_total"),
        (_session_event(amount_total="3000"), "amount_total"),
        (_session_event(amount_total=10**15), "amount_total"),
        (_session_event(amount_total=True), "amount_total"),
        (_session_event(currency="€€€€"), "currency"),
        (_session_event(payment_intent="pi_1; DROP TABLE"), "not a Stripe id"),
        (_session_event(payment_intent={"id": ["pi_1"]}), "not a Stripe id"),
    ],
)
def test_hostile_events_are_refused_with_the_reason(event, why):
    with pytest.raises(NotOurs, match=why):
        read_event(event)


def test_sessions_that_charged_nothing_or_are_subscriptions_are_ignored():
    assert "no payment intent" in read_event(_session_event(payment_intent=None)).ignored
    assert "subscription" in read_event(_session_event(mode="subscription")).ignored
    assert "no_payment_required" in read_event(_session_event(payment_status="no_payment_required")).ignored
