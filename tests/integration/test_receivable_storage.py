"""The receivable as stored: conditional writes on its version, and the sparse next-action
index derived from it, against the moto server."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.records import models
from invoicing.domain.receivable import Status, TransitionRefused
from tests.conftest import sales_csv


@pytest.fixture
def stored(runtime, bucket, resources, with_clients):
    bucket.put("incoming/ventes.csv", sales_csv(["C001;03/11/2026;Audit;2;h;100;20;;;"]))
    runtime.run_until_idle()
    (item,) = InvoiceRepository(resources).all()
    return item


def index_entries(resources) -> dict[str, str]:
    Record = models(resources).InvoiceRecord
    return {r.number: r.next_action_on for r in Record.by_next_action.query("open")}


def test_the_index_and_the_copies_follow_the_receivable(resources, stored) -> None:
    repo = InvoiceRepository(resources)
    number, invoice_id = stored.invoice.number, stored.invoice.invoice_id
    assert index_entries(resources) == {number: stored.receivable.next_action_on.isoformat()}
    day = stored.invoice.due_date

    partly = repo.update(invoice_id, lambda r: r.record_payment("ch_1", Decimal("40.00"), day, "card"))
    record = models(resources).InvoiceRecord.get(invoice_id, consistent_read=True)
    after = stored.receivable.version + 1
    assert (record.status, record.amount_due, record.version) == ("partially_paid", Decimal("200.00"), after)
    assert partly.receivable.status is Status.PARTIALLY_PAID
    assert number in index_entries(resources)

    repo.update(invoice_id, lambda r: r.record_payment("tr_2", Decimal("200.00"), day, "transfer"))
    assert index_entries(resources) == {}  # paid: nothing to chase

    repo.update(invoice_id, lambda r: r.refund("re_1", "tr_2", Decimal("50.00"), day))
    assert index_entries(resources) == {number: repo.get(invoice_id).receivable.next_action_on.isoformat()}

    paused_until = day + timedelta(days=20)
    repo.update(invoice_id, lambda r: r.pause(paused_until, day))
    assert index_entries(resources) == {number: paused_until.isoformat()}


def test_a_refused_transition_writes_nothing(resources, stored) -> None:
    repo = InvoiceRepository(resources)
    with pytest.raises(TransitionRefused):
        repo.update(
            stored.invoice.invoice_id, lambda r: r.refund("re_1", "ch_404", Decimal("1.00"), r.due_date)
        )
    assert repo.get(stored.invoice.invoice_id).receivable == stored.receivable


def test_two_writers_at_once_both_land_one_after_the_other(resources, stored) -> None:
    """Each reads version n and writes n+1 on condition; the loser reads again and re-applies
    its transition on the winner's result, so no payment is lost."""
    barrier = threading.Barrier(2)
    invoice_id, day = stored.invoice.invoice_id, stored.invoice.due_date

    def pay(payment_id: str) -> None:
        repo = InvoiceRepository(resources)

        def change(r):
            barrier.wait(timeout=10) if r.version == stored.receivable.version else None
            return r.record_payment(payment_id, Decimal("10.00"), day)

        repo.update(invoice_id, change)

    threads = [threading.Thread(target=pay, args=(p,)) for p in ("ch_a", "ch_b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = InvoiceRepository(resources).get(invoice_id).receivable
    assert sorted(p.payment_id for p in after.payments) == ["ch_a", "ch_b"]
    assert after.version == stored.receivable.version + 2
    assert after.due == stored.invoice.totals.grand_total - Decimal("20.00")


def test_the_same_transition_racing_itself_lands_once(resources, stored) -> None:
    """Two deliveries of one event (the same payment id) at once: one records it, the other's
    re-applied transition is refused: no double payment."""
    barrier = threading.Barrier(2)
    outcomes: list[object] = []
    invoice_id, day = stored.invoice.invoice_id, stored.invoice.due_date

    def deliver() -> None:
        def change(r):
            barrier.wait(timeout=10) if r.version == stored.receivable.version else None
            return r.record_payment("ch_same", Decimal("10.00"), day)

        try:
            outcomes.append(InvoiceRepository(resources).update(invoice_id, change))
        except TransitionRefused as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["StoredInvoice", "TransitionRefused"]
    assert len(InvoiceRepository(resources).get(invoice_id).receivable.payments) == 1


def test_queue_send_is_recorded_once_by_the_issuer_then_sent_once(stored) -> None:
    delivery = stored.receivable.delivery
    assert delivery.state.value == "sent"
    assert delivery.queued_at is not None
    assert delivery.queued_at <= delivery.sent_at <= datetime.now(UTC)
    assert [(m.kind, m.message_id) for m in stored.receivable.messages] == [("invoice", delivery.message_id)]
