"""The payments ledger's merge and the receivable following it: whatever the order and the
number of times facts arrive, one final state."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import reduce

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.codec import receivable_from_dict, receivable_to_dict
from invoicing.domain.ledger import Entry, Kind, LedgerError, Source, State, cents, merge
from invoicing.domain.receivable import (
    PENDING_HOLD_DAYS,
    Delivery,
    DeliveryState,
    Receivable,
    Status,
    TransitionRefused,
)

D = Decimal
DAY = date(2026, 11, 20)
SENT = DeliveryState(Delivery.SENT, sent_at=datetime(2026, 11, 2, 9, tzinfo=UTC), message_id="m-0")


def receivable(total: str = "228.00") -> Receivable:
    return Receivable(
        "inv-1", "FA2026-00001", False, D(total), date(2026, 11, 2), date(2026, 12, 2), delivery=SENT
    )


def pay(group: str, state: State, amount: int, *, invoice: str | None = "inv-1", on: date = DAY) -> Entry:
    return Entry(
        group, Kind.PAYMENT, group.split(":")[1], state, amount, on, Source.STRIPE, invoice_id=invoice
    )


def refund(group: str, charge: str, amount: int, *, invoice: str | None = "inv-1") -> Entry:
    return Entry(group, Kind.REFUND, charge, State.SUCCEEDED, amount, DAY, Source.STRIPE, invoice_id=invoice)


def chargeback(group: str, dispute: str, amount: int, state: State) -> Entry:
    return Entry(group, Kind.CHARGEBACK, dispute, state, amount, DAY, Source.STRIPE, invoice_id="inv-1")


# --- merge ---------------------------------------------------------------------------------------


def test_a_payment_only_moves_forward():
    pending, done = pay("stripe:pi_1", State.PENDING, 100), pay("stripe:pi_1", State.SUCCEEDED, 100)
    assert merge(pending, done).state is State.SUCCEEDED
    assert merge(done, pending).state is State.SUCCEEDED
    failed = pay("stripe:pi_1", State.FAILED, 100)
    # Contradictory final reports: money received wins, whatever came first.
    assert merge(failed, done).state is merge(done, failed).state is State.SUCCEEDED


def test_refunds_keep_the_largest_running_total_and_invoice_ids_are_kept():
    small, large = refund("stripe:pi_1", "ch_1", 1000, invoice=None), refund("stripe:pi_1", "ch_1", 2500)
    assert merge(small, large) == merge(large, small)
    assert (merge(large, small).cents, merge(small, large).invoice_id) == (2500, "inv-1")


def test_a_closed_dispute_never_reopens():
    opened, lost = (
        chargeback("stripe:pi_1", "du_1", 500, State.OPEN),
        chargeback("stripe:pi_1", "du_1", 500, State.LOST),
    )
    assert merge(lost, opened).state is State.LOST


def test_entries_of_different_objects_do_not_merge():
    with pytest.raises(LedgerError):
        merge(refund("stripe:pi_1", "ch_1", 1), refund("stripe:pi_1", "ch_2", 1))


@pytest.mark.parametrize(
    ("field", "value"),
    [("cents", -1), ("cents", 1.5), ("cents", True), ("currency", "eur"), ("group", "nogroup"), ("ref", "")],
)
def test_impossible_entries_are_refused(field, value):
    kwargs = dict(
        group="bank:1", kind=Kind.PAYMENT, ref="1", state=State.SUCCEEDED, cents=1, on=DAY, source=Source.BANK
    )
    kwargs[field] = value
    with pytest.raises(LedgerError):
        Entry(**kwargs)


def test_a_refund_cannot_be_pending():
    with pytest.raises(LedgerError):
        Entry("stripe:pi_1", Kind.REFUND, "ch_1", State.PENDING, 1, DAY, Source.STRIPE)


def test_cents_are_exact():
    assert cents(D("228.00")) == 22800
    with pytest.raises(LedgerError):
        cents(D("0.001"))


_STATES = {Kind.PAYMENT: list(State)[:3], Kind.REFUND: [State.SUCCEEDED], Kind.CHARGEBACK: list(State)[3:]}


@st.composite
def same_entries(draw):
    kind = draw(st.sampled_from(list(Kind)))
    return [
        Entry(
            "stripe:pi_1",
            kind,
            "x_1",
            draw(st.sampled_from(_STATES[kind])),
            draw(st.integers(0, 10_000)),
            draw(st.dates(date(2026, 1, 1), date(2026, 12, 31))),
            Source.STRIPE,
            invoice_id=draw(st.sampled_from([None, "inv-1"])),
            label=draw(st.sampled_from(["", "a", "b"])),
        )
        for _ in range(draw(st.integers(1, 6)))
    ]


@settings(max_examples=120, deadline=None)
@given(same_entries(), st.randoms(use_true_random=False))
def test_merge_gives_one_result_whatever_the_order_and_repetitions(entries, rnd):
    expected = reduce(merge, entries)
    shuffled = entries + rnd.sample(entries, k=len(entries))
    rnd.shuffle(shuffled)
    assert reduce(merge, shuffled) == expected


# --- the receivable following the ledger ----------------------------------------------------------

STORY = [
    pay("stripe:pi_a", State.PENDING, 10000),
    pay("stripe:pi_a", State.SUCCEEDED, 10000),
    pay("stripe:pi_b", State.SUCCEEDED, 12800),
    refund("stripe:pi_a", "ch_a", 1000),
    refund("stripe:pi_a", "ch_a", 3000),
    chargeback("stripe:pi_b", "du_b", 12800, State.OPEN),
    chargeback("stripe:pi_b", "du_b", 12800, State.WON),
    pay("bank:L1", State.SUCCEEDED, 3000),
]


def test_the_story_settles_the_receivable():
    after = reduce(lambda r, e: r.settle([e]), STORY, receivable())
    assert (after.paid, after.refunded, after.due, after.status) == (
        D("258.00"),
        D("30.00"),
        D("0.00"),
        Status.PAID,
    )


@pytest.mark.parametrize("seed", range(25))
def test_any_order_any_repetition_and_any_batching_give_the_same_receivable(seed):
    rnd = random.Random(seed)
    expected = receivable().settle(STORY)
    deliveries = STORY + rnd.choices(STORY, k=10)
    rnd.shuffle(deliveries)
    state = receivable()
    while deliveries:
        batch = deliveries[: rnd.randint(1, 3)]
        deliveries = deliveries[len(batch) :]
        state = state.settle(batch)
    assert receivable_to_dict(state) | {"version": 0} == receivable_to_dict(expected) | {"version": 0}


def test_nothing_new_is_no_write_and_the_codec_keeps_everything():
    settled = receivable().settle(STORY)
    assert settled.settle(STORY) is settled
    assert receivable_from_dict(receivable_to_dict(settled)) == settled


def test_a_pending_payment_holds_reminders_for_a_while_then_a_failure_releases_them():
    normal = receivable().next_step_on
    held = receivable().settle([pay("stripe:pi_a", State.PENDING, 22800)])
    assert (held.pending, held.status) == (D("228.00"), Status.SENT)
    # Held PENDING_HOLD_DAYS after the payment started, not for ever (a transfer never sent).
    assert held.pending_until == DAY + timedelta(days=PENDING_HOLD_DAYS)
    assert held.next_step_on == max(normal, held.pending_until + timedelta(days=1))
    assert held.awaiting(DAY + timedelta(days=PENDING_HOLD_DAYS))
    assert not held.awaiting(DAY + timedelta(days=PENDING_HOLD_DAYS + 1))
    released = held.settle([pay("stripe:pi_a", State.FAILED, 22800)])
    assert (released.pending, released.pending_until, released.next_step_on) == (D("0.00"), None, normal)


def test_a_pending_payment_of_part_of_the_due_does_not_hold_reminders():
    part = receivable().settle([pay("stripe:pi_a", State.PENDING, 10000)])
    assert (part.pending_until, part.next_step_on) == (None, receivable().next_step_on)


def test_a_refund_before_its_payment_waits_for_it():
    early = receivable().settle([refund("stripe:pi_a", "ch_a", 5000)])
    assert (early.refunded, early.due) == (D("0.00"), D("228.00"))
    paid = early.settle([pay("stripe:pi_a", State.SUCCEEDED, 22800)])
    assert (paid.refunded, paid.due, paid.status) == (D("50.00"), D("50.00"), Status.PARTIALLY_PAID)


def test_a_chargeback_disputes_then_lost_reopens():
    paid = receivable().settle([pay("stripe:pi_a", State.SUCCEEDED, 22800)])
    disputed = paid.settle([chargeback("stripe:pi_a", "du_1", 22800, State.OPEN)])
    assert (disputed.status, disputed.next_step_on) == (Status.DISPUTED, None)
    lost = disputed.settle([chargeback("stripe:pi_a", "du_1", 22800, State.LOST)])
    assert (lost.status, lost.due) == (Status.SENT, D("228.00"))
    assert lost.next_step_on is not None


def test_entries_of_another_invoice_or_currency_are_refused():
    with pytest.raises(TransitionRefused):
        receivable().settle([pay("stripe:pi_a", State.SUCCEEDED, 1, invoice="inv-2")])
    foreign = Entry(
        "stripe:pi_a", Kind.PAYMENT, "pi_a", State.SUCCEEDED, 1, DAY, Source.STRIPE, "USD", invoice_id="inv-1"
    )
    with pytest.raises(TransitionRefused):
        receivable().settle([foreign])
