"""The receivable: every transition, every refusal, and random sequences whose amounts must
always agree with the status."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.codec import receivable_from_dict, receivable_to_dict
from invoicing.domain.receivable import (
    Delivery,
    DisputeOutcome,
    DunningPolicy,
    DunningState,
    Receivable,
    Status,
    TransitionRefused,
    open_receivable,
)
from tests import factories

ISSUED = date(2026, 11, 2)
DUE = date(2026, 12, 2)
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
D = Decimal


def invoice_receivable(total: str = "1200.00", **changes) -> Receivable:
    return Receivable(
        invoice_id="inv-1",
        number="FA2026-00001",
        is_credit_note=False,
        total=D(total),
        issue_date=ISSUED,
        due_date=DUE,
        **changes,
    )


def credit_note_receivable() -> Receivable:
    return Receivable("inv-2", "AV2026-00001", True, D("120.00"), ISSUED, ISSUED)


# --- opening state ------------------------------------------------------------------------------


def test_an_issued_invoice_opens_with_everything_due_and_its_first_reminder_scheduled() -> None:
    r = invoice_receivable()
    assert (r.status, r.due, r.credited, r.paid, r.refunded, r.version) == (
        Status.ISSUED,
        D("1200.00"),
        D(0),
        D(0),
        D(0),
        0,
    )
    assert r.delivery.state is Delivery.PENDING
    assert r.next_action_on == DUE - timedelta(days=3)  # the courtesy reminder


def test_open_receivable_takes_the_invoice_and_the_policy() -> None:
    from invoicing.domain.invoice import issue
    from invoicing.domain.terms import PaymentTerms

    invoice = issue(
        factories.draft(factories.company(), factories.line("Audit", "2", "500", "20")),
        seller=factories.seller(),
        number="FA2026-00007",
        issue_date=ISSUED,
        default_terms=PaymentTerms(30),
        invoice_id="inv-7",
    )
    r = open_receivable(invoice, DunningPolicy(offsets=(0, 10), min_gap_days=2))
    assert (r.invoice_id, r.number, r.total, r.due_date) == (
        "inv-7",
        "FA2026-00007",
        invoice.totals.grand_total,
        invoice.due_date,
    )
    assert r.dunning.offsets == (0, 10)
    assert r.next_action_on == invoice.due_date


def test_a_credit_note_is_never_chased_nor_paid() -> None:
    r = credit_note_receivable()
    assert r.next_action_on is None
    assert r.status is Status.ISSUED
    with pytest.raises(TransitionRefused, match="credit note"):
        r.record_payment("ch_1", D("10.00"), ISSUED)
    with pytest.raises(TransitionRefused, match="credit note"):
        r.credit("AV2026-00002", D("10.00"), ISSUED)
    with pytest.raises(TransitionRefused, match="credit note"):
        r.dispute("no")
    with pytest.raises(TransitionRefused, match="credit note"):
        r.pause(DUE, ISSUED)


@pytest.mark.parametrize(
    "offsets", [(0, 0), (7, 3), (-3, -3, 0)], ids=["repeated", "decreasing", "repeated-first"]
)
def test_offsets_must_increase(offsets: tuple[int, ...]) -> None:
    from invoicing.domain.receivable import DunningState

    with pytest.raises(ValueError, match="strictly increasing"):
        invoice_receivable(dunning=DunningState(offsets=offsets))


# --- delivery -----------------------------------------------------------------------------------


def test_delivery_goes_queued_then_sent_with_the_providers_id() -> None:
    r = invoice_receivable().queue_send(NOW)
    assert (r.delivery.state, r.delivery.queued_at, r.version) == (Delivery.QUEUED, NOW, 1)
    sent = r.mark_sent(NOW + timedelta(seconds=3), "ses-0100018f")
    assert (sent.status, sent.delivery.message_id, sent.version) == (Status.SENT, "ses-0100018f", 2)


def test_delivery_refusals() -> None:
    r = invoice_receivable()
    with pytest.raises(TransitionRefused, match="never queued"):
        r.delivery_failed(NOW, "bounce")
    queued = r.queue_send(NOW)
    with pytest.raises(TransitionRefused, match="already queued"):
        queued.queue_send(NOW)
    with pytest.raises(TransitionRefused, match="provider's id"):
        queued.mark_sent(NOW, "")
    sent = queued.mark_sent(NOW, "m-1")
    with pytest.raises(TransitionRefused, match="not sent a second time"):
        sent.mark_sent(NOW, "m-2")
    failed = sent.delivery_failed(NOW, "550 mailbox unknown")
    with pytest.raises(TransitionRefused, match="already marked failed"):
        failed.delivery_failed(NOW, "again")


def test_a_failed_delivery_stops_reminders_until_it_is_sent_again() -> None:
    failed = invoice_receivable().queue_send(NOW).mark_sent(NOW, "m-1").delivery_failed(NOW, "bounce")
    assert (failed.status, failed.delivery.failure, failed.next_action_on) == (
        Status.DELIVERY_FAILED,
        "bounce",
        None,
    )
    resent = failed.mark_sent(NOW, "m-2")  # to a corrected address
    assert resent.status is Status.SENT
    assert resent.delivery.failure is None
    assert resent.next_action_on == DUE - timedelta(days=3)


# --- money --------------------------------------------------------------------------------------


def test_partial_then_full_payment() -> None:
    r = invoice_receivable().record_payment("ch_1", D("200.00"), DUE, "card")
    assert (r.status, r.due, r.paid) == (Status.PARTIALLY_PAID, D("1000.00"), D("200.00"))
    assert r.next_action_on is not None  # still chased for the rest
    paid = r.record_payment("tr_2", D("1000.00"), DUE, "transfer")
    assert (paid.status, paid.due, paid.next_action_on) == (Status.PAID, D(0), None)


def test_an_overpayment_is_kept_and_shown_as_owed_to_the_customer() -> None:
    r = invoice_receivable("100.00").record_payment("tr_1", D("150.00"), DUE)
    assert (r.status, r.due, r.owed_to_customer, r.balance) == (
        Status.PAID,
        D(0),
        D("50.00"),
        D("-50.00"),
    )


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (D(0), "must be positive"),
        (D("-5.00"), "must be positive"),
        (D("0.001"), "in cents"),
        (D("NaN"), "finite Decimal"),
        (D("Infinity"), "finite Decimal"),
        (5, "finite Decimal"),
        (5.0, "finite Decimal"),
    ],
)
def test_amounts_must_be_positive_cents(amount, reason: str) -> None:
    r = invoice_receivable()
    with pytest.raises(TransitionRefused, match=reason):
        r.record_payment("ch_1", amount, DUE)
    with pytest.raises(TransitionRefused, match=reason):
        r.credit("AV1", amount, DUE)


def test_the_same_payment_twice_is_refused() -> None:
    r = invoice_receivable().record_payment("ch_1", D("10.00"), DUE)
    with pytest.raises(TransitionRefused, match="already recorded"):
        r.record_payment("ch_1", D("10.00"), DUE)
    with pytest.raises(TransitionRefused, match="provider's id"):
        r.record_payment("", D("10.00"), DUE)


def test_a_refund_reopens_the_invoice_and_dunning_resumes_where_it_was() -> None:
    r = invoice_receivable()
    r, step = r.advance_dunning(DUE - timedelta(days=3))
    assert step == 1
    paid = r.record_payment("ch_1", D("1200.00"), DUE)
    assert paid.next_action_on is None
    refunded = paid.refund("re_1", "ch_1", D("300.00"), DUE + timedelta(days=1))
    assert (refunded.status, refunded.due, refunded.dunning.step) == (
        Status.PARTIALLY_PAID,
        D("300.00"),
        1,
    )
    assert refunded.next_action_on == DUE  # step 2: on the due date


def test_refund_refusals() -> None:
    r = invoice_receivable().record_payment("ch_1", D("100.00"), DUE)
    with pytest.raises(TransitionRefused, match="no payment ch_9"):
        r.refund("re_1", "ch_9", D("10.00"), DUE)
    r = r.refund("re_1", "ch_1", D("60.00"), DUE)
    with pytest.raises(TransitionRefused, match="already recorded"):
        r.refund("re_1", "ch_1", D("10.00"), DUE)
    with pytest.raises(TransitionRefused, match="exceed the payment"):
        r.refund("re_2", "ch_1", D("40.01"), DUE)
    assert r.refund("re_2", "ch_1", D("40.00"), DUE).net_paid == D(0)


def test_credits_up_to_the_total_then_credited() -> None:
    r = invoice_receivable().credit("AV2026-00001", D("200.00"), DUE)
    assert (r.status, r.creditable, r.due) == (Status.ISSUED, D("1000.00"), D("1000.00"))
    with pytest.raises(TransitionRefused, match=r"exceeds what remains of FA2026-00001 \(1000.00\)"):
        r.credit("AV2026-00002", D("1000.01"), DUE)
    with pytest.raises(TransitionRefused, match="already recorded"):
        r.credit("AV2026-00001", D("1.00"), DUE)
    full = r.credit("AV2026-00002", D("1000.00"), DUE)
    assert (full.status, full.due, full.next_action_on) == (Status.CREDITED, D(0), None)


def test_a_paid_invoice_credited_afterwards_owes_the_customer() -> None:
    r = invoice_receivable("100.00").record_payment("ch_1", D("100.00"), DUE).credit("AV1", D("100.00"), DUE)
    assert (r.status, r.owed_to_customer) == (Status.CREDITED, D("100.00"))


# --- dunning ------------------------------------------------------------------------------------


def test_the_default_sequence_runs_to_its_end_then_hands_over() -> None:
    r = invoice_receivable()
    dates = []
    while r.next_action_on is not None:
        day = r.next_action_on
        r, step = r.advance_dunning(day)
        dates.append((step, (day - DUE).days))
    assert dates == [(1, -3), (2, 0), (3, 7), (4, 15), (5, 30)]
    assert r.dunning.finished
    with pytest.raises(TransitionRefused, match="no reminder"):
        r.advance_dunning(DUE + timedelta(days=90))


def test_a_step_is_not_carried_out_before_its_day_nor_twice_the_same_day() -> None:
    r = invoice_receivable()
    with pytest.raises(TransitionRefused, match="due on 2026-11-29, not 2026-11-28"):
        r.advance_dunning(date(2026, 11, 28))
    done, _ = r.advance_dunning(date(2026, 11, 29))
    with pytest.raises(TransitionRefused, match="due on"):
        done.advance_dunning(date(2026, 11, 29))


def test_a_missed_run_catches_up_with_the_latest_step_only() -> None:
    r, _ = invoice_receivable().advance_dunning(DUE - timedelta(days=3))  # step 1, on time
    # Runs missed until J+9: steps 2 (J) and 3 (J+7) are both due; only step 3 goes out.
    r, step = r.advance_dunning(DUE + timedelta(days=9))
    assert (step, r.dunning.step) == (3, 3)
    assert r.next_action_on == DUE + timedelta(days=15)


def test_everything_overdue_sends_the_last_step_once() -> None:
    r, step = invoice_receivable().advance_dunning(DUE + timedelta(days=40))  # down for weeks
    assert (step, r.dunning.finished, r.next_action_on) == (5, True, None)


def test_two_reminders_are_never_closer_than_the_gap() -> None:
    r = invoice_receivable(dunning=DunningState(offsets=(0, 1, 2), min_gap_days=3))
    r, _ = r.advance_dunning(DUE)
    assert r.next_action_on == DUE + timedelta(days=3)  # step 2 was due at J+1


def test_no_reminder_before_the_gap_after_issue() -> None:
    r = Receivable("i", "FA1", False, D("10.00"), ISSUED, ISSUED)  # due on receipt
    assert r.next_action_on == ISSUED + timedelta(days=3)


def test_pause_and_resume() -> None:
    r = invoice_receivable()
    paused = r.pause(DUE + timedelta(days=10), today=DUE)
    assert paused.next_action_on == DUE + timedelta(days=10)
    with pytest.raises(TransitionRefused, match="after today"):
        r.pause(DUE, today=DUE)
    with pytest.raises(TransitionRefused, match="neither paused nor stopped"):
        r.resume()
    assert paused.resume().next_action_on == DUE - timedelta(days=3)


def test_exclude_stops_reminders_with_a_reason() -> None:
    r = invoice_receivable().exclude("client en redressement judiciaire")
    assert (r.next_action_on, r.dunning.excluded) == (None, "client en redressement judiciaire")
    with pytest.raises(TransitionRefused, match="already stopped"):
        r.exclude("again")
    with pytest.raises(TransitionRefused, match="say why"):
        invoice_receivable().exclude("  ")
    assert r.resume().next_action_on is not None


def test_a_dispute_pauses_reminders_and_its_resolution_resumes_them() -> None:
    r = invoice_receivable().dispute("prestation contestée")
    assert (r.status, r.next_action_on) == (Status.DISPUTED, None)
    with pytest.raises(TransitionRefused, match="already disputed"):
        r.dispute("again")
    resolved = r.resolve_dispute(DisputeOutcome.WON)
    assert (resolved.status, resolved.next_action_on) == (Status.ISSUED, DUE - timedelta(days=3))
    with pytest.raises(TransitionRefused, match="not disputed"):
        resolved.resolve_dispute(DisputeOutcome.LOST)
    credited = invoice_receivable("10.00").credit("AV1", D("10.00"), DUE)
    with pytest.raises(TransitionRefused, match="nothing to dispute"):
        credited.dispute("late")


# --- persistence form ---------------------------------------------------------------------------


def test_round_trip_through_json() -> None:
    r = (
        invoice_receivable()
        .queue_send(NOW)
        .mark_sent(NOW, "m-1")
        .record_payment("ch_1", D("100.00"), DUE, "card")
        .refund("re_1", "ch_1", D("40.00"), DUE)
        .credit("AV1", D("10.00"), DUE)
        .pause(DUE + timedelta(days=5), today=DUE)
        .dispute("contesté")
    )
    back = receivable_from_dict(json.loads(json.dumps(receivable_to_dict(r))))
    assert back == r
    assert back.paid.as_tuple() == D("100.00").as_tuple()


# --- properties ---------------------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=200_000).map(lambda c: D(c).scaleb(-2))
moves = st.lists(
    st.tuples(st.sampled_from(["pay", "refund", "credit", "dispute", "resolve"]), cents),
    max_size=25,
)


def _apply(r: Receivable, kind: str, amount: Decimal, index: int) -> Receivable:
    if kind == "pay":
        return r.record_payment(f"p{index}", amount, DUE)
    if kind == "refund":
        payment = next((p for p in reversed(r.payments)), None)
        return r.refund(f"r{index}", payment.payment_id if payment else "none", amount, DUE)
    if kind == "credit":
        return r.credit(f"AV{index}", amount, DUE)
    if kind == "dispute":
        return r.dispute("x")
    return r.resolve_dispute(DisputeOutcome.WITHDRAWN)


@settings(max_examples=300, deadline=None)
@given(total=cents, sequence=moves)
def test_random_sequences_keep_amounts_and_status_in_agreement(total: Decimal, sequence) -> None:
    r = invoice_receivable(str(total))
    for index, (kind, amount) in enumerate(sequence):
        try:
            after = _apply(r, kind, amount, index)
        except TransitionRefused:
            continue  # a refused move changes nothing
        assert after.version == r.version + 1
        r = after
        # The amounts agree with each other ...
        assert r.credited <= r.total
        assert D(0) <= r.refunded <= r.paid
        assert r.due == max(r.total - r.credited - r.paid + r.refunded, D(0))
        assert r.due >= 0
        assert r.owed_to_customer >= 0
        assert r.due == 0 or r.owed_to_customer == 0
        # ... and the status follows from them.
        if r.credited == r.total:
            assert r.status is Status.CREDITED
        elif r.dunning.disputed:
            assert r.status is Status.DISPUTED
        elif r.due == 0:
            assert r.status is Status.PAID
        elif r.net_paid > 0:
            assert r.status is Status.PARTIALLY_PAID
        else:
            assert r.status is Status.ISSUED
        # Chased exactly when something is due and nothing holds the sequence back.
        assert (r.next_action_on is not None) == (r.due > 0 and not r.dunning.disputed)


@settings(max_examples=200, deadline=None)
@given(total=cents, sequence=moves)
def test_the_final_amounts_do_not_depend_on_the_order_of_payments_and_credits(
    total: Decimal, sequence
) -> None:
    """Payments and credits that are all accepted in one order give the same amounts in the
    reverse order (events arrive out of order)."""
    kinds = [(k, a) for k, a in sequence if k in ("pay", "credit")]
    forward = invoice_receivable(str(total))
    for index, (kind, amount) in enumerate(kinds):
        try:
            forward = _apply(forward, kind, amount, index)
        except TransitionRefused:
            return  # a refused credit makes the two orders incomparable; other examples cover it
    backward = invoice_receivable(str(total))
    for index, (kind, amount) in reversed(list(enumerate(kinds))):
        backward = _apply(backward, kind, amount, index)
    assert (forward.status, forward.due, forward.owed_to_customer) == (
        backward.status,
        backward.due,
        backward.owed_to_customer,
    )


# --- credit ceilings per rate and per line ------------------------------------------------------


def mixed_receivable() -> Receivable:
    from invoicing.domain.receivable import RateShare

    return invoice_receivable(
        "1155.00",
        rates=(RateShare("S:20", D("500.00"), D("100.00")), RateShare("S:5.5", D("500.00"), D("27.50"))),
        line_quantities=(D("100"), D("5")),
    )


def test_a_credit_at_a_rate_the_invoice_does_not_have_is_refused() -> None:
    from invoicing.domain.receivable import CreditRefused, RateShare

    with pytest.raises(CreditRefused, match=r"no VAT at 10 % \(S\)") as refused:
        mixed_receivable().credit(
            "AV1", D("110.00"), DUE, by_rate=(RateShare("S:10", D("100.00"), D("10.00")),)
        )
    assert refused.value.kind == "rate"


def test_base_and_vat_are_capped_per_rate_across_credit_notes() -> None:
    from invoicing.domain.receivable import CreditRefused, RateShare

    r = mixed_receivable().credit(
        "AV1", D("422.00"), DUE, by_rate=(RateShare("S:5.5", D("400.00"), D("22.00")),)
    )
    assert r.credited_at("S:5.5") == (D("400.00"), D("22.00"))
    with pytest.raises(CreditRefused, match="more than invoiced") as refused:
        r.credit("AV2", D("211.00"), DUE, by_rate=(RateShare("S:5.5", D("200.00"), D("11.00")),))
    assert refused.value.kind == "rate_total"
    assert r.credit(
        "AV2", D("105.50"), DUE, by_rate=(RateShare("S:5.5", D("100.00"), D("5.50")),)
    ).credited_at("S:5.5") == (D("500.00"), D("27.50"))


def test_line_quantities_are_summed_within_and_across_credit_notes() -> None:
    from invoicing.domain.receivable import CreditRefused

    r = mixed_receivable()
    with pytest.raises(CreditRefused, match=r"line 1 of FA2026-00001: 200 would be credited of 100"):
        r.credit("AV1", D("10.00"), DUE, lines=((1, D("100")), (1, D("100"))))
    r = r.credit("AV1", D("10.00"), DUE, lines=((1, D("60")),))
    with pytest.raises(CreditRefused, match=r"\(60 already\)"):
        r.credit("AV2", D("10.00"), DUE, lines=((1, D("50")),))
    with pytest.raises(CreditRefused, match="no line 3"):
        r.credit("AV2", D("10.00"), DUE, lines=((3, D("1")),))
    assert r.credit("AV2", D("10.00"), DUE, lines=((1, D("40")),)).credited_quantity(1) == D("100")
